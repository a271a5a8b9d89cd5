from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from apps.audit import queries
from apps.audit.actions import record_event
from apps.audit.models import Action, Event, Outcome
from apps.core import request_context

LOG = "/siteapi/oneid/log/"
NOW = timezone.now()


def make_event(action=Action.USER_CREATED, *, age=dt.timedelta(0), **kwargs) -> Event:
    event = record_event(action, **kwargs)
    Event.objects.filter(pk=event.pk).update(created=NOW - age)
    event.refresh_from_db()
    return event


def actions_of(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["action"] for row in response.json()["results"]]


@pytest.fixture
def events(admin_user, user):
    """Five events of different ages, actors, targets, outcomes and IPs."""
    made = {
        "created": make_event(Action.USER_CREATED, actor=admin_user, target=user, age=dt.timedelta(hours=1)),
        "updated": make_event(Action.USER_UPDATED, actor=admin_user, target_name="bob", age=dt.timedelta(days=2)),
        "login_failed": make_event(
            Action.LOGIN_FAILED, actor_name="mallory", outcome=Outcome.FAILURE, age=dt.timedelta(days=3)
        ),
        "group": make_event(Action.GROUP_CREATED, actor=user, target_name="Sales", age=dt.timedelta(days=10)),
        "old": make_event(Action.USER_DELETED, actor=admin_user, target_name="carol", age=dt.timedelta(days=400)),
    }
    ctx = request_context.RequestContext(request_id="req-12345678", ip="203.0.113.9", user_agent="curl/8")
    token = request_context.activate(ctx)
    try:
        made["with_ip"] = make_event(Action.LOGIN_SUCCEEDED, actor=user, age=dt.timedelta(minutes=5))
    finally:
        request_context.reset(token)
    return made


class TestPermissions:
    def test_anonymous_is_refused(self, api_client, db):
        assert api_client.get(LOG).status_code == 401
        assert api_client.get("/siteapi/oneid/meta/log/").status_code == 401
        assert api_client.get(LOG, HTTP_AUTHORIZATION="Token not-a-real-token").status_code == 401

    def test_non_admin_is_refused(self, user_client, events):
        assert user_client.get(LOG).status_code == 403
        assert user_client.get(f"{LOG}{events['created'].uuid}/").status_code == 403

    def test_queries_refuse_non_admin(self, user, admin_user):
        with pytest.raises(PermissionDenied):
            queries.list_events(user)
        with pytest.raises(PermissionDenied):
            queries.list_events(None)
        admin_user.is_active = False
        with pytest.raises(PermissionDenied):
            queries.list_events(admin_user)


