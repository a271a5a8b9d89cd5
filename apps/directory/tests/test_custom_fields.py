from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from apps.audit.models import Action, Event
from apps.directory.actions import custom_fields as field_actions
from apps.directory.actions.users import set_user_custom_values
from apps.directory.models import CustomField, CustomFieldValue
from apps.directory.tests.factories import create_test_user

pytestmark = pytest.mark.django_db

API = "/siteapi/oneid/"
FIELDS = API + "config/custom/field/user/"


def make_field(admin, name, field_type="string", **kwargs) -> CustomField:
    return field_actions.create_custom_field(actor=admin, name=name, field_type=field_type, **kwargs)


# --- definitions through the API ---------------------------------------------------------


def test_custom_field_crud(admin_client, admin_user):
    response = admin_client.post(FIELDS, {"name": "工位", "field_type": "string"}, format="json")
    assert response.status_code == 201, response.content
    field = response.json()
    assert field["name"] == "工位" and field["is_visible"] is True and field["schema"] == {"type": "string"}
    # v1's body: the type inside a JSON schema
    response = admin_client.post(FIELDS, {"name": "Level", "schema": {"type": "number"}}, format="json")
    assert response.json()["field_type"] == "number"

    listing = admin_client.get(FIELDS).json()
    assert [f["name"] for f in listing["results"]] == ["工位", "Level"]

    detail = FIELDS + field["uuid"] + "/"
    assert admin_client.get(detail).json()["uuid"] == field["uuid"]
    response = admin_client.patch(detail, {"name": "Desk", "is_visible": False}, format="json")
    assert (response.json()["name"], response.json()["is_visible"]) == ("Desk", False)
    updated = Event.objects.get(action=Action.CUSTOM_FIELD_UPDATED)
    assert updated.changes == {"is_visible": [True, False], "name": ["工位", "Desk"]}
    assert updated.actor == admin_user

    assert admin_client.delete(detail).status_code == 204
    assert admin_client.get(detail).status_code == 404
    assert Event.objects.filter(action=Action.CUSTOM_FIELD_CREATED).count() == 2
    assert Event.objects.filter(action=Action.CUSTOM_FIELD_DELETED).count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x", "field_type": "json"}, "field_type"),
        ({"name": "x", "is_visible": "sure"}, "is_visible"),
        ({"name": "Taken"}, "name"),
    ],
)
def test_custom_field_validation(admin_client, admin_user, body, field):
    make_field(admin_user, "Taken")
    response = admin_client.post(FIELDS, body, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_custom_field_endpoints_are_admin_only(api_client, user_client):
    assert api_client.get(FIELDS).status_code == 401
    assert user_client.get(FIELDS).status_code == 403
    assert user_client.post(FIELDS, {"name": "x"}, format="json").status_code == 403
    assert user_client.get(FIELDS + "not-a-uuid/").status_code == 403


def test_unknown_field_uuid_is_404(admin_client):
    assert admin_client.get(FIELDS + "not-a-uuid/").status_code == 404
    assert admin_client.patch(FIELDS + "0" * 32 + "/", {"name": "x"}, format="json").status_code == 404


def test_changing_the_type_converts_values_or_refuses(admin_user):
    field = make_field(admin_user, "Floor")
    user = create_test_user("amy")
    set_user_custom_values(user, {field.uuid.hex: "3.50"}, actor=admin_user)
    field_actions.update_custom_field(field, {"field_type": "number"}, actor=admin_user)
    assert CustomFieldValue.objects.get(field=field).value == "3.5"

    text = make_field(admin_user, "Note")
    set_user_custom_values(user, {"Note": "hello"}, actor=admin_user)
    with pytest.raises(ValidationError) as caught:
        field_actions.update_custom_field(text, {"field_type": "date"}, actor=admin_user)
    assert "field_type" in caught.value.message_dict
    text.refresh_from_db()
    assert text.field_type == "string"


def test_deleting_a_field_deletes_its_values(admin_client, admin_user):
    field = make_field(admin_user, "Desk")
    set_user_custom_values(create_test_user("amy"), {"Desk": "A-1"}, actor=admin_user)
    assert admin_client.delete(FIELDS + field.uuid.hex + "/").status_code == 204
    assert not CustomFieldValue.objects.exists()
    assert Event.objects.get(action=Action.CUSTOM_FIELD_DELETED).detail["values_deleted"] == 1


# --- values ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field_type", "given", "stored", "shown"),
    [
        ("string", "  A-12 ", "A-12", "A-12"),
        ("number", "007.50", "7.5", 7.5),
        ("number", 42, "42", 42),
        ("number", "-0", "0", 0),
        ("date", "2024-02-29", "2024-02-29", "2024-02-29"),
        ("boolean", True, "true", True),
        ("boolean", "no", "false", False),
    ],
)
def test_values_are_stored_canonically_and_shown_typed(admin_client, admin_user, field_type, given, stored, shown):
    field = make_field(admin_user, "F", field_type)
    create_test_user("amy")
    response = admin_client.patch(API + "user/amy/", {"custom_user": {"data": {field.uuid.hex: given}}}, format="json")
    assert response.status_code == 200, response.content
    assert CustomFieldValue.objects.get(field=field).value == stored
    assert response.json()["custom_user"]["data"] == {field.uuid.hex: shown}
    assert response.json()["custom_user"]["pretty"] == [{"uuid": field.uuid.hex, "name": "F", "value": shown}]


