"""Helpers for the accounts tests."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from apps.audit.models import Event

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
