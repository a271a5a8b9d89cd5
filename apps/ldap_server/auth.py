"""Who a connection is bound as, and which entries it may see.

Runs in a worker thread (the ORM and password hashing are synchronous and slow), never on the
event loop. Every bind, successful or not, is audited with the peer address.

- ``cn=admin,<base>`` with ``ARKID_LDAP_ADMIN_PASSWORD`` (empty: the admin DN is disabled)
  sees everything.
- ``cn=<app uid>,ou=apps,<base>`` with the app's service secret sees every active user, or
  only those allowed to use the app when its ``access_holders_only`` is set.
- ``uid=<username>,ou=people,<base>`` with the user's ArkID password (inactive users are
  refused) sees what the directory's visibility rules let the user see.
- Anonymous (empty DN and password) only when ``ARKID_LDAP_ALLOW_ANONYMOUS`` is on; it then
  sees everything. A DN with an empty password ("unauthenticated bind", RFC 4513 5.1.2) is
  always refused.
"""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password

from apps.audit.actions import record_event
from apps.audit.models import Action, Outcome
from apps.core import request_context
from apps.ldap_server import matching

# Hashed once, so a bind to an unknown DN costs one hash like a real one (no user probing).
_DUMMY_HASH: list[str] = []


@dataclass(frozen=True)
class Principal:
    kind: str  # "anonymous", "admin", "app" or "user"
    dn: str = ""
    users: frozenset[int] | None = None  # user pks visible; None: all
    groups: frozenset[int] | None = None  # group pks visible; None: all
    pending_user: int | None = None  # a user whose visible sets are computed at first read

    def authzid(self) -> str:
        return f"dn:{self.dn}" if self.dn else ""


ANONYMOUS = Principal("anonymous")


class BindRefused(Exception):
    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _dummy_check(password: str) -> None:
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(make_password(uuid.uuid4().hex))
    check_password(password, _DUMMY_HASH[0])


def check_user_password(user, password: str, *, peer: str = "", dn: str = "") -> bool:
    """The password check of a user bind, through the accounts guard: the same progressive
    delay and lockout per account and per client IP as the web and API logins, inactive users
    refused. The guard audits a failure or a lockout refusal as ``ldap.bind_failed``."""
    from apps.accounts import guard

    token = request_context.activate(request_context.RequestContext(ip=peer or None, user_agent="ldap"))
    try:
        found = guard.verify_password_attempt(
            user.username,
            password,
            ip=peer or None,
            channel="ldap",
            user=user,
            action=Action.LDAP_BIND_FAILED,
            actor_name=dn[:150],
        )
    except guard.LockedOut:
        return False
    finally:
        request_context.reset(token)
    return found is not None


def _audit(ok: bool, dn: str, peer: str, *, user=None, target=None, reason: str = "") -> None:
    token = request_context.activate(request_context.RequestContext(ip=peer or None, user_agent="ldap"))
    try:
        record_event(
            Action.LDAP_BIND_SUCCEEDED if ok else Action.LDAP_BIND_FAILED,
            actor=user,
            actor_name=dn[:150],
            target=target,
            detail={"dn": dn[:512], **({"reason": reason} if reason else {})},
            outcome=Outcome.SUCCESS if ok else Outcome.FAILURE,
        )
    finally:
        request_context.reset(token)


def _split(dn: str) -> tuple[str, str, str]:
    """(rdn attribute, rdn value, normalised parent DN)."""
    rdns = matching.split_dn(dn)
    if not rdns or "=" not in rdns[0]:
        return "", "", ""
    attr, value = matching.parse_rdn(rdns[0])
    return attr, value, matching.normalize_dn(",".join(rdns[1:]))


def bind(dn: str, password: str, peer: str = "") -> Principal:
    """The principal for a simple bind, or BindRefused (invalidCredentials, 49, for every
    credential problem so a client cannot tell an unknown DN from a wrong password)."""
    from apps.ldap_server.protocol import Result

    if not dn and not password:
        if settings.LDAP_ALLOW_ANONYMOUS:
            return ANONYMOUS
        raise BindRefused(Result.INAPPROPRIATE_AUTHENTICATION, "anonymous bind is disabled")
    if not password:
        raise BindRefused(Result.UNWILLING_TO_PERFORM, "unauthenticated bind (DN with an empty password)")
    base = matching.normalize_dn(settings.LDAP_BASE_DN)
    attr, value, parent = _split(dn)
    if attr == "cn" and parent == base and value.lower() == "admin":
        return _admin_bind(dn, password, peer)
    if attr == "cn" and parent == f"ou=apps,{base}":
        return _app_bind(dn, value, password, peer)
    if attr == "uid" and parent == f"ou=people,{base}":
        return _user_bind(dn, value, password, peer)
    _dummy_check(password)
    _audit(False, dn, peer, reason="unknown_dn")
    raise BindRefused(Result.INVALID_CREDENTIALS, "")


