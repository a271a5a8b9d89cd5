"""The Groups area (分组), mounted at /console/groups/ by apps/console/urls.py."""

from django.urls import path

from apps.console.groups import views_members, views_node, views_perms, views_types

urlpatterns = [
    path("", views_types.index_view, name="console-groups"),
    path("types/new/", views_types.type_create_view, name="console-groups-type-create"),
    path("types/<slug:key>/", views_types.tree_view, name="console-groups-tree"),
    path("types/<slug:key>/edit/", views_types.type_edit_view, name="console-groups-type-edit"),
    path("types/<slug:key>/delete/", views_types.type_delete_view, name="console-groups-type-delete"),
    path("node/<str:node_uid>/", views_node.node_view, name="console-groups-node"),
    path("node/<str:node_uid>/children/", views_node.children_view, name="console-groups-children"),
    path("node/<str:node_uid>/new/", views_node.create_child_view, name="console-groups-create"),
    path("node/<str:node_uid>/move/", views_node.move_view, name="console-groups-move"),
    path("node/<str:node_uid>/order/", views_node.order_view, name="console-groups-order"),
    path("node/<str:node_uid>/delete/", views_node.delete_view, name="console-groups-delete"),
    path("node/<str:node_uid>/visibility/", views_node.visibility_view, name="console-groups-visibility"),
    path("node/<str:node_uid>/members/", views_members.members_view, name="console-groups-members"),
    path("node/<str:node_uid>/members/add/", views_members.members_add_view, name="console-groups-members-add"),
    path(
        "node/<str:node_uid>/members/remove/", views_members.members_remove_view, name="console-groups-members-remove"
    ),
    path("node/<str:node_uid>/members/move/", views_members.member_move_view, name="console-groups-member-move"),
    path("node/<str:node_uid>/perms/", views_perms.perms_view, name="console-groups-perms"),
]
