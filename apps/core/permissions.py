"""Who may call an endpoint: active users, administrators, and the forced password change.

A user whose ``must_reset_password`` is set (the bootstrap ``admin``/``admin`` account, an
administrator's reset) gets a working token at login, but until the password is changed
that token only opens the views that opt in with the ``allowed_during_password_change``
attribute: ``True`` for every method, or a collection of method names such as ``("GET",)``.
Every other view guarded by :class:`IsActiveUser` or :class:`IsArkidAdmin` (the API's
default) answers 403 with ``code: password_change_required``, so the client knows to show
the change-password form instead of a generic error.

``ApiTokenAuthentication`` applies the same rule to every view a token reaches, so views
with their own permission classes are covered too; they still opt in with the same attribute.

The classes live in core, the lowest layer, so that every app's views use the same ones;
they only read attributes of the user (``is_active``, ``is_admin``, ``must_reset_password``).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.permissions import BasePermission

ALLOW_ATTRIBUTE = "allowed_during_password_change"
PASSWORD_CHANGE_REQUIRED = "password_change_required"  # noqa: S105 - an error code, not a secret
# Methods that only describe a resource follow GET's rule.
_READ_ALIASES = {"HEAD": "GET", "OPTIONS": "GET"}


class PasswordChangeRequired(exceptions.PermissionDenied):
    default_code = PASSWORD_CHANGE_REQUIRED

    def __init__(self):
        # A dict detail is rendered as-is, giving {"detail": ..., "code": ...}.
        super().__init__(
            {
                "detail": _("You must change your password before using this endpoint."),
                "code": PASSWORD_CHANGE_REQUIRED,
            }
        )


def view_allows_pending_password_change(view, method: str) -> bool:
    allowed = getattr(view, ALLOW_ATTRIBUTE, False)
    if allowed is True:
        return True
    if not allowed:
        return False
    methods = {m.upper() for m in allowed}
    return method.upper() in methods or _READ_ALIASES.get(method.upper()) in methods


def enforce_password_change(user, method: str, view) -> None:
    """Raise 403 ``password_change_required`` if ``user`` must change the password before
    calling ``method`` on ``view``."""
    if getattr(user, "must_reset_password", False) and not view_allows_pending_password_change(view, method):
        raise PasswordChangeRequired()


def _is_active_user(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


class IsActiveUser(BasePermission):
    """Any authenticated, active user (who is not held at the forced password change)."""

    def has_permission(self, request, view) -> bool:
        if not _is_active_user(request.user):
            return False
        enforce_password_change(request.user, request.method, view)
        return True


class IsArkidAdmin(BasePermission):
    """The default for every endpoint: an authenticated, active administrator."""

    def has_permission(self, request, view) -> bool:
        if not _is_active_user(request.user):
            return False
        enforce_password_change(request.user, request.method, view)
        return bool(request.user.is_admin)


# --- sub-administrators -------------------------------------------------------------------
# Core may not import the directory, which knows scopes, so the directory registers a
# provider: ``provider(user)`` returns an object with ``is_admin``, ``is_manager`` and
# ``holds(perm_uid)`` (``apps.directory.scope.ManageScope``). Without one, only
# administrators pass these checks.

_scope_provider = None

# Short names of v1's base system permissions (``admin_or_holder("create_user")``).
SYSTEM_PERMS = {
    "create_user": "system_user_create",
    "create_category": "system_category_create",
    "create_app": "system_app_create",
    "read_log": "system_log_read",
    "write_config": "system_config_write",
    "account_sync": "system_account_sync",
    "run_account_sync": "system_account_sync",
}


def register_scope_provider(provider) -> None:
    global _scope_provider
    _scope_provider = provider


def manage_scope(user):
    """The user's management scope, or None when no provider is registered."""
    return _scope_provider(user) if _scope_provider is not None else None


def _is_manager(user) -> bool:
    scope = manage_scope(user)
    return bool(scope is not None and scope.is_manager)


class IsArkidManager(BasePermission):
    """An administrator or a sub-administrator (a member of a manager group). Views using it
    must still check every object against the actor's scope (the directory's scope module)."""

    def has_permission(self, request, view) -> bool:
        if not _is_active_user(request.user):
            return False
        enforce_password_change(request.user, request.method, view)
        return bool(request.user.is_admin or _is_manager(request.user))


def admin_or_holder(perm: str) -> type[BasePermission]:
    """A permission class: an administrator, or a sub-administrator holding the base system
    permission ``perm`` (a short name from :data:`SYSTEM_PERMS` or a ``system_*`` uid)."""
    perm_uid = SYSTEM_PERMS.get(perm, perm)

    class AdminOrHolder(BasePermission):
        def has_permission(self, request, view) -> bool:
            if not _is_active_user(request.user):
                return False
            enforce_password_change(request.user, request.method, view)
            if request.user.is_admin:
                return True
            scope = manage_scope(request.user)
            return bool(scope is not None and scope.is_manager and scope.holds(perm_uid))

    AdminOrHolder.__name__ = AdminOrHolder.__qualname__ = f"AdminOrHolder_{perm_uid}"
    return AdminOrHolder
