"""``ucenter/register/`` and ``ucenter/contact/`` (the token-based password reset is in
``passwords.py``, on v1's ``ucenter/password/``)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.actions.self_service import change_contact, register
from apps.accounts.login_response import build_login_response
from apps.core.permissions import IsActiveUser
from apps.core.throttling import ClientIpScopedRateThrottle


class RegisterSerializer(serializers.Serializer):
    username = serializers.RegexField(r"^[A-Za-z0-9_.-]{4,16}$", max_length=16)  # v1: 4-16 characters
    password = serializers.CharField(max_length=4096, trim_whitespace=False)
    name = serializers.CharField(max_length=255, required=False, default="")
    sms_token = serializers.CharField(max_length=128, required=False, default="")
    email_token = serializers.CharField(max_length=128, required=False, default="")

    def validate(self, attrs):
        if bool(attrs["sms_token"]) == bool(attrs["email_token"]):
            raise serializers.ValidationError({"sms_token": [_("Send either sms_token or email_token.")]})
        return attrs


class RegisterView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ClientIpScopedRateThrottle]
    throttle_scope = "credentials"

    @extend_schema(request=RegisterSerializer, responses={201: OpenApiResponse(description="Token and profile.")})
    def post(self, request):
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        channel = "sms" if data["sms_token"] else "email"
        user, token = register(
            channel=channel,
            token=data["sms_token"] or data["email_token"],
            username=data["username"],
            password=data["password"],
            name=data["name"],
        )
        return Response(build_login_response(user, token), status=201)


class ContactSerializer(serializers.Serializer):
    sms_token = serializers.CharField(max_length=128, required=False, default="")
    email_token = serializers.CharField(max_length=128, required=False, default="")


class ContactView(APIView):
    permission_classes = [IsActiveUser]

    @extend_schema(request=ContactSerializer, responses={200: OpenApiResponse(description="mobile, private_email")})
    def patch(self, request):
        serializer = ContactSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = change_contact(request.user, **serializer.validated_data)
        return Response({"mobile": user.mobile, "private_email": user.private_email})
