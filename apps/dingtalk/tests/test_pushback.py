"""Push-back through the outbox, against the emulator: local edits reach DingTalk, sync
changes are not echoed, failures are retried and retryable."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from apps.audit.models import Event
from apps.dingtalk import pushback
from apps.dingtalk.models import DingTalkDepartment, DingTalkSettings, DingTalkUser, OutboxEntry
from apps.dingtalk.sync import run_sync
from apps.directory.actions import groups as group_actions
from apps.directory.actions import users as user_actions

pytestmark = pytest.mark.django_db


@pytest.fixture
def synced(emulator, admin_user):
    run_sync()
    DingTalkSettings.objects.filter(pk=1).update(push_back=True)
    _settle()
    assert pushback.collect() == 0  # switched on: starts after the newest event
    assert pushback.collect() == 0  # the sync's events are history, nothing to push
    assert not OutboxEntry.objects.exists()
    return emulator


def _settle():
    """Make every event older than the collector's settling delay."""
    Event.objects.update(created=timezone.now() - dt.timedelta(seconds=10))


def _push():
    _settle()
    pushback.collect()
    return pushback.process()


def test_local_edits_reach_dingtalk_and_are_not_echoed(synced, admin_user):
    org = synced.emulator.org
    link = DingTalkUser.objects.select_related("user").first()
    user_actions.update_user(link.user, {"name": "本地改名"}, actor=admin_user)
    user_actions.update_user(link.user, {"position": "架构师"}, actor=admin_user)
    counts = _push()
    assert counts["done"] == 1  # two edits, one call
    assert org.users[link.userid]["name"] == "本地改名" and org.users[link.userid]["title"] == "架构师"
    # The next sync sees DingTalk agree with ArkID: nothing written, nothing pushed back.
    assert run_sync().rows_written == 0
    _settle()
    pushback.collect()
    assert OutboxEntry.objects.filter(status=OutboxEntry.Status.PENDING).count() == 0


def test_new_group_and_member_are_created_in_dingtalk(synced, admin_user):
    org = synced.emulator.org
    parent = DingTalkDepartment.objects.get(dept_id=1).group
    group = group_actions.create_group(actor=admin_user, parent=parent, name="本地新部门")
    _push()
    link = DingTalkDepartment.objects.get(group=group)
    assert org.depts[link.dept_id]["name"] == "本地新部门" and org.depts[link.dept_id]["parent_id"] == 1
    newcomer = user_actions.create_user(
        actor=admin_user, username="newbie", name="新同事", mobile="+8613987654321", groups=[group]
    )
    _push()
    userid = DingTalkUser.objects.get(user=newcomer).userid
    assert org.users[userid]["name"] == "新同事" and org.users[userid]["dept_id_list"] == [link.dept_id]
    assert org.users[userid]["mobile"] == "13987654321"


def test_deletes_are_pushed(synced, admin_user):
    org = synced.emulator.org
    link = DingTalkUser.objects.select_related("user").first()
    userid = link.userid
    user_actions.delete_user(link.user, actor=admin_user)
    _push()
    assert userid not in org.users


def test_failures_are_retried_then_failed_and_retryable(synced, admin_user, admin_client):
    link = DingTalkUser.objects.select_related("user").first()
    synced.control("change", {"op": "remove_user", "userid": link.userid})  # DingTalk will answer 60121
    user_actions.update_user(link.user, {"name": "改不了"}, actor=admin_user)
    _push()
    entry = OutboxEntry.objects.get()
    assert entry.status == OutboxEntry.Status.PENDING and entry.attempts == 1
    assert entry.last_error["errcode"] == 60121 and entry.next_attempt > timezone.now()
    for _ in range(pushback.MAX_ATTEMPTS):
        OutboxEntry.objects.update(next_attempt=timezone.now())
        pushback.process()
    entry.refresh_from_db()
    assert entry.status == OutboxEntry.Status.FAILED
    listed = admin_client.get("/siteapi/v1/dingtalk/outbox/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert rows[0]["status"] == "failed"
    response = admin_client.post(f"/siteapi/v1/dingtalk/outbox/{entry.pk}/retry/")
    assert response.status_code == 200 and response.json()["status"] == "pending"
    assert Event.objects.filter(action="dingtalk.outbox_retried").exists()


def test_sync_changes_are_not_pushed(synced):
    synced.control(
        "change", {"op": "update_user", "userid": next(iter(synced.emulator.org.users)), "fields": {"name": "远端"}}
    )
    assert run_sync().counts["users_updated"] == 1
    _settle()
    assert pushback.collect() > 0 and not OutboxEntry.objects.exists()


def test_off_by_default(emulator, admin_user):
    run_sync()
    link = DingTalkUser.objects.select_related("user").first()
    user_actions.update_user(link.user, {"name": "不推送"}, actor=admin_user)
    user_actions.delete_user(link.user, actor=admin_user)
    _settle()
    assert pushback.collect() == 0 and not OutboxEntry.objects.exists()
