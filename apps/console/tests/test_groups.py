"""The Groups area: group types, the tree editor, members, visibility and permissions, for an
administrator and for ``boss``, a sub-administrator of sales (and east, below it)."""

from __future__ import annotations

import pytest

from apps.audit.models import Action, Event
from apps.directory.models import Group, GroupType, Membership, Visibility
from apps.directory.tests.factories import create_test_group
from apps.permissions.models import PermissionStatus

pytestmark = pytest.mark.django_db

BASE = "/console/groups"


def events(action: Action):
    return Event.objects.filter(action=action.value)


def node(uid: str) -> Group:
    return Group.objects.select_related("type").get(uid=uid)


# --- group types -----------------------------------------------------------------------------


def test_index_lists_the_types_and_the_menu_marks_groups(admin_web):
    page = admin_web.get(f"{BASE}/")
    assert page.status_code == 200
    html = page.content.decode()
    for key in ("department", "role", "label"):
        assert f'data-type="{key}"' in html
    assert [item["key"] for item in page.context["nav"] if item["current"]] == ["groups"]


def test_admin_creates_renames_and_deletes_a_custom_type(admin_web):
    created = admin_web.post(f"{BASE}/types/new/", {"name": "Projects", "key": "projects"})
    assert created.status_code == 302 and created["Location"] == f"{BASE}/types/projects/"
    assert events(Action.GROUP_TYPE_CREATED).count() == 1
    renamed = admin_web.post(f"{BASE}/types/projects/edit/", {"name": "Project teams"})
    assert renamed.status_code == 302
    assert GroupType.objects.get(key="projects").name == "Project teams"
    assert admin_web.post(f"{BASE}/types/projects/delete/").status_code == 302
    assert not GroupType.objects.filter(key="projects").exists()
    assert events(Action.GROUP_TYPE_DELETED).count() == 1


def test_type_errors_are_inline(admin_web):
    bad = admin_web.post(f"{BASE}/types/new/", {"name": "X", "key": "Not a slug!"})
    assert bad.status_code == 400
    assert "lower-case letters" in bad.content.decode()
    taken = admin_web.post(f"{BASE}/types/new/", {"name": "X", "key": "department"})
    assert taken.status_code == 400 and "already used" in taken.content.decode()
    blank = admin_web.post(f"{BASE}/types/new/", {"name": ""})
    assert blank.status_code == 400 and blank.context["form"].errors["name"]
    builtin = admin_web.post(f"{BASE}/types/role/edit/", {"name": "Jobs"})
    assert builtin.status_code == 400 and "Built-in" in builtin.content.decode()


def test_a_type_with_groups_is_not_deleted(admin_web, admin_user):
    admin_web.post(f"{BASE}/types/new/", {"name": "Projects", "key": "projects"})
    create_test_group("Apollo", uid="apollo", type_key="projects")
    refused = admin_web.post(f"{BASE}/types/projects/delete/")
    assert refused.status_code == 400 and "Delete the groups of this type first" in refused.content.decode()
    assert GroupType.objects.filter(key="projects").exists()


def test_sub_admin_needs_the_category_permission_and_never_renames(boss_web, world):
    assert boss_web.post(f"{BASE}/types/new/", {"name": "Mine"}).status_code == 403
    assert b"New group type" not in boss_web.get(f"{BASE}/").content
    assert boss_web.post(f"{BASE}/types/department/edit/", {"name": "X"}).status_code == 403
    assert boss_web.post(f"{BASE}/types/department/delete/").status_code == 403


def test_sub_admin_with_the_category_permission_creates_one_and_manages_it(world, boss_web):
    from apps.permissions.models import ManagerGroup, Permission

    manager_group = ManagerGroup.objects.get(uid="sales-admins")
    manager_group.perms.add(Permission.objects.get(uid="system_category_create"))
    from apps.directory.scope import bump_scope_version

    bump_scope_version()
    created = boss_web.post(f"{BASE}/types/new/", {"name": "Boss projects", "key": "bossp"})
    assert created.status_code == 302
    # The action gave boss a manager group over the new tree: its root is now in scope.
    assert (
        boss_web.post(f"{BASE}/node/g_bossp/new/", {"name": "Alpha", "uid": "alpha", "visibility": 1}).status_code
        == 302
    )
    assert node("alpha").parent.uid == "bossp"


