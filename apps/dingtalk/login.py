"""QR-code login with DingTalk: a login source of ``apps.accounts.sources``.

The new OAuth2 flow: ``<LOGIN_BASE>/oauth2/auth`` (the QR code / DingTalk account page) →
the callback's ``authCode`` (older integrations send ``code``; both accepted) →
``v1.0/oauth2/userAccessToken`` → ``v1.0/contact/users/me`` (unionId) →
``topapi/user/getbyunionid`` with the *app* token, which proves the person belongs to this
organisation (60121, or an external contact, is refused with a clear message: a DingTalk
account alone never gets in). The accounts app owns the state (bound to the session, used
once), the session and MFA; this module only turns callback parameters into a profile.

The identity (external id = unionId) is bound, in order, to: an identity already linked;
the user the sync created from the same DingTalk userid; a local user with the same mobile /
email when the settings match on them (DingTalk verified both, and the sync matches the
same way); else, if ``login_provisioning`` is on, an account made by an incremental sync of
that one userid; else the login is refused. Everything here comes from DingTalk
server-side; nothing the browser sends names the account.

In-app login (DingTalk's workbench, 免登) shares the state handling: ``?inapp=1`` on the
start URL leads to the JSAPI page (``web.py``), whose ``inapp_code`` goes through
``topapi/v2/user/getuserinfo`` to the same binding.
"""

from __future__ import annotations

import logging
import urllib.parse

from django.conf import settings
from django.utils.translation import gettext as _

from apps.accounts.sources import ExternalProfile, LoginSource, SourceError
from apps.core.exceptions import Conflict
from apps.dingtalk import config as config_module
from apps.dingtalk.client import DingTalkClient
from apps.dingtalk.errors import DingTalkError
from apps.dingtalk.models import DingTalkUser
from apps.dingtalk.queries import user_for
from apps.directory.actions.external_identities import link_external_identity
from apps.directory.models import ExternalIdentity, Origin, User
from apps.directory.normalize import normalize_mobile_or_none

logger = logging.getLogger("arkid.dingtalk.login")
KEY = "dingtalk"
NOT_MEMBER = 60121
BAD_CODE = {"InvalidAuthCode", 40078}  # userAccessToken / getuserinfo: no such (or a used) code


class DingTalkSource(LoginSource):
    key = KEY
    name = "DingTalk"
    origin = Origin.DINGTALK
    # The login page's button opens ArkID's page with DingTalk's embedded QR code, which
    # falls back to the redirect to DingTalk's own login page when the script cannot load.
    button_params = {"embed": "1"}  # noqa: RUF012 - read only

    def is_enabled(self) -> bool:
        return config_module.current().configured

    def allows_provisioning(self) -> bool:
        # Provisioning (when on) happens in fetch_profile from DingTalk's own record, so
        # the accounts bind page never creates a DingTalk account with no directory link.
        return False

    def authorization_url(self, request, *, state: str, redirect_uri: str) -> str:
        if request.GET.get("inapp"):  # inside DingTalk's workbench: the JSAPI page (web.py)
            return f"/dingtalk/login/inapp/?{urllib.parse.urlencode({'state': state})}"
        if request.GET.get("embed"):  # ArkID's page with DingTalk's embedded QR frame (web.py)
            return f"/dingtalk/login/qr/?{urllib.parse.urlencode({'state': state})}"
        return authorize_url(state=state, redirect_uri=redirect_uri)

    def fetch_profile(self, request, params, *, redirect_uri: str) -> ExternalProfile:
        if params.get("error"):
            raise SourceError(f"DingTalk answered error={params.get('error')}", reason="denied", status=400)
        code = params.get("authCode") or params.get("code") or ""
        inapp_code = params.get("inapp_code") or ""
        if not code and not inapp_code:
            raise SourceError("callback without authCode/code", reason="no_code", status=400)
        config = config_module.current()
        client = DingTalkClient.from_config(config, max_attempts=2)
        try:
            if inapp_code:
                me, userid = _inapp_user(client, inapp_code)
            else:
                me = _me(client, config, code)
                userid = _member_userid(client, me["unionId"])
        except DingTalkError as exc:
            if exc.errcode in BAD_CODE:  # unknown, used or expired: the browser's fault, not DingTalk's
                raise SourceError(str(exc), reason="bad_code", status=400) from None
            raise SourceError(str(exc)) from None
        profile = ExternalProfile(
            external_id=me["unionId"],
            name=str(me.get("nick") or ""),
            email=str(me.get("email") or ""),
            mobile=_mobile(me),
            username_hint=userid,
            data={"userid": userid, "openId": str(me.get("openId") or "")},
        )
        _bind(profile, userid, config)
        return profile


def authorize_params(*, state: str, redirect_uri: str) -> dict:
    return {
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "client_id": config_module.current().app_key,
        "scope": "openid",
        "state": state,
        "prompt": "consent",
    }


