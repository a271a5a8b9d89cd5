"""Web pages of the accounts app, mounted at the site root by arkid/urls.py."""

from django.urls import path

from apps.accounts.web import views

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/mfa/", views.mfa_view, name="login-mfa"),
    path("login/password/", views.forced_password_view, name="login-password"),
    path("logout/", views.logout_view, name="logout"),
]
