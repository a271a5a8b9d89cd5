"""Resolves a user's sub-administrator scope from their manager groups, for the directory's
scope module (registered in ``PermissionsConfig.ready``; the directory cannot import us).

A user is a member of a manager group when listed in ``member_users`` or a direct member of
one of its ``member_groups``. The scope is the union over those groups. Resolution is a
handful of small queries (the user's manager groups and their M2M rows); the result is cached
by :func:`apps.directory.scope.resolve_scope`.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from apps.directory.models import Group, Membership, User
from apps.directory.scope import ManageScope, top_paths
from apps.permissions.models import ManagerGroup, Permission

# The base system permissions a manager group may grant (v1's 基础权限).
BASE_SYSTEM_PERMS = (
    "system_user_create",
    "system_category_create",
    "system_app_create",
    "system_log_read",
    "system_config_write",
    "system_account_sync",
)


def manager_groups_of(user: User) -> QuerySet[ManagerGroup]:
    own_groups = Membership.objects.filter(user=user).values("group_id")
    through = ManagerGroup.member_groups.through.objects.filter(group_id__in=own_groups).values("managergroup_id")
    return ManagerGroup.objects.filter(Q(member_users=user) | Q(pk__in=through)).distinct()


class ManagerGroupResolver:
    def resolve(self, user: User) -> ManageScope:
        groups = list(manager_groups_of(user).values_list("pk", "scope_subject"))
        ids = tuple(sorted({pk for pk, _ in groups}))
        if not ids:
            return ManageScope(user_id=user.pk)
        paths: list[str] = []
        if any(subject == ManagerGroup.SCOPE_OWN_GROUPS for _, subject in groups):
            paths += Group.objects.filter(memberships__user=user).values_list("path", flat=True)
        listed = [pk for pk, subject in groups if subject == ManagerGroup.SCOPE_LISTED]
        if listed:
            scope_groups = ManagerGroup.scope_groups.through.objects.filter(managergroup_id__in=listed)
            paths += Group.objects.filter(pk__in=scope_groups.values("group_id")).values_list("path", flat=True)
            scope_users = ManagerGroup.scope_users.through.objects.filter(managergroup_id__in=listed)
            user_ids = tuple(sorted(set(scope_users.values_list("user_id", flat=True))))
        else:
            user_ids = ()
        perms = Permission.objects.filter(manager_groups__in=ids, kind=Permission.Kind.SYSTEM)
        app_ids = ManagerGroup.apps.through.objects.filter(managergroup_id__in=ids).values_list("app_id", flat=True)
        return ManageScope(
            user_id=user.pk,
            manager_group_ids=ids,
            group_paths=top_paths(paths),
            user_ids=user_ids,
            perms=frozenset(perms.values_list("uid", flat=True)) & frozenset(BASE_SYSTEM_PERMS),
            app_ids=frozenset(app_ids),
        )

    def grant_creator(self, actor: User, group: Group) -> None:
        from apps.permissions.actions.manager_groups import create_for_new_group  # actions import us

        create_for_new_group(group, actor=actor)

    def member_group_ids(self) -> QuerySet:
        return ManagerGroup.member_groups.through.objects.values("group_id")

    def manager_user_ids(self) -> QuerySet:
        direct = ManagerGroup.member_users.through.objects.values("user_id")
        member_groups = ManagerGroup.member_groups.through.objects.values("group_id")
        via_groups = Membership.objects.filter(group_id__in=member_groups).values("user_id")
        return User.objects.filter(Q(pk__in=direct) | Q(pk__in=via_groups)).values("pk")
