"""config/: the account, password, SMS and email sections; secrets; refused saves."""

from __future__ import annotations

import pytest
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import connection

from apps.accounts import config
from apps.accounts.models import EmailConfig, SmsConfig
from apps.accounts.tests.conftest import events
from apps.audit.models import Action
from apps.directory.tests.factories import create_test_group, create_test_user

pytestmark = pytest.mark.django_db

URL = "/siteapi/oneid/config/"
META_URL = "/siteapi/oneid/meta/"
ALIYUN = {"vendor": "aliyun", "access_key": "LTAIkey", "access_secret": "s3cret-value", "signature": "ArkID",
          "template_code": "SMS_1"}  # fmt: skip


def test_defaults_and_admin_only(admin_client, user_client):
    assert user_client.get(URL).status_code == 403
    body = admin_client.get(URL).json()
    assert body["account_config"]["allow_register"] is False
    assert body["account_config"]["mfa_policy"] == "optional"
    assert body["password_config"]["min_length"] == 8
    assert body["sms_config"]["is_valid"] is False and body["sms_config"]["access_secret_set"] is False
    assert body["company_config"]["name_cn"] == "ArkID"


def test_secret_is_encrypted_at_rest_and_never_returned(admin_client):
    response = admin_client.patch(URL, {"sms_config": ALIYUN}, format="json")

    assert response.status_code == 200, response.json()
    sms = response.json()["sms_config"]
    assert "access_secret" not in sms and sms["access_secret_set"] is True and sms["is_valid"] is True
    assert "s3cret-value" not in str(admin_client.get(URL).json())
    with connection.cursor() as cursor:
        cursor.execute("SELECT access_secret FROM accounts_smsconfig")
        stored = cursor.fetchone()[0]
    assert "s3cret" not in stored
    assert SmsConfig.load().access_secret == "s3cret-value"
    event = events(Action.ACCOUNT_CONFIG_UPDATED)[-1]
    assert event.changes["sms.access_secret"][0] == ""  # the audit log masks the new value
    assert "s3cret" not in str(event.changes)


def test_patch_without_the_secret_keeps_it(admin_client):
    admin_client.patch(URL, {"sms_config": ALIYUN}, format="json")

    response = admin_client.patch(URL, {"sms_config": {"signature": "Other"}}, format="json")

    assert response.status_code == 200
    assert SmsConfig.load().access_secret == "s3cret-value"


def test_invalid_saves_are_refused_with_field_errors_and_nothing_is_written(admin_client):
    response = admin_client.patch(
        URL,
        {
            "account_config": {"allow_register": True, "allow_email": True},
            "password_config": {"min_length": 4},
            "email_config": {"vendor": "smtp", "port": 70000},
        },
        format="json",
    )

    assert response.status_code == 400
    body = response.json()
    assert "min_length" in body["password_config"]
    assert set(body["email_config"]) >= {"port"}
    assert config.MODELS["account"].objects.count() == 0
    assert not events(Action.ACCOUNT_CONFIG_UPDATED)


def test_switches_need_a_working_sender(admin_client):
    response = admin_client.patch(URL, {"account_config": {"allow_mobile": True}}, format="json")
    assert response.status_code == 400
    assert "allow_mobile" in response.json()["account_config"]

    response = admin_client.patch(URL, {"account_config": {"allow_register": True}}, format="json")
    assert "allow_register" in response.json()["account_config"]

    response = admin_client.patch(
        URL, {"sms_config": ALIYUN, "account_config": {"allow_mobile": True, "allow_register": True}}, format="json"
    )
    assert response.status_code == 200, response.json()
    flags = admin_client.get(META_URL).json()["account_config"]
    assert flags["support_mobile"] and flags["support_mobile_register"] and flags["support_register"]
    assert not flags["support_email"]


def test_smtp_requires_host_and_sender(admin_client):
    response = admin_client.patch(URL, {"email_config": {"vendor": "smtp"}}, format="json")

    assert response.status_code == 400
    assert set(response.json()["email_config"]) == {"host", "from_address"}
    ok = admin_client.patch(
        URL,
        {"email_config": {"vendor": "smtp", "host": "mail.example", "access_key": "arkid@corp.example"}},
        format="json",
    )
    assert ok.status_code == 200
    assert EmailConfig.load().is_configured


def test_register_group_must_exist(admin_client):
    assert admin_client.patch(URL, {"account_config": {"register_group_uid": "nope"}}, format="json").status_code == 400
    group = create_test_group("Guests")
    response = admin_client.patch(URL, {"account_config": {"register_group_uid": group.uid}}, format="json")
    assert response.status_code == 200


def test_password_policy_is_enforced_everywhere(admin_client):
    response = admin_client.patch(
        URL, {"password_config": {"min_length": 10, "min_upper": 1, "min_digit": 2, "min_special": 1}}, format="json"
    )
    assert response.status_code == 200
    user = create_test_user("dora")

    with pytest.raises(ValidationError) as exc:
        password_validation.validate_password("longlowercaseonly", user)
    assert "uppercase" in str(exc.value.messages)
    password_validation.validate_password("Tr1cky-Pa55phrase", user)
    # Django's own validators stay on: common and similar passwords are refused regardless.
    with pytest.raises(ValidationError):
        password_validation.validate_password("dora", user)


def test_password_sums_must_fit_the_length(admin_client):
    response = admin_client.patch(URL, {"password_config": {"min_upper": 5, "min_digit": 5}}, format="json")

    assert response.status_code == 400
    assert "min_length" in response.json()["password_config"]


def test_non_object_body_is_a_400(admin_client):
    assert admin_client.patch(URL, ["x"], format="json").status_code == 400
    assert admin_client.patch(URL, {"sms_config": "x"}, format="json").status_code == 400
