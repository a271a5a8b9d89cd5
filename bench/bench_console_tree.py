"""The console's Groups area at directory scale: 100k users, 10k groups (bench_user_list's
loader: departments 10/100/1,000/7,000 deep, 50+900 roles, 940 labels side by side).

Measures the server time of the Groups pages through Django's test client with a session
(the console is session-only), for the administrator and for a sub-administrator of one
top-level department (811 groups, ~10k users in scope):

- a tree expansion of a wide level (the 940 labels under the label root: the first page of
  20 and the "More…" count) and of a deep level (a department at depth 3), as the htmx
  fragment an expander asks for;
- the type's tree page (the administrator's first level; the sub-administrator's scope tops);
- a group's member page (first page and a search);
- the group picker search (10k groups, ``icontains`` on name and uid, 20 matches).

Baseline in the same run: a bare ORM ``SELECT ... LIMIT 20`` of users. Goal (issue 8): each
page <= 150 ms. PostgreSQL when ARKID_DATABASE_URL is set, otherwise SQLite.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_user_list as data  # noqa: E402 - also sets Django up (bench/common.py)
import common  # noqa: E402
from django.db import transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402

from apps.directory.models import Group, GroupType, Membership, User  # noqa: E402
from apps.permissions.actions.apps import create_app  # noqa: E402
from apps.permissions.actions.manager_groups import create_manager_group  # noqa: E402

GOAL_MS = 150.0
HTMX = {"HX-Request": "true"}


def session_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def department(depth: int, within: Group | None = None) -> Group:
    groups = Group.objects.filter(type__key=GroupType.DEPARTMENT, depth=depth)
    if within is not None:
        groups = groups.filter(path__startswith=within.path)
    return groups.select_related("type").order_by("order", "id").first()


def busiest_label() -> Group:
    """The label with the most members (a member page that really pages)."""
    label = (
        Group.objects.filter(type__key=GroupType.LABEL, depth=1)
        .annotate(n=Count("memberships"))
        .order_by("-n", "id")
        .select_related("type")
        .first()
    )
    return label


def setup() -> dict[str, tuple[Client, dict[str, tuple[str, dict]]]]:
    admin = User.objects.get(username="benchadmin")
    top = department(1)
    boss = User.objects.create(username="benchboss", name="Bench Boss")
    Membership.objects.create(user=boss, group=top)
    wiki, _ = create_app(actor=admin, name="Wiki", uid="wiki")
    create_manager_group(actor=admin, name="Dept admins", uid="dept-admins", member_users=[boss], apps=[wiki])
    label_root = GroupType.objects.select_related("root__type").get(key=GroupType.LABEL).root
    deep = department(3)
    boss_deep = department(3, within=top)
    boss_leaf = department(4, within=top)
    label = busiest_label()
    in_scope = Group.objects.filter(path__startswith=top.path).count()
    print(f"  member page of {label.name}: {label.n} members; sub-administrator scope: {in_scope} groups", flush=True)
    base = "/console/groups"
    admin_urls = {
        "tree_page_department": (f"{base}/types/department/", {}),
        "tree_expand_wide_940": (f"{base}/node/{label_root.node_uid}/children/", HTMX),
        "tree_expand_wide_more": (f"{base}/node/{label_root.node_uid}/children/?page=47", HTMX),
        "tree_expand_deep": (f"{base}/node/{deep.node_uid}/children/", HTMX),
        "group_members_page": (f"{base}/node/{label.node_uid}/members/", {}),
        "group_members_search": (f"{base}/node/{label.node_uid}/members/?q=user01", {}),
        "group_picker_search": ("/console/pickers/groups/?q=Department%2012&type=department&field=parent", HTMX),
    }
    boss_urls = {
        "tree_page_scope_tops": (f"{base}/types/department/", {}),
        "tree_expand_top": (f"{base}/node/{top.node_uid}/children/", HTMX),
        "tree_expand_deep": (f"{base}/node/{boss_deep.node_uid}/children/", HTMX),
        "group_members_page": (f"{base}/node/{boss_leaf.node_uid}/members/", {}),
        "group_picker_search": ("/console/pickers/groups/?q=Department%2012&type=department&field=parent", HTMX),
    }
    return {"admin": (session_client(admin), admin_urls), "subadmin": (session_client(boss), boss_urls)}


def main() -> int:
    met = True
    with common.throwaway_database():
        data.load()
        with transaction.atomic():
            actors = setup()
        baseline = common.measure(lambda: list(User.objects.order_by("id")[:20]), repeat=50)
        base_ms = common.ms(baseline.median)
        common.report("orm_select_limit_20", base_ms, "ms", note="baseline: bare ORM SELECT ... LIMIT 20")
        for actor, (client, urls) in actors.items():
            for name, (url, headers) in urls.items():
                get = common.page_getter(client, url, headers=headers)
                baseline = ("orm_select_limit_20", base_ms)
                met &= common.report_page(f"console_{actor}_{name}", get, baseline=baseline, goal=GOAL_MS)
    return 0 if met else 3


if __name__ == "__main__":
    sys.exit(main())