class TestList:
    def test_newest_first_with_v1_shape_on_both_prefixes(self, admin_client, events, user):
        for prefix in ("/siteapi/oneid/", "/siteapi/v1/"):
            body = admin_client.get(f"{prefix}log/").json()
            assert body["count"] == 6
            assert set(body) == {"count", "count_is_estimate", "next", "previous", "results"}
            assert body["count_is_estimate"] is False
            first = body["results"][0]
            assert first["action"] == Action.LOGIN_SUCCEEDED
            assert [r["uuid"] for r in body["results"][1:3]] == [
                str(events["created"].uuid),
                str(events["updated"].uuid),
            ]
        row = body["results"][1]
        assert row["subject"] == row["action"] == "user.created"
        assert row["action_label"] == "User created"
        assert row["summary"] == "User created: alice"
        assert row["actor_name"] == "admin"
        assert row["target_type"] == "directory.user"
        assert row["target_id"] == str(user.pk)
        assert "changes" not in row  # detail only

    def test_pagination(self, admin_client, events):
        body = admin_client.get(LOG, {"page_size": 2, "page": 2}).json()
        assert body["count"] == 6
        assert len(body["results"]) == 2
        assert body["previous"] and body["next"]

    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({"action": "user.created"}, ["user.created"]),
            ({"action": "user.created,group.created"}, ["user.created", "group.created"]),
            ({"subject": "user.updated|auth.login_failed"}, ["user.updated", "auth.login_failed"]),
            ({"outcome": "failure"}, ["auth.login_failed"]),
            ({"ip": "203.0.113.9"}, ["auth.login_succeeded"]),
            ({"user": "alice"}, ["auth.login_succeeded", "group.created"]),
            ({"actor": "ALICE", "action": "group.created"}, ["group.created"]),
            ({"days": 7}, ["auth.login_succeeded", "user.created", "user.updated", "auth.login_failed"]),
            ({"keyword": "sale"}, ["group.created"]),  # target name
            ({"keyword": "mallory"}, ["auth.login_failed"]),  # actor name
            ({"keyword": "login_"}, ["auth.login_succeeded", "auth.login_failed"]),  # action value
            ({"keyword": "user deleted"}, ["user.deleted"]),  # action label
            ({"summary": "bob"}, ["user.updated"]),  # v1's name for keyword
        ],
    )
    def test_filters(self, admin_client, events, params, expected):
        assert actions_of(admin_client.get(LOG, params)) == expected

    def test_repeated_action_parameter(self, admin_client, events):
        response = admin_client.get(f"{LOG}?action=user.created&action=user.deleted")
        assert actions_of(response) == ["user.created", "user.deleted"]

    def test_created_range_with_dates_and_datetimes(self, admin_client, events):
        local_today = timezone.localdate(NOW)
        eleven_days_ago = (NOW - dt.timedelta(days=11)).isoformat()
        response = admin_client.get(
            LOG, {"created__gte": eleven_days_ago, "created__lte": (NOW - dt.timedelta(days=1)).isoformat()}
        )
        assert actions_of(response) == ["user.updated", "auth.login_failed", "group.created"]
        # A date as the upper bound includes the whole of that day.
        response = admin_client.get(LOG, {"created__lte": local_today.isoformat()})
        assert response.json()["count"] == 6
        response = admin_client.get(LOG, {"created__gte": (local_today + dt.timedelta(days=1)).isoformat()})
        assert response.json()["count"] == 0

    def test_days_and_created_gte_take_the_later_bound(self, admin_client, events):
        since = (NOW - dt.timedelta(days=2, hours=1)).isoformat()
        response = admin_client.get(LOG, {"days": 30, "created__gte": since})
        assert actions_of(response) == ["auth.login_succeeded", "user.created", "user.updated"]

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"action": "user.created,nope"}, "action"),
            ({"subject": "drop table"}, "subject"),
            ({"days": "abc"}, "days"),
            ({"days": 0}, "days"),
            ({"created__gte": "yesterday"}, "created__gte"),
            ({"created__lte": "2024-02-30"}, "created__lte"),
            ({"created__gte": "0001-01-01"}, "created__gte"),
            ({"created__gte": "2024-01-01T25:00"}, "created__gte"),
            ({"created__gte": "2024-05-02", "created__lte": "2024-05-01"}, "created__lte"),
            ({"outcome": "maybe"}, "outcome"),
            ({"ip": "999.1.1.1"}, "ip"),
            ({"keyword": "x" * 101}, "keyword"),
        ],
    )
    def test_invalid_filters_are_400_with_the_field_named(self, admin_client, events, params, field):
        response = admin_client.get(LOG, params)
        assert response.status_code == 400
        assert field in response.json()
        assert isinstance(response.json()[field], list)

    def test_nul_characters_are_refused_before_the_filters(self, admin_client, events):
        response = admin_client.get(LOG, {"keyword": "a\x00b"})
        assert response.status_code == 400
        assert response.json()["code"] == "nul_character"

    def test_unknown_query_parameters_are_ignored(self, admin_client, events):
        assert admin_client.get(LOG, {"page_size": 50, "ordering": "x"}).json()["count"] == 6


class TestDetail:
    def test_detail_has_changes_and_request_facts_with_secrets_masked(self, admin_client, admin_user, user):
        ctx = request_context.RequestContext(request_id="abcdef0123456789", ip="198.51.100.7", user_agent="pytest/1")
        token = request_context.activate(ctx)
        try:
            event = record_event(
                Action.USER_UPDATED,
                actor=admin_user,
                target=user,
                changes={"name": ["Alice", "Alice B"], "password": ["old", "new"]},
                detail={"client_secret": "s3cr3t", "note": "via API"},
            )
        finally:
            request_context.reset(token)
        body = admin_client.get(f"{LOG}{event.uuid}/").json()
        assert body["uuid"] == str(event.uuid)
        assert body["changes"] == {"name": ["Alice", "Alice B"], "password": ["******", "******"]}
        assert body["detail"] == {"client_secret": "******", "note": "via API"}
        assert body["ip"] == "198.51.100.7"
        assert body["user_agent"] == "pytest/1"
        assert body["request_id"] == "abcdef0123456789"
        assert "s3cr3t" not in str(body)

    def test_unknown_uuid_is_404(self, admin_client, db):
        assert admin_client.get(f"{LOG}{uuid.uuid4()}/").status_code == 404
        assert admin_client.get(f"{LOG}not-a-uuid/").status_code == 404


def test_meta_lists_every_action_with_its_label(admin_client):
    body = admin_client.get("/siteapi/v1/meta/log/").json()
    assert [a["value"] for a in body["actions"]] == list(Action.values)
    assert {"value": "user.created", "label": "User created"} in body["actions"]
    assert [o["value"] for o in body["outcomes"]] == ["success", "failure"]