# --- the tree --------------------------------------------------------------------------------


def test_admin_sees_the_first_level_and_expands_on_demand(admin_web, world):
    tree = admin_web.get(f"{BASE}/types/department/").content.decode()
    assert 'data-node="d_hq"' in tree and 'data-node="d_eng"' in tree
    assert 'data-node="d_sales"' not in tree  # one level only
    assert f"{BASE}/node/d_hq/children/" in tree  # hq has children: an expander
    assert f'hx-get="{BASE}/node/d_eng/children/"' not in tree  # eng is a leaf
    level = admin_web.get(f"{BASE}/node/d_hq/children/", headers={"HX-Request": "true"})
    html = level.content.decode()
    assert 'data-node="d_sales"' in html and 'data-node="d_hr"' in html
    assert "<html" not in html  # a fragment


def test_sub_admin_tree_starts_at_the_scope(boss_web, world):
    tree = boss_web.get(f"{BASE}/types/department/").content.decode()
    assert 'data-node="d_sales"' in tree and 'data-node="d_hq"' not in tree and 'data-node="d_eng"' not in tree
    assert boss_web.get(f"{BASE}/node/d_hq/children/").status_code == 404
    assert boss_web.get(f"{BASE}/node/d_sales/children/", headers={"HX-Request": "true"}).status_code == 200
    assert b"New top-level group" not in boss_web.get(f"{BASE}/types/department/").content


def test_a_wide_level_comes_a_page_at_a_time(admin_web, world):
    Group.objects.bulk_create(
        [
            Group(uid=f"w{n:02d}", name=f"Wide {n:02d}", type=world["hr"].type, parent=world["hr"], depth=2, order=n)
            for n in range(25)
        ]
    )
    for g in Group.objects.filter(uid__startswith="w"):
        g.path = f"{world['hr'].path}{g.pk}/"
        g.save(update_fields=["path"])
    first = admin_web.get(f"{BASE}/node/d_hr/children/", headers={"HX-Request": "true"}).content.decode()
    assert first.count("data-node=") == 20 and "More… (25 in all)" in first and first.startswith('<ul class="tree"')
    more = admin_web.get(f"{BASE}/node/d_hr/children/?page=2", headers={"HX-Request": "true"}).content.decode()
    assert more.count("data-node=") == 5 and "<ul" not in more.split("data-node")[0]
    assert "More…" not in more
    plain = admin_web.get(f"{BASE}/node/d_hr/children/?page=2")  # without JavaScript: a whole page
    assert plain.status_code == 200 and b"<html" in plain.content


def test_out_of_scope_groups_are_404_for_every_page(boss_web, world):
    for suffix in ("", "children/", "new/", "members/", "visibility/", "perms/", "members/move/?username=erin"):
        assert boss_web.get(f"{BASE}/node/d_hr/{suffix}").status_code == 404, suffix
    for suffix in ("", "move/", "order/", "delete/", "members/add/", "members/remove/", "visibility/", "perms/"):
        assert boss_web.post(f"{BASE}/node/d_hr/{suffix}", {"name": "x"}).status_code == 404, suffix
    assert boss_web.get(f"{BASE}/node/d_nope/").status_code == 404
    assert boss_web.get(f"{BASE}/node/g_sales/").status_code == 404  # the prefix must match the type


def test_plain_users_and_anonymous_are_kept_out(plain_web, client, world):
    assert plain_web.get(f"{BASE}/").status_code == 403
    assert plain_web.post(f"{BASE}/node/d_eng/delete/").status_code == 403
    assert client.get(f"{BASE}/node/d_eng/").status_code == 302
    assert Group.objects.filter(uid="eng").exists()


