from __future__ import annotations

import pytest

from apps.audit.models import Action, Event
from apps.directory.actions.custom_fields import create_custom_field
from apps.directory.actions.users import set_user_custom_values
from apps.directory.tests.factories import add_member, create_test_group

pytestmark = pytest.mark.django_db

PROFILE = "/siteapi/oneid/ucenter/profile/"


@pytest.fixture
def fields(admin_user):
    shown = create_custom_field(actor=admin_user, name="Desk")
    hidden = create_custom_field(actor=admin_user, name="Salary band", is_visible=False)
    return shown, hidden


def test_profile_requires_login(api_client):
    assert api_client.get(PROFILE).status_code == 401
    assert api_client.patch(PROFILE, {"name": "x"}, format="json").status_code == 401


def test_any_active_user_reads_own_profile_with_visible_custom_fields_only(user_client, user, admin_user, fields):
    shown, hidden = fields
    set_user_custom_values(user, {"Desk": "A-1", "Salary band": "P7"}, actor=admin_user)
    add_member(create_test_group("Sales", uid="sales"), user)

    data = user_client.get(PROFILE).json()
    assert data["username"] == "alice"
    assert data["nodes"] == [{"node_uid": "d_sales", "uid": "sales", "name": "Sales", "type": "department"}]
    assert data["custom_user"]["data"] == {shown.uuid.hex: "A-1"}


def test_profile_patch_changes_editable_fields_and_ignores_read_only(user_client, user, fields):
    user.mobile, user.private_email, user.employee_number = "+8618812345678", "alice@home.net", "E7"
    user.save()
    shown, _hidden = fields
    body = {
        "name": "爱丽丝",
        "email": "Alice@Corp.com",
        "gender": 2,
        "position": "Engineer",
        "remark": "hi",
        "avatar": "a.png",
        "mobile": "+8613900000000",  # read-only: needs a verification code
        "private_email": "evil@example.com",
        "employee_number": "E1",
        "is_admin": True,
        "username": "mallory",
        "is_active": False,
        "custom_user": {"data": {shown.uuid.hex: "B-2"}},
    }
    response = user_client.patch(PROFILE, body, format="json")

    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["name"], data["email"], data["gender"], data["position"], data["avatar"]) == (
        "爱丽丝",
        "",  # read-only: a login identifier that apps trust, changed only with verification
        2,
        "Engineer",
        "a.png",
    )
    assert (data["username"], data["mobile"], data["private_email"], data["employee_number"], data["is_active"]) == (
        "alice",
        "+8618812345678",
        "alice@home.net",
        "E7",
        True,
    )
    assert data["is_admin"] is False and data["remark"] == ""
    assert data["custom_user"]["data"] == {shown.uuid.hex: "B-2"}
    events = Event.objects.filter(action=Action.USER_UPDATED)
    assert events.count() == 2  # fields, then custom values
    assert {e.actor_id for e in events} == {user.pk}


def test_profile_cannot_set_hidden_custom_fields(user_client, user, fields):
    _shown, hidden = fields
    response = user_client.patch(PROFILE, {"name": "New", "custom_user": {hidden.uuid.hex: "P9"}}, format="json")
    assert response.status_code == 400
    assert "custom_user" in response.json()
    user.refresh_from_db()
    assert user.name == "Alice"  # one transaction: the name did not change either


def test_profile_validation_errors(user_client):
    response = user_client.patch(PROFILE, {"name": "x" * 300, "gender": 9}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"name", "gender"}


def test_profile_cannot_probe_or_claim_other_emails(user_client, user, admin_user):
    admin_user.email = "admin@corp.com"
    admin_user.save()
    for email in ("ADMIN@corp.com", "ceo@corp.com"):
        response = user_client.patch(PROFILE, {"email": email}, format="json")
        assert response.status_code == 200  # ignored like every read-only field: no existence oracle
    user.refresh_from_db()
    assert user.email == ""


def test_admins_use_the_profile_too(admin_client):
    assert admin_client.get(PROFILE).json()["is_admin"] is True