@pytest.mark.parametrize(
    ("field_type", "given"),
    [
        ("number", "ten"),
        ("number", "NaN"),
        ("number", True),
        # Huge numbers: Decimal overflow, Python's int-string limit, the numeric(40,10) filter cast.
        ("number", "1e999999999"),
        ("number", "1e5000"),
        ("number", "1e30"),
        ("number", "9" * 100),
        ("date", "2023-02-29"),
        ("boolean", "perhaps"),
    ],
)
def test_bad_values_are_400_and_change_nothing(admin_client, admin_user, field_type, given):
    field = make_field(admin_user, "F", field_type)
    create_test_user("amy", name="Amy")
    body = {"user": {"name": "Changed"}, "custom_user": {"data": {field.uuid.hex: given}}}
    response = admin_client.patch(API + "user/amy/", body, format="json")
    assert response.status_code == 400
    assert "custom_user" in response.json()
    assert not CustomFieldValue.objects.exists()
    assert admin_client.get(API + "user/amy/").json()["name"] == "Amy"  # one transaction


def test_set_values_by_name_audits_and_empty_removes(admin_user):
    make_field(admin_user, "Desk")
    user = create_test_user("amy")
    assert set_user_custom_values(user, {"Desk": "A-1"}, actor=admin_user) == {"custom:Desk": "A-1"}
    set_user_custom_values(user, {"Desk": "A-1"}, actor=admin_user)  # unchanged: no event
    set_user_custom_values(user, {"Desk": ""}, actor=admin_user)
    assert not CustomFieldValue.objects.exists()
    changes = [e.changes for e in Event.objects.filter(action=Action.USER_UPDATED).order_by("id")]
    assert changes == [{"custom:Desk": [None, "A-1"]}, {"custom:Desk": ["A-1", None]}]
    with pytest.raises(ValidationError):
        set_user_custom_values(user, {"Nope": "x"}, actor=admin_user)


def test_create_user_with_custom_values(admin_client, admin_user):
    field = make_field(admin_user, "Level", "number")
    body = {"user": {"username": "neo"}, "custom_user": {"data": {field.uuid.hex: "3"}}}
    response = admin_client.post(API + "user/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["custom_user"]["data"] == {field.uuid.hex: 3}


# --- filters -------------------------------------------------------------------------------


@pytest.fixture
def levels(admin_user):
    level = make_field(admin_user, "Level", "number")
    joined = make_field(admin_user, "Joined", "date")
    remote = make_field(admin_user, "Remote", "boolean")
    desk = make_field(admin_user, "Desk")
    for name, values in {
        "amy": {"Level": 9, "Joined": "2020-05-01", "Remote": True, "Desk": "A-9"},
        "ben": {"Level": 10, "Joined": "2021-01-15", "Remote": False, "Desk": "B-10"},
        "cat": {"Level": 2.5, "Joined": "2019-12-31"},
    }.items():
        set_user_custom_values(create_test_user(name), values, actor=admin_user)
    return {"level": level.uuid.hex, "joined": joined.uuid.hex, "remote": remote.uuid.hex, "desk": desk.uuid.hex}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("{level}__custom=10", ["ben"]),
        ("{level}__custom=10.0", ["ben"]),
        ("{level}__custom__gt=9", ["ben"]),  # numeric, not text order ("10" < "9" as text)
        ("{level}__gte__custom=9", ["amy", "ben"]),  # v1's spelling
        ("{level}__custom__lt=9", ["cat"]),
        ("{joined}__custom__gte=2020-01-01", ["amy", "ben"]),
        ("{joined}__custom__lte=2020-05-01", ["amy", "cat"]),
        ("{remote}__custom=true", ["amy"]),
        ("{remote}__custom=false", ["ben"]),
        ("{desk}__custom=B-10", ["ben"]),
        ("{desk}__custom__lt=B", ["amy"]),
        ("{level}__custom__gt=2&{remote}__custom=true", ["amy"]),
    ],
)
def test_custom_field_filters(admin_client, levels, query, expected):
    response = admin_client.get(API + "user/?" + query.format(**levels))
    assert response.status_code == 200, response.content
    assert [u["username"] for u in response.json()["results"]] == expected


@pytest.mark.parametrize(
    "query",
    [
        "{level}__custom=high",
        "{remote}__custom__gt=true",
        "{joined}__custom__lt=soon",
        "{level}__lt__custom__gt=1",
        "{level}__custom__gt=1e999999999",
    ],
)
def test_bad_custom_filters_are_400(admin_client, levels, query):
    query = query.format(**levels)
    response = admin_client.get(API + "user/?" + query)
    assert response.status_code == 400
    assert list(response.json()) == [query.split("=")[0]]