def authorize_url(*, state: str, redirect_uri: str) -> str:
    """DingTalk's QR / account page (``<LOGIN_BASE>/oauth2/auth``) for this state."""
    query = urllib.parse.urlencode(authorize_params(state=state, redirect_uri=redirect_uri))
    return f"{settings.DINGTALK_LOGIN_BASE.rstrip('/')}/oauth2/auth?{query}"


def _me(client: DingTalkClient, config, code: str) -> dict:
    """The person's own token (single-use code), then their profile: unionId above all."""
    token = client.api_unauthenticated(
        "POST",
        "/v1.0/oauth2/userAccessToken",
        {
            "clientId": config.app_key,
            "clientSecret": config.app_secret,
            "code": code,
            "grantType": "authorization_code",
        },
    )
    me = client.api("GET", "/v1.0/contact/users/me", token=str(token.get("accessToken") or ""))
    if not me.get("unionId"):
        raise DingTalkError("users/me returned no unionId", api="/v1.0/contact/users/me")
    return me


def _inapp_user(client: DingTalkClient, code: str) -> tuple[dict, str]:
    """In-app login: the JSAPI code names an employee of this organisation directly (it is
    issued for this CorpId's app), so ``getuserinfo`` gives userid and unionId at once."""
    result = client.oapi("topapi/v2/user/getuserinfo", {"code": code}).get("result") or {}
    if not result.get("userid") or not result.get("unionid"):
        raise DingTalkError("getuserinfo returned no userid/unionid", api="/topapi/v2/user/getuserinfo")
    return {"unionId": result["unionid"], "nick": result.get("name") or ""}, str(result["userid"])


def _member_userid(client: DingTalkClient, unionid: str) -> str:
    """The userid inside this organisation; refuses non-members and external contacts."""
    try:
        result = client.oapi("topapi/user/getbyunionid", {"unionid": unionid}).get("result") or {}
    except DingTalkError as exc:
        if exc.errcode == NOT_MEMBER:
            raise _not_member(unionid) from None
        raise
    if result.get("contact_type", 0) != 0 or not result.get("userid"):
        raise _not_member(unionid)
    return str(result["userid"])


def _not_member(unionid: str) -> SourceError:
    return SourceError(
        f"unionId {unionid} is not a member of this organisation",
        user_message=_("Your DingTalk account is not a member of this organisation, so it cannot sign in here."),
        reason="not_a_member",
        status=403,
    )


def _mobile(me: dict) -> str:
    """E.164, as the directory stores mobiles ("" when DingTalk did not share one)."""
    mobile = str(me.get("mobile") or "").strip()
    if mobile and not mobile.startswith("+"):
        mobile = f"+{str(me.get('stateCode') or '86').strip()}{mobile}"
    return (normalize_mobile_or_none(mobile) or "") if mobile else ""


def _bind(profile: ExternalProfile, userid: str, config) -> None:
    """Make sure an identity exists for this unionId, or refuse (see the module docstring)."""
    if ExternalIdentity.objects.filter(provider=KEY, external_id=profile.external_id).exists():
        return
    user = user_for(userid=userid, unionid=profile.external_id) or _match(profile, config)
    if user is None and config.login_provisioning:
        from apps.dingtalk.sync import run_sync

        run_sync(trigger="login", userids=[userid])
        user = user_for(userid=userid)
    if user is None:
        raise SourceError(
            f"no local account for DingTalk userid {userid}",
            user_message=_("No account here belongs to this DingTalk user yet. Ask an administrator."),
            reason="no_account",
            status=403,
        )
    try:
        link_external_identity(user, provider=KEY, external_id=profile.external_id, actor=None, data=profile.data)
    except Conflict as exc:
        raise SourceError(
            f"cannot link DingTalk {userid} to {user.username}: {exc}",
            user_message=_("This account is already linked to another DingTalk user. Ask an administrator."),
            reason="conflict",
            status=409,
        ) from None


def _match(profile: ExternalProfile, config) -> User | None:
    """A single local user, not mirroring another DingTalk user, with the same mobile / email."""
    linked = DingTalkUser.objects.values("user_id")
    users = User.objects.exclude(pk__in=linked)
    candidates = []
    if config.match_by_mobile and profile.mobile:
        candidates.append(users.filter(mobile=profile.mobile))
    if config.match_by_email and profile.email:
        candidates.append(users.filter(email__iexact=profile.email.strip()))
    for query in candidates:
        found = list(query[:2])
        if len(found) == 1:
            return found[0]
    return None


def meta() -> dict:
    """``meta/``: turn on the QR login button when DingTalk is configured (public values only)."""
    config = config_module.current()
    if not config.configured:
        return {}
    return {
        "account_config": {"support_ding_qr": True},
        "ding_config": {
            "app_key": config.app_key,
            "corp_id": config.corp_id,
            "login_url": f"/login/source/{KEY}/",
            "qr_login_url": f"/login/source/{KEY}/?embed=1",
            "inapp_login_url": f"/login/source/{KEY}/?inapp=1",
        },
    }


def connect() -> None:
    from apps.accounts.api.meta import meta_contributors
    from apps.accounts.sources import register

    register(DingTalkSource())
    if meta not in meta_contributors:
        meta_contributors.append(meta)
