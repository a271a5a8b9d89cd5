"""create_app / update_app / delete_app: the access permission, protocols, uids, audit, cleanup."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError

from apps.audit.models import Action, Event
from apps.core.exceptions import Conflict
from apps.directory.tests.factories import add_member, create_test_group, create_test_user
from apps.permissions import engine, protocols
from apps.permissions.actions.apps import create_app, delete_app, update_app
from apps.permissions.actions.perms import create_permission
from apps.permissions.actions.statuses import set_group_perm_statuses, set_user_perm_statuses
from apps.permissions.models import App, AppProtocol, Permission, PermissionStatus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_messages(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def fresh_cache():
    # Test databases reuse ids after a rollback; cached results must not leak between tests.
    cache.clear()


class SecretIssuingProtocol(protocols.ProtocolHandler):
    """A test-only protocol that issues a secret, to check the one-time path end to end."""

    name = "test_app"
    label = "TEST"

    def apply(self, app, cleaned, *, actor):
        super().apply(app, {"client_id": "cid-1"}, actor=actor)
        return {"client_secret": "s3cr3t-shown-once"}


@pytest.fixture
def secret_protocol():
    protocols.register(SecretIssuingProtocol())
    yield
    protocols.unregister("test_app")


def test_create_app_creates_its_access_permission_and_audits(admin_user):
    app, one_time = create_app(
        actor=admin_user, name="Wiki", uid="wiki", remark="r", index="https://wiki.example.org", protocols={}
    )
    assert one_time == {}
    perm = Permission.objects.get(app=app)
    assert (perm.uid, perm.kind, perm.action, perm.name) == ("app_wiki_access", "access", "access", "Wiki")
    assert app.created_by == admin_user
    event = Event.objects.get(action=Action.APP_CREATED)
    assert event.target_id == str(app.pk)
    assert event.changes["uid"] == [None, "wiki"]
    assert event.changes["protocols"] == [None, {}]


def test_protocols_are_stored_as_app_protocol_rows(admin_user):
    app, _ = create_app(actor=admin_user, name="Git", protocols={"ldap_app": {}, "http_app": {}})
    assert sorted(AppProtocol.objects.filter(app=app).values_list("name", flat=True)) == ["http_app", "ldap_app"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [("your_app_name", "yourappname"), ("Your App Name", "your-app-name"), ("GitLab 2", "gitlab-2")],
)
def test_uid_is_generated_from_an_ascii_name(admin_user, name, expected):
    app, _ = create_app(actor=admin_user, name=name, protocols={})
    assert app.uid == expected
    assert Permission.objects.filter(uid=f"app_{expected}_access").exists()


def test_uid_for_a_name_without_ascii_letters_is_app_plus_hex(admin_user):
    app, _ = create_app(actor=admin_user, name="企业邮箱", protocols={})
    assert re.fullmatch(r"app[0-9a-f]{6}", app.uid)


def test_a_generated_uid_that_is_taken_gets_a_suffix(admin_user):
    create_app(actor=admin_user, name="wiki", protocols={})
    second, _ = create_app(actor=admin_user, name="Wiki", protocols={})
    assert re.fullmatch(r"wiki-[0-9a-f]{6}", second.uid)


def test_a_given_uid_that_is_taken_is_a_conflict(admin_user):
    create_app(actor=admin_user, name="A", uid="same", protocols={})
    with pytest.raises(Conflict) as exc:
        create_app(actor=admin_user, name="B", uid="same", protocols={})
    assert exc.value.field == "uid"
    assert App.objects.count() == 1


@pytest.mark.parametrize("uid", ["has_underscore", "-dash-first", "sp ace", "x" * 65, "ü"])
def test_bad_uids_are_refused(admin_user, uid):
    with pytest.raises(ValidationError) as exc:
        create_app(actor=admin_user, name="A", uid=uid, protocols={})
    assert "uid" in exc.value.message_dict


def test_bad_fields_and_unknown_or_unavailable_protocols_are_refused_by_field(admin_user):
    with pytest.raises(ValidationError) as exc:
        create_app(actor=admin_user, name=" ", allow_any_user="yes", protocols={"oauth_app": {}, "x_app": {}})
    errors = exc.value.message_dict
    assert set(errors) == {"name", "allow_any_user"}  # fields are checked before protocols
    with pytest.raises(ValidationError) as exc:
        create_app(
            actor=admin_user, name="A", protocols={"saml_app": {}, "oauth_app": {"redirect_uris": "x"}, "x_app": {}}
        )
    assert "SAML is not available yet" in exc.value.message_dict["saml_app"][0]
    assert "not an http(s) URL" in exc.value.message_dict["oauth_app"][0]
    assert exc.value.message_dict["x_app"] == ["Unknown protocol."]
    assert not App.objects.exists()


def test_a_null_unavailable_protocol_is_ignored(admin_user):
    app, _ = create_app(actor=admin_user, name="A", protocols={"saml_app": None, "http_app": {}})
    assert list(app.protocols.values_list("name", flat=True)) == ["http_app"]


def test_update_app_changes_fields_renames_the_access_perm_and_audits(admin_user):
    app, _ = create_app(actor=admin_user, name="Wiki", uid="wiki", protocols={"http_app": {}})
    update_app(app, actor=admin_user, fields={"name": "Team Wiki", "allow_any_user": True, "uid": "wiki"})
    app.refresh_from_db()
    assert (app.name, app.allow_any_user) == ("Team Wiki", True)
    assert Permission.objects.get(app=app).name == "Team Wiki"
    event = Event.objects.get(action=Action.APP_UPDATED)
    assert event.changes == {"name": ["Wiki", "Team Wiki"], "allow_any_user": [False, True]}


def test_update_app_adds_and_removes_protocols(admin_user):
    app, _ = create_app(actor=admin_user, name="Wiki", protocols={"http_app": {}})
    update_app(app, actor=admin_user, fields={}, protocols={"http_app": None, "ldap_app": {}})
    assert list(app.protocols.values_list("name", flat=True)) == ["ldap_app"]
    event = Event.objects.get(action=Action.APP_UPDATED)
    assert event.changes == {"protocols": [{"http_app": {}}, {"ldap_app": {}}]}


def test_update_without_changes_records_nothing(admin_user):
    app, _ = create_app(actor=admin_user, name="Wiki", protocols={})
    update_app(app, actor=admin_user, fields={"name": "Wiki"})
    assert not Event.objects.filter(action=Action.APP_UPDATED).exists()


def test_the_uid_cannot_change(admin_user):
    app, _ = create_app(actor=admin_user, name="Wiki", uid="wiki", protocols={})
    with pytest.raises(ValidationError) as exc:
        update_app(app, actor=admin_user, fields={"uid": "other"})
    assert "uid" in exc.value.message_dict


def test_toggling_allow_any_user_takes_effect_at_once(admin_user):
    user = create_test_user("bob")
    app, _ = create_app(actor=admin_user, name="Wiki", protocols={})
    perm = Permission.objects.get(app=app)
    assert engine.has_perm(user, perm) is False
    update_app(app, actor=admin_user, fields={"allow_any_user": True})
    assert engine.has_perm(user, Permission.objects.select_related("app").get(pk=perm.pk)) is True


def test_delete_app_removes_permissions_statuses_and_protocols(admin_user):
    user = create_test_user("bob")
    group = create_test_group("Sales")
    add_member(group, user)
    app, _ = create_app(actor=admin_user, name="Wiki", uid="wiki", protocols={"ldap_app": {}, "http_app": {}})
    custom = create_permission(actor=admin_user, app=app, name="manage", action="manage")
    access = Permission.objects.get(uid="app_wiki_access")
    set_user_perm_statuses(user, [(access, 1)], actor=admin_user)
    set_group_perm_statuses(group, [(custom, 1)], actor=admin_user)
    other, _ = create_app(actor=admin_user, name="Other", uid="other", protocols={"http_app": {}})

    delete_app(app, actor=admin_user)

    assert not App.objects.filter(uid="wiki").exists()
    assert not Permission.objects.filter(uid__startswith="app_wiki_").exists()
    assert not PermissionStatus.objects.exists()
    assert list(AppProtocol.objects.values_list("app__uid", flat=True)) == ["other"]
    assert Permission.objects.filter(app=other).count() == 1
    event = Event.objects.get(action=Action.APP_DELETED)
    assert event.target_id == str(app.pk)
    assert sorted(event.detail["perms"]) == ["app_wiki_access", "app_wiki_manage"]
    assert event.changes["uid"] == ["wiki", None]


def test_one_time_secrets_are_returned_but_never_stored_or_audited(admin_user, secret_protocol):
    app, one_time = create_app(actor=admin_user, name="Wiki", protocols={"test_app": {}})
    assert one_time == {"test_app": {"client_secret": "s3cr3t-shown-once"}}
    assert AppProtocol.objects.get(app=app, name="test_app").config == {"client_id": "cid-1"}
    for event in Event.objects.all():
        assert "s3cr3t" not in repr(event.changes) + repr(event.detail)
