from __future__ import annotations

import logging
import urllib.error
import urllib.parse
import urllib.request

from celery import shared_task

from apps.oidc import actions, logout_tokens
from apps.oidc.models import Application

logger = logging.getLogger(__name__)

TIMEOUT = 5  # seconds; the spec expects apps to answer quickly


class BackchannelLogoutFailed(Exception):
    pass


@shared_task(
    name="oidc.send_backchannel_logout",
    autoretry_for=(OSError, BackchannelLogoutFailed),  # URLError and timeouts are OSErrors
    retry_backoff=5,
    retry_backoff_max=600,
    max_retries=6,
)
def send_backchannel_logout(client_id: str, uri: str, subject: str) -> int:
    """POST a logout token to the app (OIDC Back-Channel Logout 2.5); 200/204 is success."""
    client = Application.objects.filter(client_id=client_id).only("algorithm").first()
    algorithm = client.algorithm if client else "RS256"
    token = logout_tokens.logout_token(client_id, subject, algorithm)
    status = _post(uri, {"logout_token": token})
    if status not in (200, 204):
        logger.warning("back-channel logout to %s answered %s", uri, status)
        raise BackchannelLogoutFailed(f"{uri} answered {status}")
    return status


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is an error answer, never followed with the token


_opener = urllib.request.build_opener(_NoRedirects)


def _post(uri: str, fields: dict) -> int:
    if not uri.startswith(("http://", "https://")):
        raise BackchannelLogoutFailed(f"not an http(s) URI: {uri}")
    body = urllib.parse.urlencode(fields).encode()
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        uri, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}, method="POST"
    )
    try:
        with _opener.open(request, timeout=TIMEOUT) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@shared_task(name="oidc.purge_expired")
def purge_expired() -> dict:
    return actions.purge_expired()
