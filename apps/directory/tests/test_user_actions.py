from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError

from apps.audit.masking import MASK
from apps.audit.models import Action, Event
from apps.core.exceptions import DomainError
from apps.directory import signals
from apps.directory.actions import users as user_actions
from apps.directory.models import Membership, Origin, User
from apps.directory.tests.factories import add_member, create_test_group, create_test_user

pytestmark = pytest.mark.django_db

STRONG = "Correct-Horse-42"


def events(action: Action):
    return list(Event.objects.filter(action=action).order_by("id"))


@pytest.fixture
def received():
    """Collects (signal name, kwargs) of the directory's signals."""
    calls = []

    def listener(signal_name):
        def receive(sender, **kwargs):
            kwargs.pop("signal", None)
            calls.append((signal_name, kwargs))

        return receive

    receivers = {name: listener(name) for name in ("password_changed", "user_deleted")}
    signals.password_changed.connect(receivers["password_changed"])
    signals.user_deleted.connect(receivers["user_deleted"])
    yield calls
    signals.password_changed.disconnect(receivers["password_changed"])
    signals.user_deleted.disconnect(receivers["user_deleted"])


def test_create_user_normalises_and_audits_with_masked_password(admin_user):
    user = user_actions.create_user(
        actor=admin_user,
        username="Zhang.San",
        name="张三",
        email="ZS@Example.COM",
        mobile="188 1234 5678",
        password=STRONG,
    )

    user.refresh_from_db()
    assert (user.username, user.email, user.mobile, user.origin) == (
        "zhang.san",
        "zs@example.com",
        "+8618812345678",
        Origin.ADMIN,
    )
    assert user.check_password(STRONG)
    [event] = events(Action.USER_CREATED)
    assert event.actor == admin_user
    assert event.target_id == str(user.pk)
    assert event.changes["username"] == [None, "zhang.san"]
    assert event.changes["name"] == [None, "张三"]
    assert event.changes["password"] == [None, MASK]
    assert STRONG not in json.dumps([event.changes, event.detail])


def test_create_user_without_password_is_unusable_and_not_in_audit(admin_user):
    user = user_actions.create_user(actor=admin_user, username="nopass", origin=Origin.SCRIPT)
    assert not user.has_usable_password()
    assert user.origin == Origin.SCRIPT
    assert "password" not in events(Action.USER_CREATED)[0].changes


def test_create_user_reports_every_bad_field_at_once(admin_user):
    with pytest.raises(ValidationError) as caught:
        user_actions.create_user(actor=admin_user, username="-bad name", email="not-an-email", mobile="12", gender=7)
    assert set(caught.value.message_dict) == {"username", "email", "mobile", "gender"}
    assert "lower-case letters" in caught.value.message_dict["username"][0]
    assert not User.objects.filter(name="").exclude(pk=admin_user.pk).exists()


def test_create_user_requires_username_and_rejects_unknown_fields(admin_user):
    with pytest.raises(ValidationError) as caught:
        user_actions.create_user(actor=admin_user, name="x")
    assert "username" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        user_actions.create_user(actor=admin_user, username="ok", is_admin=True)
    assert "is_admin" in caught.value.message_dict


def test_create_user_validates_password_with_django_validators(admin_user):
    with pytest.raises(ValidationError) as caught:
        user_actions.create_user(actor=admin_user, username="weak", password="12345678")
    assert "password" in caught.value.message_dict
    assert not User.objects.filter(username="weak").exists()


def test_taken_values_are_reported_per_field(admin_user):
    create_test_user("taken", email="a@example.com", private_email="p@example.com", mobile="+8618812345678")
    with pytest.raises(ValidationError) as caught:
        user_actions.create_user(
            actor=admin_user,
            username="TAKEN",
            email="A@example.com",
            private_email="P@Example.com",
            mobile="18812345678",
        )
    assert caught.value.message_dict == {
        "username": ["A user with this username already exists."],
        "email": ["A user with this email already exists."],
        "private_email": ["A user with this private email already exists."],
        "mobile": ["A user with this mobile number already exists."],
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("username", "dup"),
        ("email", "dup@example.com"),
        ("private_email", "dup@example.com"),
        ("mobile", "18800000000"),
    ],
)
def test_database_constraint_violation_becomes_a_field_error(admin_user, monkeypatch, field, value):
    """When another transaction wins the race, the friendly check sees nothing; the unique
    constraint's IntegrityError must then name the same field, not give a 500."""
    create_test_user("dup", email="dup@example.com", private_email="dup@example.com", mobile="+8618800000000")
    monkeypatch.setattr(user_actions, "find_taken_fields", lambda *args, **kwargs: {})
    fields = {"username": "other", field: value}
    with pytest.raises(ValidationError) as caught:
        user_actions.create_user(actor=admin_user, **fields)
    assert list(caught.value.message_dict) == [field]
    assert "already exists" in caught.value.message_dict[field][0]
    assert User.objects.count() == 2  # admin and dup: the failed insert left nothing behind


def test_create_user_adds_groups_and_audits_memberships(admin_user):
    dept = create_test_group("研发部")
    user = user_actions.create_user(actor=admin_user, username="dev", groups=[dept, dept])
    assert list(Membership.objects.filter(user=user).values_list("group_id", flat=True)) == [dept.pk]
    [added] = events(Action.MEMBERS_ADDED)
    assert added.detail["users"] == ["dev"]