def test_create_a_child_with_inline_errors(admin_web, world):
    bad = admin_web.post(f"{BASE}/node/d_sales/new/", {"name": "West", "uid": "no spaces", "visibility": 1})
    assert bad.status_code == 400 and "Use letters, digits" in bad.context["form"].errors["uid"][0]
    taken = admin_web.post(f"{BASE}/node/d_sales/new/", {"name": "West", "uid": "east", "visibility": 1})
    assert taken.status_code == 400 and "already exists" in taken.context["form"].errors["uid"][0]
    nameless = admin_web.post(f"{BASE}/node/d_sales/new/", {"name": "", "visibility": 9})
    assert nameless.status_code == 400
    assert set(nameless.context["form"].errors) == {"name", "visibility"}
    ok = admin_web.post(f"{BASE}/node/d_sales/new/", {"name": "West", "uid": "west", "remark": "r", "visibility": 2})
    assert ok.status_code == 302 and ok["Location"] == f"{BASE}/node/d_west/"
    west = node("west")
    assert (west.parent.uid, west.visibility, west.remark) == ("sales", 2, "r")
    assert events(Action.GROUP_CREATED).filter(target_name="West").exists()


def test_admin_creates_a_top_level_group(admin_web, world):
    assert admin_web.post(f"{BASE}/node/d_root/new/", {"name": "Ops", "uid": "ops", "visibility": 1}).status_code == 302
    assert node("ops").parent.uid == "root" or node("ops").parent.parent_id is None


def test_sub_admin_creates_only_inside_the_scope(boss_web, world):
    assert boss_web.post(f"{BASE}/node/d_east/new/", {"name": "E1", "uid": "e1", "visibility": 1}).status_code == 302
    assert boss_web.post(f"{BASE}/node/d_root/new/", {"name": "X", "uid": "x1", "visibility": 1}).status_code == 404
    assert not Group.objects.filter(uid="x1").exists()


def test_edit_name_and_remark(admin_web, world):
    saved = admin_web.post(f"{BASE}/node/d_sales/", {"name": "Sales & Marketing", "remark": "<b>hi</b>"})
    assert saved.status_code == 302
    assert node("sales").name == "Sales & Marketing"
    page = admin_web.get(f"{BASE}/node/d_sales/").content.decode()
    assert "&lt;b&gt;hi&lt;/b&gt;" in page and "<b>hi</b>" not in page
    assert events(Action.GROUP_UPDATED).count() == 1
    blank = admin_web.post(f"{BASE}/node/d_sales/", {"name": "  "})
    assert blank.status_code == 400 and blank.context["edit_form"].errors["name"]


def test_move_within_the_tree_and_refuse_cycles(admin_web, world):
    moved = admin_web.post(f"{BASE}/node/d_east/move/", {"parent": "d_hr"})
    assert moved.status_code == 302
    east = node("east")
    assert east.parent.uid == "hr" and east.path == f"{world['hr'].path}{east.pk}/"
    assert events(Action.GROUP_MOVED).count() == 1
    cycle = admin_web.post(f"{BASE}/node/d_hq/move/", {"parent": "d_hr"})
    assert cycle.status_code == 400
    assert "cannot move into itself or one of its descendants" in cycle.content.decode()
    assert node("hq").parent.parent_id is None
    nothing = admin_web.post(f"{BASE}/node/d_hq/move/", {})
    assert nothing.status_code == 400 and nothing.context["move_form"].errors["parent"]
    unknown = admin_web.post(f"{BASE}/node/d_hr/move/", {"parent": "d_ghost"})
    assert unknown.status_code == 400 and "d_ghost" in unknown.context["move_form"].errors["parent"][0]
    top = admin_web.post(f"{BASE}/node/d_hr/move/", {"to_top": "on"})
    assert top.status_code == 302 and node("hr").parent.parent_id is None


def test_move_across_trees_is_refused(admin_web, world):
    role = create_test_group("Lead", uid="lead", type_key="role")
    refused = admin_web.post(f"{BASE}/node/d_east/move/", {"parent": role.node_uid})
    assert refused.status_code == 400 and "within its own tree" in refused.content.decode()


