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
