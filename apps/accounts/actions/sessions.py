"""Browser sessions: the web login page's counterpart of token issue and revocation.

A session login is what the OAuth/OIDC provider relies on (it reads ``request.user``), so
the web page, and later the MFA step and the login sources, all finish here.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth import login as django_login
from django.contrib.auth import logout as django_logout
from django.utils import timezone

from apps.audit.actions import record_event
from apps.audit.models import Action

BACKEND = "apps.accounts.backends.ArkidBackend"
# When this browser's user last proved who they are (Unix seconds): OIDC's max_age is measured
# from it (apps.oidc.views), per session, where ``last_login`` is any session's.
AUTH_TIME_KEY = "accounts:auth_time"


def start_session(request, user, *, via: str = "web") -> None:
    """Log ``user`` in on this browser (a new session key, so no fixation) and audit it.

    Django's ``login`` sets ``last_login`` through its ``user_logged_in`` receiver."""
    django_login(request, user, backend=BACKEND)
    now = timezone.now()
    request.session[AUTH_TIME_KEY] = int(now.timestamp())
    get_user_model().objects.filter(pk=user.pk).update(last_active_time=now)
    user.last_active_time = now
    record_event(Action.LOGIN_SUCCEEDED, actor=user, target=user, detail={"via": via})


def authenticated_at(request) -> float | None:
    """When this browser's session last proved its user (Unix seconds); for sessions started
    before the time was kept, the user's ``last_login``."""
    if AUTH_TIME_KEY in request.session:
        return float(request.session[AUTH_TIME_KEY])
    last_login = getattr(request.user, "last_login", None)
    return last_login.timestamp() if last_login else None


def end_session(request) -> None:
    """Log out this browser: flush the session and send Django's ``user_logged_out``."""
    user = request.user if request.user.is_authenticated else None
    django_logout(request)
    if user is not None:
        record_event(Action.LOGOUT, actor=user, target=user, detail={"via": "web"})
