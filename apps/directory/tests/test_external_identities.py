from __future__ import annotations

import pytest

from apps.audit.models import Action, Event
from apps.core.exceptions import Conflict, DomainError
from apps.directory.actions.external_identities import (
    find_user_by_external_id,
    link_external_identity,
    unlink_external_identity,
)
from apps.directory.models import ExternalIdentity
from apps.directory.tests.factories import create_test_user

pytestmark = pytest.mark.django_db


def test_link_is_idempotent_and_audited(admin_user):
    alice = create_test_user("alice")
    first = link_external_identity(alice, provider="DingTalk", external_id="union-1", actor=admin_user)
    again = link_external_identity(alice, provider="dingtalk", external_id="union-1", actor=admin_user)
    assert first.pk == again.pk
    assert first.provider == "dingtalk"
    assert find_user_by_external_id("dingtalk", "union-1") == alice
    events = Event.objects.filter(action=Action.EXTERNAL_IDENTITY_LINKED)
    assert events.count() == 1
    assert events.get().detail == {"provider": "dingtalk", "external_id": "union-1"}


def test_external_account_belongs_to_one_user(admin_user):
    alice, bob = create_test_user("alice"), create_test_user("bob")
    link_external_identity(alice, provider="dingtalk", external_id="union-1", actor=admin_user)
    with pytest.raises(Conflict):
        link_external_identity(bob, provider="dingtalk", external_id="union-1", actor=admin_user)


def test_one_account_per_provider_per_user(admin_user):
    alice = create_test_user("alice")
    link_external_identity(alice, provider="dingtalk", external_id="union-1", actor=admin_user)
    with pytest.raises(Conflict):
        link_external_identity(alice, provider="dingtalk", external_id="union-2", actor=admin_user)
    assert ExternalIdentity.objects.filter(user=alice).count() == 1


def test_blank_ids_are_refused(admin_user):
    alice = create_test_user("alice")
    with pytest.raises(DomainError) as err:
        link_external_identity(alice, provider="dingtalk", external_id="  ", actor=admin_user)
    assert err.value.field == "external_id"


def test_unlink(admin_user):
    alice = create_test_user("alice")
    link_external_identity(alice, provider="dingtalk", external_id="union-1", actor=admin_user)
    assert unlink_external_identity(alice, provider="dingtalk", actor=admin_user) is True
    assert unlink_external_identity(alice, provider="dingtalk", actor=admin_user) is False
    assert find_user_by_external_id("dingtalk", "union-1") is None
    assert Event.objects.filter(action=Action.EXTERNAL_IDENTITY_UNLINKED).count() == 1
