"""Helpers for the accounts tests."""

from __future__ import annotations

import logging
import re

import pytest
from rest_framework.test import APIClient

from apps.accounts.models import AccountConfig, EmailConfig, SmsConfig
from apps.audit.models import Event
from apps.directory.tests.factories import create_test_user

LOGIN_URL = "/siteapi/oneid/ucenter/login/"
PASSWORD = "Passw0rd!x"  # create_test_user's default


def events(action) -> list[Event]:
    return list(Event.objects.filter(action=action).order_by("id"))


def token_client(raw_key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw_key}")
    return client


@pytest.fixture(autouse=True)
def english_messages(settings):
    """Assert on English messages; tests of the Chinese texts send Accept-Language."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def login(api_client):
    """POST the login endpoint; returns the response."""

    def _login(username: str, password: str = PASSWORD, **extra):
        return api_client.post(LOGIN_URL, {"username": username, "password": password}, format="json", **extra)

    return _login


@pytest.fixture(autouse=True)
def relaxed_guard(settings):
    """Tests of other rules make a few failed logins; the guard's own tests set tight limits."""
    settings.LOCKOUT_ACCOUNT_DELAY_AFTER = settings.LOCKOUT_IP_DELAY_AFTER = 1000
    settings.LOCKOUT_ACCOUNT_THRESHOLD = settings.LOCKOUT_IP_THRESHOLD = 2000


@pytest.fixture
def dev_senders(settings):
    """Codes go to the log (the development sender); registration open; no captcha."""
    SmsConfig(vendor="log").save()
    EmailConfig(vendor="log").save()
    AccountConfig(allow_register=True, allow_mobile=True, allow_email=True).save()
    settings.CODE_CAPTCHA_AFTER = 100
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {}),
            "credentials": "1000/minute",
        },
    }


@pytest.fixture
def inbox(caplog):
    caplog.set_level(logging.WARNING, logger="arkid.accounts.senders")

    def last_code(address: str) -> str:
        lines = [r.getMessage() for r in caplog.records if address in r.getMessage()]
        return re.search(r"(\d{6})$", lines[-1]).group(1) if lines else ""

    return last_code


@pytest.fixture
def invitee(db):
    return create_test_user(
        "erin",
        name="Erin",
        password=None,
        is_active=False,
        mobile="+8618812345678",
        email="erin@corp.example",
    )
