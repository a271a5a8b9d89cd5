"""Portal pages, mounted at the site root (after /login/ and /logout/) by arkid/urls.py."""

from django.urls import path

from apps.portal import contact, contacts, mfa, views

urlpatterns = [
    path("", views.apps_view, name="portal-apps"),
    path("profile/", views.profile_view, name="portal-profile"),
    path("profile/avatar/", views.avatar_upload_view, name="portal-avatar"),
    path("profile/avatar/remove/", views.avatar_remove_view, name="portal-avatar-remove"),
    path("contact/", contact.contact_view, name="portal-contact"),
    path("contact/code/", contact.contact_code_view, name="portal-contact-code"),
    path("password/", views.password_view, name="portal-password"),
    path("mfa/", mfa.mfa_view, name="portal-mfa"),
    path("mfa/enrol/", mfa.mfa_enrol_view, name="portal-mfa-enrol"),
    path("mfa/confirm/", mfa.mfa_confirm_view, name="portal-mfa-confirm"),
    path("mfa/recovery-codes/", mfa.mfa_recovery_view, name="portal-mfa-recovery"),
    path("mfa/disable/", mfa.mfa_disable_view, name="portal-mfa-disable"),
    path("sessions/", views.sessions_view, name="portal-sessions"),
    path("sessions/<int:session_id>/end/", views.session_end_view, name="portal-session-end"),
    path("authorised/", views.authorised_view, name="portal-authorised"),
    path("authorised/<int:client_pk>/revoke/", views.authorised_revoke_view, name="portal-authorised-revoke"),
    path("contacts/", contacts.contacts_view, name="portal-contacts"),
    path("contacts/node/<str:node_uid>/children/", contacts.children_view, name="portal-contacts-children"),
    path("contacts/node/<str:node_uid>/", contacts.members_view, name="portal-contacts-members"),
    path("contacts/user/<str:username>/", contacts.colleague_view, name="portal-colleague"),
]
