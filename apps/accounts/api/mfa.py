"""Two-factor authentication: the login's second step and the user's own authenticator.

``ucenter/login/mfa/`` and ``ucenter/login/mfa/enrol/`` take the ``mfa_token`` the login
returned; ``ucenter/mfa/…`` are for the logged-in user; ``user/<username>/mfa/`` lets an
administrator reset a user's lost authenticator.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.actions import mfa
from apps.accounts.actions.login import InvalidCredentials, login_with_second_factor
from apps.accounts.guard import verify_password_attempt
from apps.accounts.login_response import build_login_response
from apps.core.permissions import IsActiveUser
from apps.core.throttling import ClientIpScopedRateThrottle


class ChallengeSerializer(serializers.Serializer):
    mfa_token = serializers.CharField(max_length=128)
    code = serializers.CharField(max_length=32, required=False, default="")


class CodeSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=32)


class PasswordSerializer(serializers.Serializer):
    password = serializers.CharField(max_length=4096, trim_whitespace=False)


class _Anonymous(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ClientIpScopedRateThrottle]
    throttle_scope = "credentials"


class LoginMfaView(_Anonymous):
    @extend_schema(request=ChallengeSerializer, responses={200: OpenApiResponse(description="As ucenter/login/.")})
    def post(self, request):
        data = ChallengeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user, token, recovery = login_with_second_factor(data.validated_data["mfa_token"], data.validated_data["code"])
        body = build_login_response(user, token)
        if recovery is not None:
            body["recovery_codes"] = recovery  # enrolled during this login: shown once
        return Response(body)


class LoginMfaEnrolView(_Anonymous):
    """For a user the policy requires to use MFA who has no authenticator yet."""

    @extend_schema(request=ChallengeSerializer, responses={200: OpenApiResponse(description="secret, QR")})
    def post(self, request):
        data = ChallengeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(mfa.start_enrolment(mfa.challenge_user(data.validated_data["mfa_token"])))


class MfaStatusView(APIView):
    permission_classes = [IsActiveUser]

    @extend_schema(responses={200: OpenApiResponse(description="enabled, required, recovery_codes_left")})
    def get(self, request):
        user = request.user
        return Response(
            {
                "enabled": mfa.confirmed_device(user) is not None,
                "required": mfa.policy_requires(user),
                "recovery_codes_left": mfa.recovery_codes_left(user),
            }
        )


class MfaEnrolView(APIView):
    permission_classes = [IsActiveUser]

    @extend_schema(request=None, responses={200: OpenApiResponse(description="secret, otpauth_uri, qr_svg")})
    def post(self, request):
        return Response(mfa.start_enrolment(request.user))


class MfaConfirmView(APIView):
    permission_classes = [IsActiveUser]

    @extend_schema(request=CodeSerializer, responses={200: OpenApiResponse(description="recovery_codes")})
    def post(self, request):
        data = CodeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response({"recovery_codes": mfa.confirm_enrolment(request.user, data.validated_data["code"])})


class MfaRecoveryCodesView(APIView):
    permission_classes = [IsActiveUser]

    @extend_schema(request=CodeSerializer, responses={200: OpenApiResponse(description="recovery_codes")})
    def post(self, request):
        data = CodeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response({"recovery_codes": mfa.regenerate_recovery_codes(request.user, data.validated_data["code"])})


class MfaDisableView(APIView):
    permission_classes = [IsActiveUser]

    @extend_schema(request=PasswordSerializer, responses={204: None})
    def post(self, request):
        data = PasswordSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        password = data.validated_data["password"]
        if verify_password_attempt(request.user.username, password, user=request.user, channel="mfa_disable") is None:
            raise InvalidCredentials()
        mfa.disable_mfa(request.user, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AdminUserMfaView(APIView):
    """Administrators (the API's default permission): reset a user's lost authenticator."""

    @extend_schema(responses={204: None})
    def delete(self, request, username: str):
        user = get_object_or_404(get_user_model(), username=username.lower())
        mfa.disable_mfa(user, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