def test_sub_admin_cannot_move_a_group_out_of_scope(boss_web, world):
    out = boss_web.post(f"{BASE}/node/d_east/move/", {"parent": "d_hr"})
    assert out.status_code == 400 and "outside your scope" in out.content.decode()
    top = boss_web.post(f"{BASE}/node/d_east/move/", {"to_top": "on"})
    assert top.status_code == 400
    assert node("east").parent.uid == "sales"
    assert not events(Action.GROUP_MOVED).exists()


def test_sort_up_down_and_to_a_position(admin_web, world):
    hq = world["hq"]
    for uid in ("a", "b", "c"):
        admin_web.post(f"{BASE}/node/d_hq/new/", {"name": uid.upper(), "uid": uid, "visibility": 1})

    def order():
        return list(Group.objects.filter(parent=hq).order_by("order", "id").values_list("uid", flat=True))

    assert order() == ["sales", "hr", "a", "b", "c"]
    assert admin_web.post(f"{BASE}/node/d_c/order/", {"direction": "up"}).status_code == 302
    assert order() == ["sales", "hr", "a", "c", "b"]
    admin_web.post(f"{BASE}/node/d_sales/order/", {"direction": "down", "back": "tree"})
    assert order() == ["hr", "sales", "a", "c", "b"]
    admin_web.post(f"{BASE}/node/d_b/order/", {"direction": "set", "position": "1"})
    assert order() == ["b", "hr", "sales", "a", "c"]
    bad = admin_web.post(f"{BASE}/node/d_b/order/", {"direction": "set", "position": "0"})
    assert bad.status_code == 400 and bad.context["order_form"].errors["position"]
    assert events(Action.GROUPS_SORTED).count() == 3


def test_delete_follows_the_seed_rules(admin_web, world):
    with_children = admin_web.post(f"{BASE}/node/d_sales/delete/")
    assert with_children.status_code == 400 and "children first" in with_children.content.decode()
    with_members = admin_web.post(f"{BASE}/node/d_hr/delete/")
    assert with_members.status_code == 400 and "members first" in with_members.content.decode()
    assert admin_web.post(f"{BASE}/node/d_root/delete/").status_code == 400
    create_test_group("Empty", uid="empty", parent=world["hq"])
    gone = admin_web.post(f"{BASE}/node/d_empty/delete/")
    assert gone.status_code == 302 and gone["Location"] == f"{BASE}/node/d_hq/"
    assert not Group.objects.filter(uid="empty").exists()
    assert events(Action.GROUP_DELETED).count() == 1


def test_delete_needs_a_post_and_confirms(admin_web, world):
    assert admin_web.get(f"{BASE}/node/d_eng/delete/").status_code == 405
    assert "data-confirm" in admin_web.get(f"{BASE}/node/d_eng/").content.decode()


# --- members ---------------------------------------------------------------------------------


def test_members_page_searches_and_pages(admin_web, world):
    page = admin_web.get(f"{BASE}/node/d_hr/members/").content.decode()
    assert 'data-member="erin"' in page
    assert 'data-member="erin"' not in admin_web.get(f"{BASE}/node/d_hr/members/?q=zzz").content.decode()
    assert 'data-member="erin"' in admin_web.get(f"{BASE}/node/d_hr/members/?q=ERI").content.decode()


def test_add_members_through_the_picker_field(admin_web, world):
    added = admin_web.post(f"{BASE}/node/d_hr/members/add/", {"users": ["dave", "carol"]})
    assert added.status_code == 302
    assert set(Membership.objects.filter(group=world["hr"]).values_list("user__username", flat=True)) == {
        "erin",
        "dave",
        "carol",
    }
    assert events(Action.MEMBERS_ADDED).count() == 1
    unknown = admin_web.post(f"{BASE}/node/d_hr/members/add/", {"users": ["ghost"]})
    assert unknown.status_code == 400 and "ghost" in unknown.context["add_form"].errors["users"][0]
    empty = admin_web.post(f"{BASE}/node/d_hr/members/add/", {})
    assert empty.status_code == 400 and empty.context["add_form"].errors["users"]


