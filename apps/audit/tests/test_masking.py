from __future__ import annotations

import pytest

from apps.audit.actions import diff, record_event
from apps.audit.masking import MASK, is_sensitive, mask
from apps.audit.models import Action


@pytest.mark.parametrize(
    "name",
    ["password", "new_password", "oldPassword", "client_secret", "sms_token", "api-key", "TOTP", "invite_code"],
)
def test_sensitive_names(name):
    assert is_sensitive(name)


@pytest.mark.parametrize(
    "name", ["username", "name", "email", "mobile", "ip", "deleted", "postcode", "monkey", "keyword"]
)
def test_ordinary_names(name):
    assert not is_sensitive(name)


def test_nested_dicts_and_lists_are_walked():
    payload = {
        "user": {"username": "alice", "new_password": "hunter2", "profile": {"oldPassword": "x"}},
        "apps": [{"client_id": "abc", "client_secret": "s3cr3t"}, {"name": "wiki"}],
        "tokens": ["t1", "t2"],
        "sms_token": "123456",
        "note": "password is not a key here",
    }
    assert mask(payload) == {
        "user": {"username": "alice", "new_password": MASK, "profile": {"oldPassword": MASK}},
        "apps": [{"client_id": "abc", "client_secret": MASK}, {"name": "wiki"}],
        "tokens": [MASK, MASK],
        "sms_token": MASK,
        "note": "password is not a key here",
    }


def test_flags_about_secrets_are_not_secrets():
    assert mask({"must_reset_password": True, "password": "x"}) == {"must_reset_password": True, "password": MASK}


def test_empty_secrets_stay_empty_so_an_unset_value_is_visible():
    assert mask({"password": "", "client_secret": None}) == {"password": "", "client_secret": None}


@pytest.mark.django_db
def test_record_event_masks_changes_and_detail_before_storing(admin_user):
    changes = diff({"name": "A", "password": "old-pass"}, {"name": "B", "password": "new-pass"})
    event = record_event(
        Action.USER_UPDATED,
        actor=admin_user,
        target=admin_user,
        changes=changes,
        detail={"request": {"new_password": "hunter2", "client_secret": "s3cr3t", "page": 1}},
    )
    event.refresh_from_db()
    assert event.changes == {"name": ["A", "B"], "password": [MASK, MASK]}
    assert event.detail == {"request": {"new_password": MASK, "client_secret": MASK, "page": 1}}
    stored = str(event.changes) + str(event.detail)
    for secret in ("old-pass", "new-pass", "hunter2", "s3cr3t"):
        assert secret not in stored
