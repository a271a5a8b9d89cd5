"""Accounts endpoints, mounted under /siteapi/oneid/ and /siteapi/v1/ by apps.api.urls."""

from django.urls import path

from apps.accounts.api import codes as codes_api
from apps.accounts.api import config as config_api
from apps.accounts.api import invitations, lockouts, login, meta, passwords, tokens
from apps.accounts.api import mfa as mfa_api
from apps.accounts.api import self_service as self_service_api
from apps.accounts.api import sessions as sessions_api

urlpatterns = [
    path("ucenter/login/", login.LoginView.as_view(), name="ucenter-login"),
    path("revoke/token/", login.RevokeTokenView.as_view(), name="revoke-token"),
    path("ucenter/tokens/", tokens.TokenListView.as_view(), name="ucenter-tokens"),
    path("ucenter/tokens/<int:token_id>/", tokens.TokenDetailView.as_view(), name="ucenter-token-detail"),
    path("ucenter/password/", passwords.PasswordView.as_view(), name="ucenter-password"),
    path("ucenter/profile/invited/", invitations.InvitedProfileView.as_view(), name="ucenter-profile-invited"),
    path("invitation/user/<str:username>/", invitations.InvitationCreateView.as_view(), name="invitation-user"),
    path("meta/", meta.MetaView.as_view(), name="meta"),
    path("service/captcha/", codes_api.CaptchaView.as_view(), name="captcha"),
    path("service/captcha/image/<str:key>/", codes_api.CaptchaImageView.as_view(), name="captcha-image"),
    path("service/sms/<str:subject>/verify/", codes_api.SmsVerifyView.as_view(), name="sms-code-verify"),
    path("service/email/<str:subject>/verify/", codes_api.EmailVerifyView.as_view(), name="email-code-verify"),
    path("service/sms/<str:subject>/", codes_api.SmsCodeView.as_view(), name="sms-code"),
    path("service/email/<str:subject>/", codes_api.EmailCodeView.as_view(), name="email-code"),
    path("ucenter/register/", self_service_api.RegisterView.as_view(), name="ucenter-register"),
    path("ucenter/contact/", self_service_api.ContactView.as_view(), name="ucenter-contact"),
    path("ucenter/login/mfa/", mfa_api.LoginMfaView.as_view(), name="ucenter-login-mfa"),
    path("ucenter/login/mfa/enrol/", mfa_api.LoginMfaEnrolView.as_view(), name="ucenter-login-mfa-enrol"),
    path("ucenter/mfa/", mfa_api.MfaStatusView.as_view(), name="ucenter-mfa"),
    path("ucenter/mfa/enrol/", mfa_api.MfaEnrolView.as_view(), name="ucenter-mfa-enrol"),
    path("ucenter/mfa/confirm/", mfa_api.MfaConfirmView.as_view(), name="ucenter-mfa-confirm"),
    path("ucenter/mfa/recovery_codes/", mfa_api.MfaRecoveryCodesView.as_view(), name="ucenter-mfa-recovery"),
    path("ucenter/mfa/disable/", mfa_api.MfaDisableView.as_view(), name="ucenter-mfa-disable"),
    path("user/<str:username>/mfa/", mfa_api.AdminUserMfaView.as_view(), name="user-mfa"),
    path("ucenter/sessions/", sessions_api.SessionListView.as_view(), name="ucenter-sessions"),
    path("ucenter/sessions/<int:session_id>/", sessions_api.SessionDetailView.as_view(), name="ucenter-session"),
    path("user/<str:username>/sessions/end/", sessions_api.AdminEndSessionsView.as_view(), name="user-sessions-end"),
    path("config/", config_api.ConfigView.as_view(), name="config"),
    path("lockout/", lockouts.LockoutListView.as_view(), name="lockout-list"),
    path("lockout/<int:lockout_id>/", lockouts.LockoutDetailView.as_view(), name="lockout-detail"),
]
