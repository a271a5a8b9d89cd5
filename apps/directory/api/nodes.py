"""Routes for group types, group trees, memberships and the address book (ArkID v1 paths).

Administrators only, except ``ucenter/…`` (any active user, filtered by group visibility).
"""

from __future__ import annotations

from django.urls import path

from apps.directory.api import contacts, nodes_admin, nodes_members, nodes_meta

urlpatterns = [
    path("meta/node/", nodes_meta.NodeMetaView.as_view(), name="node-meta"),
    path("meta/node/<slug:key>/", nodes_meta.NodeMetaDetailView.as_view(), name="node-meta-detail"),
    path("node/<str:node_uid>/", nodes_admin.NodeDetailView.as_view(), name="node-detail"),
    path("node/<str:node_uid>/list/", nodes_admin.NodeListView.as_view(), name="node-list"),
    path("node/<str:node_uid>/tree/", nodes_admin.NodeTreeView.as_view(), name="node-tree"),
    path("node/<str:node_uid>/node/", nodes_admin.NodeChildrenView.as_view(), name="node-children"),
    path("node/<str:node_uid>/user/", nodes_members.NodeMembersView.as_view(), name="node-members"),
    path("ucenter/node/<str:node_uid>/", contacts.ContactNodeView.as_view(), name="ucenter-node"),
    path("ucenter/node/<str:node_uid>/tree/", contacts.ContactTreeView.as_view(), name="ucenter-node-tree"),
    path("ucenter/node/<str:node_uid>/user/", contacts.ContactMembersView.as_view(), name="ucenter-node-members"),
    path("ucenter/user/<str:username>/", contacts.ColleagueView.as_view(), name="ucenter-colleague"),
    path("ucenter/search/", contacts.ContactSearchView.as_view(), name="ucenter-search"),
]
