"""``config/``: v1's site configuration endpoint, the sections the accounts app owns.

``GET`` returns ``company_config`` (read-only here), ``account_config``, ``password_config``,
``sms_config`` and ``email_config`` plus whatever other apps add through
:data:`config_contributors`. ``PATCH`` takes any subset of the writable sections; an invalid
value refuses the whole save with field errors, nested per section. Secrets
(``access_secret``) are write-only: reads show ``access_secret_set``.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.validators import URLValidator
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts import config
from apps.accounts.actions.config import update_account_settings
from apps.accounts.api.meta import company_config
from apps.accounts.models import AccountConfig, EmailConfig, PasswordPolicy, SmsConfig
from apps.directory.models import Group

# Other apps add read-only sections: callables returning {"ding_config": {...}}.
config_contributors: list[Callable[[], dict]] = []

MAX_RULE = 64


class AccountConfigSerializer(serializers.ModelSerializer):
    class Meta:
        model = AccountConfig
        fields = ["allow_register", "allow_email", "allow_mobile", "register_group_uid", "mfa_policy"]

    def validate_register_group_uid(self, value: str) -> str:
        if value and not Group.objects.filter(uid=value).exists():
            raise serializers.ValidationError(_("No group has this uid."))
        return value


class PasswordPolicySerializer(serializers.ModelSerializer):
    min_length = serializers.IntegerField(min_value=8, max_value=128)

    class Meta:
        model = PasswordPolicy
        fields = ["min_length", "min_upper", "min_lower", "min_letter", "min_digit", "min_special", "min_word"]
        extra_kwargs = {f: {"max_value": MAX_RULE} for f in fields if f != "min_length"}

    def validate(self, attrs):
        merged = {f: attrs.get(f, getattr(self.instance, f)) for f in self.Meta.fields}
        classes = merged["min_upper"] + merged["min_lower"] + merged["min_digit"] + merged["min_special"]
        if classes > merged["min_length"]:
            raise serializers.ValidationError(
                {"min_length": [_("Must be at least the sum of the required characters (%(n)d).") % {"n": classes}]}
            )
        return attrs


class SecretSenderSerializer(serializers.ModelSerializer):
    """Common to the SMS and email senders: write-only secret, computed validity."""

    access_secret = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=1024)
    access_secret_set = serializers.SerializerMethodField()
    is_valid = serializers.SerializerMethodField()

    def get_access_secret_set(self, obj) -> bool:
        return bool(obj.access_secret)

    def get_is_valid(self, obj) -> bool:
        return obj.is_configured


class SmsConfigSerializer(SecretSenderSerializer):
    endpoint = serializers.CharField(
        required=False, max_length=255, validators=[URLValidator(schemes=["https", "http"])]
    )

    class Meta:
        model = SmsConfig
        fields = ["vendor", "access_key", "access_secret", "access_secret_set", "signature", "template_code",
                  "endpoint", "is_valid"]  # fmt: skip

    def validate(self, attrs):
        merged = {f: attrs.get(f, getattr(self.instance, f)) for f in ("vendor", "access_key", "access_secret",
                                                                        "signature", "template_code")}  # fmt: skip
        if merged["vendor"] == SmsConfig.Vendor.ALIYUN:
            missing = {f: [_("Required for Aliyun SMS.")] for f in ("access_key", "access_secret", "signature",
                                                                   "template_code") if not merged[f]}  # fmt: skip
            if missing:
                raise serializers.ValidationError(missing)
        return attrs


class EmailConfigSerializer(SecretSenderSerializer):
    port = serializers.IntegerField(min_value=1, max_value=65535, required=False)

    class Meta:
        model = EmailConfig
        fields = ["vendor", "host", "port", "security", "access_key", "access_secret", "access_secret_set",
                  "from_address", "nickname", "is_valid"]  # fmt: skip

    def validate(self, attrs):
        merged = {f: attrs.get(f, getattr(self.instance, f)) for f in ("vendor", "host", "from_address", "access_key")}
        if merged["vendor"] == EmailConfig.Vendor.SMTP:
            errors = {}
            if not merged["host"]:
                errors["host"] = [_("Required for SMTP.")]
            if not merged["from_address"] and "@" not in merged["access_key"]:
                errors["from_address"] = [_("Required unless the SMTP user is an email address.")]
            if errors:
                raise serializers.ValidationError(errors)
        return attrs


SECTIONS = {
    "account_config": ("account", AccountConfigSerializer),
    "password_config": ("password", PasswordPolicySerializer),
    "sms_config": ("sms", SmsConfigSerializer),
    "email_config": ("email", EmailConfigSerializer),
}


def read_config() -> dict:
    body = {"company_config": company_config()}
    for key, (name, serializer_class) in SECTIONS.items():
        body[key] = serializer_class(config.MODELS[name].load()).data
    for contributor in config_contributors:
        body.update(contributor())
    return body


def _validated_sections(data) -> tuple[dict, dict]:
    """Each writable section validated against the stored row; (values, errors)."""
    if not isinstance(data, dict):
        raise serializers.ValidationError({"detail": [_("Expected an object.")]})
    values, errors = {}, {}
    for key, (name, serializer_class) in SECTIONS.items():
        if key not in data:
            continue
        serializer = serializer_class(config.MODELS[name].load(), data=data[key], partial=True)
        if serializer.is_valid():
            values[name] = serializer.validated_data
        else:
            errors[key] = serializer.errors
    return values, errors


def _cross_errors(values: dict) -> dict:
    """Switches that need a working sender: refuse instead of saving a login page that fails."""
    account = {**_current("account"), **values.get("account", {})}
    sms = config.MODELS["sms"](**{**_current("sms"), **values.get("sms", {})})
    email = config.MODELS["email"](**{**_current("email"), **values.get("email", {})})
    errors = {}
    if account["allow_mobile"] and not sms.is_configured:
        errors["allow_mobile"] = [_("Configure the SMS sender first.")]
    if account["allow_email"] and not email.is_configured:
        errors["allow_email"] = [_("Configure the email sender first.")]
    if account["allow_register"] and not (account["allow_mobile"] or account["allow_email"]):
        errors["allow_register"] = [_("Registration needs email or mobile verification enabled.")]
    return {"account_config": errors} if errors else {}


def validate_config(data) -> tuple[dict, dict]:
    """The ``PATCH`` body's sections validated as the API does, cross-section rules included:
    (values for :func:`update_account_settings`, errors nested per section key). The console's
    settings forms go through here too, so both refuse exactly the same input."""
    values, errors = _validated_sections(data)
    return values, (errors or _cross_errors(values))


def _current(name: str) -> dict:
    instance = config.MODELS[name].load()
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields if f.attname != "updated"}


class ConfigView(APIView):
    """Administrators only (the API's default permission)."""

    @extend_schema(responses={200: OpenApiResponse(description="The configuration sections.")})
    def get(self, request):
        return Response(read_config())

    @extend_schema(request=None, responses={200: OpenApiResponse(description="The configuration after the save.")})
    def patch(self, request):
        values, errors = validate_config(request.data)
        if errors:
            raise serializers.ValidationError(errors)
        update_account_settings(values, actor=request.user)
        return Response(read_config())
