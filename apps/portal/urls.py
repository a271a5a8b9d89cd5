"""Portal pages, mounted at the site root (after /login/ and /logout/) by arkid/urls.py."""

from django.urls import path

from apps.portal import contacts, views

urlpatterns = [
    path("", views.apps_view, name="portal-apps"),
    path("profile/", views.profile_view, name="portal-profile"),
    path("password/", views.password_view, name="portal-password"),
    path("sessions/", views.sessions_view, name="portal-sessions"),
    path("sessions/<int:session_id>/end/", views.session_end_view, name="portal-session-end"),
    path("contacts/", contacts.contacts_view, name="portal-contacts"),
    path("contacts/node/<str:node_uid>/children/", contacts.children_view, name="portal-contacts-children"),
    path("contacts/node/<str:node_uid>/", contacts.members_view, name="portal-contacts-members"),
    path("contacts/user/<str:username>/", contacts.colleague_view, name="portal-colleague"),
]
