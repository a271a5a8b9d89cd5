"""``ucenter/password/``: change one's own password (logged in, or v1's username variant)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.actions.mfa import open_challenge
from apps.accounts.actions.passwords import change_own_password, change_password_by_username
from apps.accounts.actions.self_service import reset_forgotten_password
from apps.accounts.api.serializers import PasswordChangeSerializer
from apps.accounts.login_response import build_login_response
from apps.core.throttling import ClientIpScopedRateThrottle


class PasswordView(APIView):
    # Logged-out callers are v1's {username, old_password, new_password} variant.
    permission_classes = [AllowAny]
    throttle_classes = [ClientIpScopedRateThrottle]
    throttle_scope = "credentials"
    allowed_during_password_change = True

    @extend_schema(
        request=PasswordChangeSerializer,
        responses={200: OpenApiResponse(description="A fresh token and the user profile, as at login.")},
    )
    def put(self, request):
        serializer = PasswordChangeSerializer(data=request.data)
        errors = {} if serializer.is_valid() else dict(serializer.errors)
        raw = request.data if hasattr(request.data, "get") else {}
        if not (raw.get("sms_token") or raw.get("email_token") or raw.get("old_password")):
            errors.setdefault("old_password", [_("This field is required.")])
        if errors:
            raise serializers.ValidationError(errors)
        data = serializer.validated_data
        if data["sms_token"] or data["email_token"]:
            channel = "sms" if data["sms_token"] else "email"
            user, token = reset_forgotten_password(
                channel=channel,
                address=data["mobile"] if channel == "sms" else data["email"],
                token=data["sms_token"] or data["email_token"],
                new_password=data["new_password"],
            )
            return _answer(user, token)
        if request.user is not None and request.user.is_authenticated:
            user, token = change_own_password(request.user, data["old_password"], data["new_password"])
        else:
            if not data.get("username"):
                raise serializers.ValidationError({"username": [_("This field is required.")]})
            user, token = change_password_by_username(
                data["username"], data["old_password"], data["new_password"], request=request
            )
        return _answer(user, token)

    patch = put


def _answer(user, token: str | None) -> Response:
    """The login response, or, when the account needs a second factor, the MFA challenge
    (``ucenter/login/mfa/`` then issues the token)."""
    if token is None:
        return Response(open_challenge(user, channel="password_change"))
    return Response(build_login_response(user, token))
