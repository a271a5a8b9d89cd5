"""Full and incremental sync against the emulator over HTTP."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from apps.audit.models import Event
from apps.dingtalk.models import DingTalkDepartment, DingTalkUser, SyncRun
from apps.dingtalk.sync import LOCK_KEY, run_sync
from apps.directory.models import Group, Membership, Origin, User
from apps.directory.tests.factories import create_test_user

pytestmark = pytest.mark.django_db


def _members(dept_id: int) -> set[str]:
    group = DingTalkDepartment.objects.get(dept_id=dept_id).group
    return set(DingTalkUser.objects.filter(user__memberships__group=group).values_list("userid", flat=True))


def test_full_sync_mirrors_the_organisation(emulator_factory):
    running = emulator_factory(users=260, depts=8, seed=2)
    org = running.emulator.org
    run = run_sync()
    assert run.status == SyncRun.Status.SUCCEEDED, run.errors
    assert run.counts["users_created"] == 260 and run.counts["groups_created"] == 9
    assert DingTalkUser.objects.count() == 260
    assert User.objects.filter(origin=Origin.DINGTALK).count() == 260
    for dept_id in org.depts:
        assert _members(dept_id) == {u["userid"] for u in org.members(dept_id)}
        group = DingTalkDepartment.objects.get(dept_id=dept_id).group
        parent = org.depts[dept_id]["parent_id"]
        if parent:
            assert group.parent_id == DingTalkDepartment.objects.get(dept_id=parent).group_id
        assert group.name == org.depts[dept_id]["name"]
    # Calls: token + root detail + one listsub per department + the user pages.
    pages = sum(max(1, -(-len(org.members(d)) // 100)) for d in org.depts)
    assert run.api_calls == 1 + 1 + len(org.depts) + pages
    sample = org.users["ding02000000"]
    user = DingTalkUser.objects.get(userid="ding02000000").user
    assert user.name == sample["name"] and user.mobile.endswith(sample["mobile"])
    # Audit events of the run carry its id.
    assert Event.objects.filter(request_id=f"dingtalk-sync:{run.pk}", action="user.created").count() == 260


def test_second_run_without_changes_writes_nothing(emulator):
    first = run_sync()
    assert first.rows_written > 0
    events = Event.objects.count()
    second = run_sync()
    assert second.status == SyncRun.Status.SUCCEEDED
    assert second.rows_written == 0 and Event.objects.count() == events


def test_changes_are_applied_and_gone_users_deactivated(emulator):
    run_sync()
    org = emulator.emulator.org
    mover = next(u for u in org.users.values() if len(u["dept_id_list"]) == 1)
    target = next(d for d in org.depts if d not in mover["dept_id_list"] and d != 1)
    leaver = next(u for u in org.users.values() if u["userid"] != mover["userid"])
    emulator.control("change", {"op": "move_user", "userid": mover["userid"], "dept_id_list": [target]})
    emulator.control("change", {"op": "update_user", "userid": mover["userid"], "fields": {"name": "改名"}})
    leaver_depts = list(leaver["dept_id_list"])
    emulator.control("change", {"op": "remove_user", "userid": leaver["userid"]})
    dept = emulator.control("change", {"op": "add_dept", "name": "新部门", "parent_id": target})["event"]["DeptId"][0]
    emulator.control("change", {"op": "update_dept", "dept_id": target, "name": "重命名部门"})
    run = run_sync()
    assert run.status == SyncRun.Status.SUCCEEDED, run.errors
    assert _members(target) >= {mover["userid"]}
    moved = DingTalkUser.objects.get(userid=mover["userid"]).user
    assert moved.name == "改名"
    assert set(moved.memberships.values_list("group__dingtalk_department__dept_id", flat=True)) == {target}
    gone = DingTalkUser.objects.get(userid=leaver["userid"]).user
    assert gone.is_active is False  # deactivated, not deleted
    assert not any(leaver["userid"] in _members(d) for d in leaver_depts)
    assert DingTalkDepartment.objects.get(dept_id=dept).group.parent.dingtalk_department.dept_id == target
    assert DingTalkDepartment.objects.get(dept_id=target).group.name == "重命名部门"
    assert run.counts["users_deactivated"] == 1


def test_removed_department_is_deleted_after_its_members_leave(emulator):
    run_sync()
    org = emulator.emulator.org
    leaf = next(d for d in org.depts if d != 1 and not org.children(d))
    for user in org.members(leaf):
        emulator.control("change", {"op": "move_user", "userid": user["userid"], "dept_id_list": [1]})
    emulator.control("change", {"op": "remove_dept", "dept_id": leaf})
    run = run_sync()
    assert run.counts["groups_deleted"] == 1
    assert not DingTalkDepartment.objects.filter(dept_id=leaf).exists()


def test_local_users_are_linked_by_mobile_or_email_not_duplicated(emulator):
    org = emulator.emulator.org
    with_email = next(u for u in org.users.values() if u["email"])
    other = next(u for u in org.users.values() if u["userid"] != with_email["userid"])
    by_email = create_test_user("alice", email=with_email["email"])
    by_mobile = create_test_user("bob", mobile="+86" + other["mobile"])
    run = run_sync()
    assert run.counts["users_linked"] == 2
    assert DingTalkUser.objects.get(userid=with_email["userid"]).user_id == by_email.pk
    assert DingTalkUser.objects.get(userid=other["userid"]).user_id == by_mobile.pk
    assert User.objects.count() == len(org.users)  # the two locals + the rest created


def test_failed_fetch_changes_nothing_and_is_recorded(emulator, settings):
    settings.DINGTALK_APP_SECRET = "wrong"
    cache.clear()
    run = run_sync()
    assert run.status == SyncRun.Status.FAILED
    assert run.errors[0]["errcode"] == 40089
    assert not DingTalkUser.objects.exists() and not Group.objects.filter(uid__startswith="dingtalk-").exists()
    settings.DINGTALK_APP_SECRET = emulator.emulator.app_secret
    assert run_sync().status == SyncRun.Status.SUCCEEDED  # re-runnable, nothing lost


def test_runs_never_overlap(emulator):
    cache.set(LOCK_KEY, "held-by-another-run", 60)
    run = run_sync()
    assert run.status == SyncRun.Status.SKIPPED
    assert not DingTalkUser.objects.exists()


def test_incremental_sync_of_named_ids(emulator):
    run_sync()
    org = emulator.emulator.org
    added = emulator.control(
        "change", {"op": "add_user", "user": {"name": "新员工", "mobile": "13911112222", "dept_id_list": [1]}}
    )
    userid = added["event"]["UserId"][0]
    leaver = next(iter(org.users))
    emulator.control("change", {"op": "remove_user", "userid": leaver})
    emulator.emulator.calls.clear()
    run = run_sync(trigger="event", userids=[userid, leaver])
    assert run.status == SyncRun.Status.SUCCEEDED, run.errors
    assert run.kind == SyncRun.Kind.INCREMENTAL and run.api_calls == 2
    assert (
        DingTalkUser.objects.get(userid=userid).user.memberships.filter(group__dingtalk_department__dept_id=1).exists()
    )
    assert DingTalkUser.objects.get(userid=leaver).user.is_active is False
    assert Membership.objects.filter(user__dingtalk_account__userid=leaver).count() == 0


def test_user_back_in_dingtalk_is_reactivated_but_admin_deactivation_sticks(emulator, admin_user):
    from apps.directory.actions import users as user_actions

    run_sync()
    org = emulator.emulator.org
    leaver_id, kept_id = list(org.users)[:2]
    record = dict(org.users[leaver_id])
    emulator.control("change", {"op": "remove_user", "userid": leaver_id})
    run_sync()
    assert DingTalkUser.objects.get(userid=leaver_id).user.is_active is False
    emulator.control("change", {"op": "add_user", "user": record})
    kept = DingTalkUser.objects.get(userid=kept_id).user
    user_actions.update_user(kept, {"is_active": False}, actor=admin_user)
    run = run_sync()
    assert run.counts["users_reactivated"] == 1
    assert DingTalkUser.objects.get(userid=leaver_id).user.is_active is True
    kept.refresh_from_db()
    assert kept.is_active is False


def test_usernames_never_collide(emulator):
    org = emulator.emulator.org
    first, second = list(org.users)[:2]
    create_test_user(first)  # a local user already has the userid as username ...
    create_test_user(f"{first}-2")  # ... and the first suffix too
    org.users[first]["mobile"] = org.users[first]["email"] = ""  # so it is not matched and linked
    run = run_sync()
    assert run.status == SyncRun.Status.SUCCEEDED, run.errors
    assert DingTalkUser.objects.get(userid=first).user.username == f"{first}-3"
    assert DingTalkUser.objects.get(userid=second).user.username == second


def test_event_sync_is_retried_when_another_sync_holds_the_lock(emulator):
    from celery.exceptions import Retry

    from apps.dingtalk.tasks import sync_changes

    cache.set(LOCK_KEY, "held-by-a-full-sync", 60)
    with pytest.raises(Retry):
        sync_changes.apply(args=[[next(iter(emulator.emulator.org.users))], []], throw=True)
    cache.delete(LOCK_KEY)
    result = sync_changes.apply(args=[[next(iter(emulator.emulator.org.users))], []], throw=True).get()
    assert result["status"] == SyncRun.Status.SUCCEEDED


def test_fields_dingtalk_leaves_out_are_not_erased(emulator, admin_user):
    """Without the email permission DingTalk omits the field: the local email stays."""
    from apps.directory.actions import users as user_actions

    org = emulator.emulator.org
    no_email = next(u for u in org.users.values() if not u["email"])
    run_sync()
    user = DingTalkUser.objects.get(userid=no_email["userid"]).user
    user_actions.update_user(user, {"email": "kept@example.org"}, actor=admin_user)
    assert run_sync().rows_written == 0
    user.refresh_from_db()
    assert user.email == "kept@example.org"


def test_lookups_for_login(emulator):
    from apps.dingtalk.queries import dingtalk_userid, user_for

    run_sync()
    record = next(iter(emulator.emulator.org.users.values()))
    user = user_for(unionid=record["unionid"])
    assert user is not None and user_for(userid=record["userid"]) == user
    assert dingtalk_userid(user) == record["userid"]
    assert user_for(userid="nobody", unionid="nobody") is None
