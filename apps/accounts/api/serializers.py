"""Input parsing and output shapes for the accounts endpoints (no rules here)."""

from __future__ import annotations

from rest_framework import serializers

from apps.accounts.models import ApiToken


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=254, help_text="Username, email, private email or mobile number.")
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})


class PasswordChangeSerializer(serializers.Serializer):
    # Only read when the caller is not logged in (v1's variant).
    username = serializers.CharField(max_length=254, required=False)
    old_password = serializers.CharField(max_length=4096, trim_whitespace=False, required=False)
    new_password = serializers.CharField(max_length=4096, trim_whitespace=False)
    # v1's forgotten-password variants: {mobile, sms_token} or {email, email_token}.
    mobile = serializers.CharField(max_length=64, required=False, default="")
    sms_token = serializers.CharField(max_length=128, required=False, default="")
    email = serializers.CharField(max_length=254, required=False, default="")
    email_token = serializers.CharField(max_length=128, required=False, default="")


class InvitationAcceptSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=128)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)
    # v1's proof of the mobile or email the invitee keeps (service/<channel>/activate_user/).
    sms_token = serializers.CharField(max_length=128, required=False, default="")
    email_token = serializers.CharField(max_length=128, required=False, default="")


class TokenSerializer(serializers.ModelSerializer):
    current = serializers.SerializerMethodField()

    class Meta:
        model = ApiToken
        fields = ["id", "prefix", "created", "last_used", "expires", "ip", "user_agent", "current"]
        read_only_fields = fields

    def get_current(self, token: ApiToken) -> bool:
        request_token = self.context["request"].auth
        return isinstance(request_token, ApiToken) and request_token.pk == token.pk


class InvitationSerializer(serializers.Serializer):
    key = serializers.CharField()
    url = serializers.CharField()
    expires = serializers.DateTimeField()


class InvitedProfileSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField()
    mobile = serializers.CharField(help_text="Masked, e.g. +86188****5678.")
    email = serializers.CharField(help_text="Masked, e.g. a***@example.com.")
    private_email = serializers.CharField(help_text="Masked.")
