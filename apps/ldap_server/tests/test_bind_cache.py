"""The optional bind cache: repeat binds skip the hash, a password change empties it."""

from __future__ import annotations

import pytest

from apps.audit.models import Action, Event
from apps.directory.actions.users import set_password
from apps.ldap_server.tests.conftest import PEOPLE
from apps.ldap_server.tests.test_binds import bind


@pytest.fixture
def bind_cache_seconds() -> float:
    return 60


def test_repeat_binds_are_cached_and_a_password_change_clears_them(tree, live_ldap, admin_user):
    dn = f"uid=alice,{PEOPLE}"
    assert bind(live_ldap, dn, "Passw0rd!x").bound
    assert bind(live_ldap, dn, "Passw0rd!x").bound
    events = Event.objects.filter(action=Action.LDAP_BIND_SUCCEEDED, actor_name=dn).order_by("id")
    assert [e.detail.get("cached", False) for e in events] == [False, True]
    assert not bind(live_ldap, dn, "wrong").bound  # a different password is never a hit

    set_password(tree["alice"], "N3w-Passw0rd!", actor=admin_user)
    assert not bind(live_ldap, dn, "Passw0rd!x").bound  # bind() syncs the change feed first
    assert bind(live_ldap, dn, "N3w-Passw0rd!").bound
