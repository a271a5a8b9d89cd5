"""Claims per scope, and ``sub`` as the user's UUID."""

from __future__ import annotations

import pytest

from apps.directory.models import Membership
from apps.directory.tests.factories import create_test_group
from apps.oidc.claims import claims_for

pytestmark = pytest.mark.django_db


def test_each_claim_only_under_its_scope(bob):
    group = create_test_group("Engineering", uid="eng")
    Membership.objects.create(user=bob, group=group)
    assert claims_for(bob, ["openid"]) == {"sub": str(bob.uuid)}
    profile = claims_for(bob, ["openid", "profile"])
    assert profile["preferred_username"] == "bob" and profile["name"] == "Bob Builder"
    assert "email" not in profile and "groups" not in profile
    assert claims_for(bob, ["email"])["email_verified"] is False
    assert claims_for(bob, ["phone"])["phone_number"] == "+8618812345678"
    groups = claims_for(bob, ["groups"])
    assert groups["groups"] == ["Engineering"] and groups["group_ids"] == ["eng"]


def test_empty_values_are_left_out(db):
    from apps.directory.tests.factories import create_test_user

    plain = create_test_user("plain", name="")
    released = claims_for(plain, ["profile", "email", "phone"])
    assert set(released) == {"sub", "preferred_username", "updated_at"}


def test_every_released_claim_belongs_to_the_scope_that_released_it(bob):
    from apps.oidc.claims import CLAIM_SCOPES

    group = create_test_group("Engineering", uid="eng")
    Membership.objects.create(user=bob, group=group)
    bob.avatar = "https://cdn.example.com/bob.png"
    bob.save()
    for scope in {*CLAIM_SCOPES.values(), "openid", "read", "write"}:
        allowed = {claim for claim, needs in CLAIM_SCOPES.items() if needs == scope} | {"sub"}
        assert set(claims_for(bob, ["openid", scope])) <= allowed, scope
    everything = claims_for(bob, ["openid", *set(CLAIM_SCOPES.values())])
    assert set(everything) == {*CLAIM_SCOPES, "sub"}  # nothing mapped is unreachable, nothing unmapped


def test_names_the_directory_does_not_hold_are_not_advertised(client):
    supported = client.get("/.well-known/openid-configuration").json()["claims_supported"]
    assert "name" in supported
    assert "given_name" not in supported and "family_name" not in supported