def test_sub_admin_adds_only_users_in_scope(boss_web, world):
    refused = boss_web.post(f"{BASE}/node/d_east/members/add/", {"users": ["dave"]})
    assert refused.status_code == 400 and "outside your scope" in refused.content.decode()
    assert not Membership.objects.filter(group=world["east"], user=world["dave"]).exists()
    assert boss_web.post(f"{BASE}/node/d_east/members/add/", {"users": ["boss"]}).status_code == 302


def test_remove_and_move_a_member(admin_web, world):
    removed = admin_web.post(f"{BASE}/node/d_hr/members/remove/", {"username": "erin"})
    assert removed.status_code == 302
    assert not Membership.objects.filter(group=world["hr"]).exists()
    assert events(Action.MEMBERS_REMOVED).count() == 1
    form = admin_web.get(f"{BASE}/node/d_east/members/move/?username=carol")
    assert form.status_code == 200 and 'data-field="target"' in form.content.decode()
    moved = admin_web.post(f"{BASE}/node/d_east/members/move/", {"username": "carol", "target": "d_eng"})
    assert moved.status_code == 302
    assert Membership.objects.filter(group=world["eng"], user=world["carol"]).exists()
    assert not Membership.objects.filter(group=world["east"], user=world["carol"]).exists()
    stranger = admin_web.post(f"{BASE}/node/d_east/members/move/", {"username": "dave", "target": "d_hr"})
    assert stranger.status_code == 400
    no_target = admin_web.post(f"{BASE}/node/d_eng/members/move/", {"username": "dave"})
    assert no_target.status_code == 400 and no_target.context["form"].errors["target"]


def test_sub_admin_cannot_move_a_member_out_of_scope(boss_web, world):
    refused = boss_web.post(f"{BASE}/node/d_east/members/move/", {"username": "carol", "target": "d_hr"})
    assert refused.status_code == 400 and "outside your scope" in refused.content.decode()
    assert Membership.objects.filter(group=world["east"], user=world["carol"]).exists()


# --- visibility ------------------------------------------------------------------------------


def test_visibility_with_listed_users_and_groups(admin_web, world):
    saved = admin_web.post(
        f"{BASE}/node/d_sales/visibility/",
        {"visibility": Visibility.LISTED, "node_scope": ["d_hr"], "user_scope": ["dave"]},
    )
    assert saved.status_code == 302
    sales = node("sales")
    assert sales.visibility == Visibility.LISTED
    assert list(sales.visible_groups.values_list("uid", flat=True)) == ["hr"]
    assert list(sales.visible_users.values_list("username", flat=True)) == ["dave"]
    page = admin_web.get(f"{BASE}/node/d_sales/visibility/").content.decode()
    assert 'name="node_scope" value="d_hr" checked' in page and 'name="user_scope" value="dave" checked' in page
    bad = admin_web.post(f"{BASE}/node/d_sales/visibility/", {"visibility": 4, "user_scope": ["ghost"]})
    assert bad.status_code == 400 and "ghost" in bad.context["form"].errors["user_scope"][0]
    assert 'name="user_scope" value="ghost" checked' in bad.content.decode()  # the picks survive an error
    assert list(node("sales").visible_users.values_list("username", flat=True)) == ["dave"]  # nothing changed
    wrong = admin_web.post(f"{BASE}/node/d_sales/visibility/", {"visibility": 7})
    assert wrong.status_code == 400 and wrong.context["form"].errors["visibility"]


def test_sub_admin_lists_only_what_they_manage(boss_web, world):
    refused = boss_web.post(f"{BASE}/node/d_sales/visibility/", {"visibility": 4, "node_scope": ["d_hr"]})
    assert refused.status_code == 400 and "outside your scope" in refused.content.decode()
    assert (
        boss_web.post(
            f"{BASE}/node/d_sales/visibility/", {"visibility": 4, "node_scope": ["d_east"], "user_scope": ["carol"]}
        ).status_code
        == 302
    )