def _admin_bind(dn: str, password: str, peer: str) -> Principal:
    from apps.ldap_server.protocol import Result

    expected = settings.LDAP_ADMIN_PASSWORD
    if expected and hmac.compare_digest(expected.encode(), password.encode()):
        _audit(True, dn, peer)
        return Principal("admin", dn)
    _audit(False, dn, peer, reason="bad_password" if expected else "admin_disabled")
    raise BindRefused(Result.INVALID_CREDENTIALS, "")


def _app_bind(dn: str, app_uid: str, password: str, peer: str) -> Principal:
    from apps.ldap_server.models import ServiceAccount
    from apps.ldap_server.protocol import Result
    from apps.permissions.engine import holders
    from apps.permissions.models import Permission

    account = ServiceAccount.objects.select_related("app").filter(app__uid=app_uid).first()
    if account is None:
        _dummy_check(password)
        _audit(False, dn, peer, reason="unknown_app")
        raise BindRefused(Result.INVALID_CREDENTIALS, "")
    if not check_password(password, account.secret_hash):
        _audit(False, dn, peer, target=account.app, reason="bad_secret")
        raise BindRefused(Result.INVALID_CREDENTIALS, "")
    users = None
    if account.access_holders_only:
        perm = Permission.objects.filter(uid=account.app.access_perm_uid).first()
        users = frozenset(holders(perm).values_list("id", flat=True)) if perm else frozenset()
    _audit(True, dn, peer, target=account.app)
    return Principal("app", dn, users=users)


def _user_bind(dn: str, username: str, password: str, peer: str) -> Principal:
    from apps.directory.models import User
    from apps.ldap_server.protocol import Result

    user = User.objects.filter(username=username.strip().lower()).first()
    if user is None:
        _dummy_check(password)
        _audit(False, dn, peer, reason="unknown_user")
        raise BindRefused(Result.INVALID_CREDENTIALS, "")
    # Known users go through the accounts guard (which audits failures, inactive included);
    # an unknown uid never reaches it, since the guard would also match emails and mobiles.
    if not check_user_password(user, password, peer=peer, dn=dn):
        raise BindRefused(Result.INVALID_CREDENTIALS, "")
    _audit(True, dn, peer, user=user, target=user)
    if user.is_admin:
        return Principal("user", dn)
    # Many clients bind only to check a password: the visible sets wait for the first read.
    return Principal("user", dn, pending_user=user.pk)


def audit_cached_bind(principal: Principal, peer: str) -> None:
    """A bind answered from the bind cache is audited like any other (marked as cached)."""
    from apps.directory.models import User

    user = User.objects.filter(pk=principal.pending_user).first() if principal.pending_user else None
    token = request_context.activate(request_context.RequestContext(ip=peer or None, user_agent="ldap"))
    try:
        record_event(
            Action.LDAP_BIND_SUCCEEDED,
            actor=user,
            actor_name=principal.dn[:150],
            target=user,
            detail={"dn": principal.dn[:512], "cached": True},
        )
    finally:
        request_context.reset(token)


def resolve(principal: Principal) -> Principal:
    """The principal with its visible sets computed (the directory's visibility rules)."""
    from apps.directory import visibility
    from apps.directory.models import User

    user = User.objects.filter(pk=principal.pending_user, is_active=True).first()
    if user is None:
        return Principal(principal.kind, principal.dn, users=frozenset(), groups=frozenset())
    viewer = visibility.viewer_for(user)
    users = frozenset(visibility.visible_users(viewer).values_list("id", flat=True))
    groups = frozenset(visibility.fully_visible_groups(viewer).values_list("id", flat=True))
    return Principal(principal.kind, principal.dn, users=users, groups=groups)
