"""The Settings area, mounted at /console/config/."""

from django.urls import path, re_path

from apps.console.config import keys, ldap, login_page, views

urlpatterns = [
    path("", views.index_view, name="console-config"),
    path("accounts/", views.accounts_view, name="console-config-accounts"),
    path("security/", views.security_view, name="console-config-security"),
    path("senders/", views.senders_view, name="console-config-senders"),
    re_path(r"^senders/(?P<channel>email|sms)/$", views.sender_save_view, name="console-config-sender-save"),
    re_path(r"^senders/(?P<channel>email|sms)/test/$", views.test_send_view, name="console-config-sender-test"),
    path("login-page/", login_page.login_page_view, name="console-config-login-page"),
    path("login-page/preview/", login_page.preview_view, name="console-config-login-preview"),
    path("ldap/", ldap.ldap_view, name="console-config-ldap"),
    path("ldap/service-accounts/", ldap.create_view, name="console-config-ldap-create"),
    path("ldap/service-accounts/<str:uid>/rotate/", ldap.rotate_view, name="console-config-ldap-rotate"),
    path("ldap/service-accounts/<str:uid>/delete/", ldap.delete_view, name="console-config-ldap-delete"),
    path("oidc-keys/", keys.keys_view, name="console-config-oidc-keys"),
    path("oidc-keys/rotate/", keys.rotate_view, name="console-config-oidc-rotate"),
]