def test_update_user_audits_only_changed_fields(admin_user):
    user = create_test_user("bob", name="Bob", email="bob@example.com")
    user_actions.update_user(user, {"name": "Robert", "email": "BOB@example.com", "gender": 1}, actor=admin_user)

    user.refresh_from_db()
    assert (user.name, user.gender) == ("Robert", 1)
    [event] = events(Action.USER_UPDATED)
    assert event.changes == {"gender": [0, 1], "name": ["Bob", "Robert"]}

    user_actions.update_user(user, {"name": "Robert"}, actor=admin_user)
    assert len(events(Action.USER_UPDATED)) == 1  # nothing changed, nothing recorded


def test_update_user_keeps_username_and_refuses_password(admin_user):
    user = create_test_user("carol")
    user_actions.update_user(user, {"username": "Carol"}, actor=admin_user)  # same name, other case: fine
    with pytest.raises(ValidationError) as caught:
        user_actions.update_user(user, {"username": "caroline"}, actor=admin_user)
    assert "username" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        user_actions.update_user(user, {"password": STRONG}, actor=admin_user)
    assert "password" in caught.value.message_dict


def test_update_user_rejects_a_value_another_user_holds(admin_user):
    create_test_user("dave", email="dave@example.com")
    erin = create_test_user("erin")
    with pytest.raises(ValidationError) as caught:
        user_actions.update_user(erin, {"email": "Dave@Example.com"}, actor=admin_user)
    assert caught.value.message_dict == {"email": ["A user with this email already exists."]}


def test_cannot_deactivate_yourself_or_the_last_admin(admin_user):
    with pytest.raises(DomainError) as caught:
        user_actions.update_user(admin_user, {"is_active": False}, actor=admin_user)
    assert caught.value.code == "self"
    other_admin = create_test_user("root2", is_admin=True)
    user_actions.update_user(other_admin, {"is_active": False}, actor=admin_user)  # one admin remains
    with pytest.raises(DomainError) as caught:
        user_actions.update_user(admin_user, {"is_active": False}, actor=None)
    assert caught.value.code == "last_admin"
    assert User.objects.get(pk=admin_user.pk).is_active


def test_admin_sets_password_audits_and_signals_on_commit(admin_user, received, django_capture_on_commit_callbacks):
    user = create_test_user("frank")
    with django_capture_on_commit_callbacks(execute=True):
        user_actions.set_password(user, STRONG, actor=admin_user, must_reset=True)
    user.refresh_from_db()
    assert user.check_password(STRONG) and user.must_reset_password
    [event] = events(Action.USER_PASSWORD_SET)
    assert event.changes == {"password": [None, MASK]}
    assert event.detail == {"must_reset_password": True}
    assert received == [("password_changed", {"user": user})]


def test_own_password_change_is_audited_as_password_changed(user, received, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        user_actions.set_password(user, STRONG, actor=user)
    assert len(events(Action.PASSWORD_CHANGED)) == 1
    assert events(Action.USER_PASSWORD_SET) == []
    assert [name for name, _ in received] == ["password_changed"]


def test_weak_password_is_refused_and_nothing_signalled(admin_user, received, django_capture_on_commit_callbacks):
    user = create_test_user("gina")
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError) as caught:
        user_actions.set_password(user, "gina", actor=admin_user)
    assert "password" in caught.value.message_dict
    assert received == []


def test_delete_user_snapshots_cascades_and_signals(admin_user, received, django_capture_on_commit_callbacks):
    dept = create_test_group("Sales", uid="sales")
    user = create_test_user("hank", email="hank@example.com")
    add_member(dept, user)
    user_id = user.pk
    with django_capture_on_commit_callbacks(execute=True):
        user_actions.delete_user(user, actor=admin_user)

    assert not User.objects.filter(pk=user_id).exists()
    assert not Membership.objects.filter(user_id=user_id).exists()
    [event] = events(Action.USER_DELETED)
    assert event.target_id == str(user_id)
    assert event.changes["email"] == ["hank@example.com", None]
    assert event.changes["nodes"] == [["d_sales"], None]
    assert received == [("user_deleted", {"user_id": user_id, "username": "hank"})]


def test_delete_refuses_yourself_and_the_last_admin(admin_user):
    with pytest.raises(DomainError) as caught:
        user_actions.delete_user(admin_user, actor=admin_user)
    assert caught.value.code == "self"
    with pytest.raises(DomainError) as caught:
        user_actions.delete_user(admin_user, actor=None)
    assert caught.value.code == "last_admin"
    assert User.objects.filter(pk=admin_user.pk).exists()


def test_bulk_delete_is_all_or_nothing(admin_user):
    ivy, jack = create_test_user("ivy"), create_test_user("jack")
    with pytest.raises(DomainError):
        user_actions.bulk_delete_users([ivy, jack, admin_user], actor=admin_user)
    assert User.objects.filter(username__in=["ivy", "jack"]).count() == 2
    assert events(Action.USER_DELETED) == []

    assert user_actions.bulk_delete_users([ivy, jack, ivy], actor=admin_user) == 2
    assert not User.objects.filter(username__in=["ivy", "jack"]).exists()
    assert len(events(Action.USER_DELETED)) == 2