# --- permissions -----------------------------------------------------------------------------


def test_group_permissions_show_status_and_inherited_source(admin_web, world):
    granted = admin_web.post(f"{BASE}/node/d_hq/perms/", {"perm": "app_wiki_access", "status": "1"})
    assert granted.status_code == 302
    assert PermissionStatus.objects.get(group=world["hq"], perm__uid="app_wiki_access").status == 1
    assert events(Action.PERMISSION_STATUSES_CHANGED).count() == 1
    rows = {row.perm.uid: row for row in admin_web.get(f"{BASE}/node/d_east/perms/").context["rows"]}
    wiki = rows["app_wiki_access"]
    assert (wiki.own, wiki.effective, wiki.source.uid) == (0, 1, "hq")
    admin_web.post(f"{BASE}/node/d_sales/perms/", {"perm": "app_wiki_access", "status": "-1"})
    rows = {row.perm.uid: row for row in admin_web.get(f"{BASE}/node/d_east/perms/").context["rows"]}
    assert (rows["app_wiki_access"].effective, rows["app_wiki_access"].source.uid) == (-1, "sales")
    own = {row.perm.uid: row for row in admin_web.get(f"{BASE}/node/d_sales/perms/").context["rows"]}
    assert (own["app_wiki_access"].own, own["app_wiki_access"].source) == (-1, None)
    admin_web.post(f"{BASE}/node/d_sales/perms/", {"perm": "app_wiki_access", "status": "0"})
    assert not PermissionStatus.objects.filter(group=world["sales"]).exists()
    bad = admin_web.post(f"{BASE}/node/d_sales/perms/", {"perm": "app_wiki_access", "status": "5"})
    assert bad.status_code == 400


def test_sub_admin_sets_only_permissions_of_managed_apps(boss_web, admin_web, world):
    admin_web.post(f"{BASE}/node/d_hq/perms/", {"perm": "app_wiki_access", "status": "1"})
    page = boss_web.get(f"{BASE}/node/d_sales/perms/")
    uids = {row.perm.uid for row in page.context["rows"]}
    assert "app_wiki_access" in uids and "app_secret_access" not in uids
    assert "inherited from a group above your scope" in page.content.decode()  # hq's name stays hidden
    assert boss_web.post(f"{BASE}/node/d_sales/perms/", {"perm": "app_secret_access", "status": "1"}).status_code == 404
    assert boss_web.post(f"{BASE}/node/d_sales/perms/", {"perm": "app_wiki_access", "status": "1"}).status_code == 302
    assert not PermissionStatus.objects.filter(perm__uid="app_secret_access").exists()


def test_groups_area_speaks_chinese(admin_web, world):
    page = admin_web.get(f"{BASE}/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content.decode()
    assert "分组类型" in page


def test_an_expansion_costs_the_same_queries_however_wide_the_level(admin_web, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def expand_hq() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert admin_web.get(f"{BASE}/node/d_hq/children/", headers={"HX-Request": "true"}).status_code == 200
        return len(queries)

    narrow = expand_hq()
    for n in range(30):
        child = create_test_group(f"Team {n}", uid=f"team{n}", parent=world["hq"])
        create_test_group(f"Sub {n}", uid=f"sub{n}", parent=child)
    assert expand_hq() == narrow


def test_posts_need_the_csrf_token(world):
    from django.test import Client

    from apps.console.tests.conftest import PASSWORD

    client = Client(enforce_csrf_checks=True)
    client.force_login(world["admin"])
    assert PASSWORD  # the same admin the other tests sign in through the login page
    assert client.post(f"{BASE}/node/d_eng/delete/").status_code == 403
    assert Group.objects.filter(uid="eng").exists()


def test_bad_order_input_is_a_400_with_the_message(admin_web, world):
    bad = admin_web.post(f"{BASE}/node/d_sales/order/", {"direction": "sideways"})
    assert bad.status_code == 400 and "sideways" in bad.content.decode()
    root = admin_web.post(f"{BASE}/node/d_root/order/", {"direction": "up"})
    assert root.status_code == 400
