"""Shared fixtures. App-specific fixtures live in apps/<app>/tests/conftest.py."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.models import ApiToken, digest, new_key
from apps.directory.tests.factories import create_test_user


def issue_test_token(user) -> str:
    raw = new_key()
    ApiToken.objects.create(
        user=user, key_digest=digest(raw), prefix=raw[:8], expires=timezone.now() + dt.timedelta(hours=1)
    )
    return raw


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters and cached results must not leak from one test into the next."""
    cache.clear()
    yield


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def admin_user(db):
    return create_test_user("admin", name="Administrator", is_admin=True)


@pytest.fixture
def user(db):
    return create_test_user("alice", name="Alice")


@pytest.fixture
def admin_client(admin_user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_test_token(admin_user)}")
    return client


@pytest.fixture
def user_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_test_token(user)}")
    return client


@pytest.fixture
def real_password_hasher(settings):
    """Use production's Argon2id hasher instead of the fast test hasher."""
    settings.PASSWORD_HASHERS = [h for h in settings.PASSWORD_HASHERS if "MD5" not in h]
