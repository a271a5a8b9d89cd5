"""The body of a successful login: ArkID v1's shape, with a registry for other apps' fields.

Apps that know more about the user (permissions, manager scopes, DingTalk bindings)
append a callable to :data:`login_response_contributors`; each receives the user and
returns a dict that is merged over the base fields, so a contributor may replace
``perms``, ``roles`` or ``is_manager``. Registration happens in the contributing app's
``AppConfig.ready``.
"""

from __future__ import annotations

from collections.abc import Callable

LoginResponseContributor = Callable[[object], dict]

login_response_contributors: list[LoginResponseContributor] = []

# Until the permission system exists, administrators hold everything and nobody else holds anything.
ADMIN_PERMS = ["system_oneid_all"]


def register_login_response_contributor(contributor: LoginResponseContributor) -> LoginResponseContributor:
    """Add ``contributor`` once (usable as a decorator); re-registration on reload is a no-op."""
    if contributor not in login_response_contributors:
        login_response_contributors.append(contributor)
    return contributor


def user_summary(user) -> dict:
    """The profile fields v1 returned with a token (also used by invitation acceptance)."""
    return {
        "user_id": user.pk,
        "uuid": str(user.uuid),
        "username": user.username,
        "name": user.name,
        "email": user.email,
        "mobile": user.mobile,
        "employee_number": user.employee_number,
        "gender": user.gender,
        "avatar": user.avatar,
        "private_email": user.private_email,
        "position": user.position,
    }


def build_login_response(user, raw_token: str) -> dict:
    body = {
        "token": raw_token,
        **user_summary(user),
        "perms": list(ADMIN_PERMS) if user.is_admin else [],
        "roles": ["admin"] if user.is_admin else [],
        "is_settled": user.is_settled,
        "is_manager": False,
        "is_admin": user.is_admin,
        "origin_verbose": str(user.get_origin_display()),
        "require_reset_password": user.must_reset_password,
        "has_password": user.has_usable_password(),
    }
    for contributor in login_response_contributors:
        body.update(contributor(user))
    return body
