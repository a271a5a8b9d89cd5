"""Console "Audit log": who reads it, filters, capped counting, the detail page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from apps.audit.actions import build_event, record_event
from apps.audit.models import Action, Event
from apps.console.audit import views as audit_views
from apps.core import request_context

pytestmark = pytest.mark.django_db


def _event(action=Action.USER_UPDATED, **fields) -> Event:
    fields.setdefault("actor_name", "system")
    return record_event(action, **fields)


def test_readers_are_admins_and_holders_of_log_read(admin_web, boss_web, plain_web, world):
    assert admin_web.get("/console/audit/").status_code == 200
    assert boss_web.get("/console/audit/").status_code == 200  # boss holds system_log_read
    assert plain_web.get("/console/audit/").status_code == 403
    event = Event.objects.first()
    assert plain_web.get(f"/console/audit/{event.uuid}/").status_code == 403
    assert "audit" in {item["key"] for item in boss_web.get("/console/").context["nav"]}


def test_sub_admin_without_log_read_is_refused(boss_web, world):
    from apps.permissions.actions.manager_groups import update_manager_group
    from apps.permissions.models import ManagerGroup

    update_manager_group(ManagerGroup.objects.get(uid="sales-admins"), {"perms": []}, actor=world["admin"])
    assert boss_web.get("/console/audit/").status_code == 403


def test_lists_the_console_actions_with_their_ip(admin_web, world):
    admin_web.post(
        "/console/subadmins/new/", {"name": "Ops", "uid": "ops", "scope_subject": "1"}, REMOTE_ADDR="203.0.113.7"
    )
    page = admin_web.get("/console/audit/", {"action": "manager_group.created"})
    rows = page.context["page"].rows
    assert [e.target_name for e in rows] == ["Ops", "Sales admins"]
    assert rows[0].ip == "203.0.113.7" and rows[0].actor_name == "admin"
    assert "203.0.113.7" in page.content.decode()


def test_filters_by_family_actor_time_text_and_outcome(admin_web, world):
    old = _event(Action.USER_CREATED, target_name="old-one")
    Event.objects.filter(pk=old.pk).update(created=timezone.now() - dt.timedelta(days=10))
    _event(Action.LOGIN_FAILED, target_name="mallory", outcome="failure")
    response = admin_web.get("/console/audit/", {"action": "user.*"})
    assert '<option value="user.*" selected>All user events</option>' in response.content.decode()
    family = response.context["page"].rows
    assert family and all(e.action.startswith("user.") for e in family)
    by_actor = admin_web.get("/console/audit/", {"actor": "ADMIN"}).context["page"].rows
    assert by_actor and {e.actor_name for e in by_actor} == {"admin"}
    since = (timezone.localtime() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    recent = admin_web.get("/console/audit/", {"since": since}).context["page"].rows
    assert old not in recent and recent
    day = timezone.localtime(timezone.now() - dt.timedelta(days=10)).date().isoformat()
    that_day = admin_web.get("/console/audit/", {"since": day, "until": day}).context["page"].rows
    assert [e.pk for e in that_day] == [old.pk]
    assert [e.target_name for e in admin_web.get("/console/audit/", {"q": "mallo"}).context["page"].rows] == ["mallory"]
    failures = admin_web.get("/console/audit/", {"outcome": "failure"}).context["page"].rows
    assert [e.target_name for e in failures] == ["mallory"]
    # The label matches too ("Login failed").
    assert admin_web.get("/console/audit/", {"q": "login failed"}).context["page"].rows


def test_bad_filters_are_inline_errors(admin_web, world):
    response = admin_web.get("/console/audit/", {"action": "user.nope", "since": "yesterday", "outcome": "meh"})
    assert response.status_code == 400
    assert {"action", "since", "outcome"} <= set(response.context["form"].errors)
    assert 'id="id_since-errors"' in response.content.decode()
    backwards = admin_web.get("/console/audit/", {"since": "2024-05-02", "until": "2024-05-01"})
    assert backwards.status_code == 400 and "until" in backwards.context["form"].errors


def test_pages_read_one_extra_row_and_cap_the_count(admin_web, world, monkeypatch):
    Event.objects.bulk_create(
        [build_event(Action.USER_UPDATED, actor_name="bulk", target_name=f"u{i}") for i in range(45)]
    )
    first = admin_web.get("/console/audit/", {"actor": "bulk"}).context["page"]
    assert (len(first.rows), first.has_next, first.count, first.count_is_estimate) == (20, True, 45, False)
    last = admin_web.get("/console/audit/", {"actor": "bulk", "page": "3"}).context["page"]
    assert (len(last.rows), last.has_next, last.count) == (5, False, 45)
    monkeypatch.setattr(audit_views, "COUNT_CAP", 30)
    capped = admin_web.get("/console/audit/", {"actor": "bulk"})
    assert (capped.context["page"].count, capped.context["page"].count_is_estimate) == (30, True)
    assert "About 30 events" in capped.content.decode()
    assert admin_web.get("/console/audit/", {"page": "x"}).context["page"].number == 1


def test_detail_shows_request_facts_and_masked_changes(admin_web, world):
    facts = request_context.RequestContext(request_id="req-42", ip="198.51.100.4", user_agent="Mozilla/5.0 <b>test</b>")
    token = request_context.activate(facts)
    try:
        event = _event(
            Action.USER_UPDATED,
            target_name="carol",
            changes={"name": ["Carol", "Caroline"], "password": ["old", "new"]},
            detail={"via": "console"},
        )
    finally:
        request_context.reset(token)
    page = admin_web.get(f"/console/audit/{event.uuid}/", {"back": "actor=admin&page=2"}).content.decode()
    assert "198.51.100.4" in page and "req-42" in page and "Mozilla/5.0 &lt;b&gt;test&lt;/b&gt;" in page
    assert "Caroline" in page and '"old"' not in page and "******" in page
    assert 'href="/console/audit/?actor=admin&amp;page=2"' in page
    evil = admin_web.get(f"/console/audit/{event.uuid}/", {"back": 'x"><script>'}).content.decode()
    assert "<script>" not in evil.split("Back to the log")[0].rsplit("<a", 1)[-1]
    assert admin_web.get("/console/audit/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_speaks_chinese(admin_web, world):
    page = admin_web.get("/console/audit/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content.decode()
    assert "审计日志" in page and "创建子管理员组" in page and "全部 user 事件" in page
