"""Web pages of the accounts app, mounted at the site root by arkid/urls.py."""

from django.urls import path

from apps.accounts.sources import views as source_views
from apps.accounts.web import invitations, self_service, views

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/mfa/", views.mfa_view, name="login-mfa"),
    path("login/password/", views.forced_password_view, name="login-password"),
    path("login/source/<str:key>/", source_views.start_view, name="login-source"),
    path("login/source/<str:key>/callback/", source_views.callback_view, name="login-source-callback"),
    path("login/source/<str:key>/bind/", source_views.bind_view, name="login-source-bind"),
    path("login/forgot/", self_service.forgot_view, name="login-forgot"),
    path("login/forgot/code/", self_service.forgot_code_view, name="login-forgot-code"),
    path("register/", self_service.register_view, name="register"),
    path("register/code/", self_service.register_code_view, name="register-code"),
    path("activate/", invitations.activate_view, name="activate"),
    path("logout/", views.logout_view, name="logout"),
]
