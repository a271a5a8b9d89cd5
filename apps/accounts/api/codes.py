"""``service/captcha/``, ``service/sms/<subject>/`` and ``service/email/<subject>/`` (v1's paths).

``POST`` sends a code; ``GET ?mobile=&code=`` (or ``?email=&code=``) swaps a right code for
``{"sms_token"|"email_token", "expired"}``, the single-use token the flows take.
"""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts import captcha
from apps.accounts.actions import codes
from apps.accounts.actions.invitations import find_usable_invitation
from apps.accounts.actions.login import InvalidCredentials
from apps.accounts.guard import verify_password_attempt
from apps.core.throttling import ClientIpScopedRateThrottle

# v1 subject → (our purpose, needs a logged-in user and their password)
SUBJECTS = {
    "sms": {
        "register": codes.REGISTER,
        "reset_password": codes.RESET_PASSWORD,
        "update_mobile": codes.UPDATE_CONTACT,
        "activate_user": codes.ACTIVATE,
    },
    "email": {
        "register": codes.REGISTER,
        "reset_password": codes.RESET_PASSWORD,
        "update_email": codes.UPDATE_CONTACT,
        "activate_user": codes.ACTIVATE,
    },
}
ADDRESS_FIELD = {"sms": "mobile", "email": "email"}


class CaptchaView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ClientIpScopedRateThrottle]
    throttle_scope = "credentials"

    @extend_schema(responses={200: OpenApiResponse(description="{key, image_url}")})
    def get(self, request):
        key = captcha.new_challenge()
        return Response({"key": key, "image_url": request.build_absolute_uri(f"image/{key}/")})


class CaptchaImageView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(responses={(200, "image/png"): OpenApiResponse(description="PNG")})
    def get(self, request, key: str):
        png = captcha.render_png(key)
        if png is None:
            raise Http404
        response = HttpResponse(png, content_type="image/png")
        response["Cache-Control"] = "no-store"
        return response


class SendSerializer(serializers.Serializer):
    mobile = serializers.CharField(max_length=64, required=False)
    email = serializers.CharField(max_length=254, required=False)
    password = serializers.CharField(max_length=4096, required=False, trim_whitespace=False)
    captcha_key = serializers.CharField(max_length=64, required=False, default="")
    captcha = serializers.CharField(max_length=16, required=False, default="")
    key = serializers.CharField(max_length=128, required=False, default="")  # activate_user: the invitation


class CodeView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [ClientIpScopedRateThrottle]
    throttle_scope = "credentials"
    channel = "sms"

    def _purpose(self, subject: str) -> str:
        purpose = SUBJECTS[self.channel].get(subject)
        if purpose is None:
            raise Http404
        return purpose

    @extend_schema(request=SendSerializer, responses={200: OpenApiResponse(description="{} — sent if usable")})
    def post(self, request, subject: str):
        purpose = self._purpose(subject)
        data = SendSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        data = data.validated_data
        user = None
        if purpose == codes.UPDATE_CONTACT:
            user = self._password_checked_user(request, data.get("password", ""))
        elif purpose == codes.ACTIVATE:  # v1: activate_user needs the invitation key
            user = find_usable_invitation(data["key"]).user
        codes.send_code(
            self.channel,
            data.get(ADDRESS_FIELD[self.channel], ""),
            purpose,
            user=user,
            captcha_key=data["captcha_key"],
            captcha_answer=data["captcha"],
        )
        return Response({})

    @staticmethod
    def _password_checked_user(request, password: str):
        """Changing a contact needs the password again (seed: 验证登录密码), through the guard."""
        if request.user is None or not request.user.is_authenticated:
            raise NotAuthenticated()
        if not password:
            raise serializers.ValidationError({"password": [_("This field is required.")]})
        if (
            verify_password_attempt(request.user.username, password, user=request.user, channel="update_contact")
            is None
        ):
            raise InvalidCredentials()
        return request.user

    @extend_schema(responses={200: OpenApiResponse(description="{sms_token|email_token, expired}")})
    def get(self, request, subject: str):
        purpose = self._purpose(subject)
        field = ADDRESS_FIELD[self.channel]
        token, seconds = codes.verify_code(
            self.channel, request.query_params.get(field, ""), purpose, request.query_params.get("code", "")
        )
        return Response({f"{self.channel}_token": token, "expired": seconds})


class VerifySerializer(serializers.Serializer):
    mobile = serializers.CharField(max_length=64, required=False, default="")
    email = serializers.CharField(max_length=254, required=False, default="")
    code = serializers.CharField(max_length=16)


class CodeVerifyView(CodeView):
    """``POST service/<channel>/<subject>/verify/ {mobile|email, code}``: the same swap as
    v1's ``GET``, without the code in a URL (proxy logs, browser history)."""

    @extend_schema(
        request=VerifySerializer, responses={200: OpenApiResponse(description="{sms_token|email_token, expired}")}
    )
    def post(self, request, subject: str):
        purpose = self._purpose(subject)
        data = VerifySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        address = data.validated_data[ADDRESS_FIELD[self.channel]]
        token, seconds = codes.verify_code(self.channel, address, purpose, data.validated_data["code"])
        return Response({f"{self.channel}_token": token, "expired": seconds})

    http_method_names = ["post", "options"]


class SmsVerifyView(CodeVerifyView):
    channel = "sms"


class EmailVerifyView(CodeVerifyView):
    channel = "email"


class SmsCodeView(CodeView):
    channel = "sms"


class EmailCodeView(CodeView):
    channel = "email"
