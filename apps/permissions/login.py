"""Fill the login response's ``perms`` with every permission the user holds (v1: the uids of
the user's perms whose value is true).

An administrator holds everything; listing every app permission in each login response would
grow with the number of apps, so administrators get ``system_oneid_all`` (which v1 clients
read as "everything"), as before this app existed.
"""

from __future__ import annotations

from apps.accounts.login_response import ADMIN_PERMS, register_login_response_contributor
from apps.directory.scope import resolve_scope
from apps.permissions.engine import user_perms


@register_login_response_contributor
def perms_contributor(user) -> dict:
    """A sub-administrator (a member of a manager group) gets ``is_manager``, the ``manager``
    role and, among ``perms``, the base system permissions their manager groups grant."""
    if user.is_admin:
        return {"perms": list(ADMIN_PERMS)}
    found = resolve_scope(user)
    body = {"perms": sorted(set(user_perms(user)) | found.perms)}
    if found.is_manager:
        body.update(is_manager=True, roles=["manager"])
    return body
