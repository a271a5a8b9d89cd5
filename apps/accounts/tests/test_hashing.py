from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from django.conf import settings
from django.contrib.auth.hashers import make_password

from apps.accounts.hashers import ArkidArgon2PasswordHasher
from apps.directory.tests.factories import create_test_user

pytestmark = pytest.mark.django_db

# OWASP Password Storage Cheat Sheet, Argon2id minimum: 19 MiB, 2 iterations, 1 lane.
OWASP_MIN_MEMORY_KIB = 19 * 1024
OWASP_MIN_TIME_COST = 2


def test_defaults_are_at_least_owasps_minimum():
    assert settings.ARGON2_MEMORY_COST >= OWASP_MIN_MEMORY_KIB
    assert settings.ARGON2_TIME_COST >= OWASP_MIN_TIME_COST
    assert settings.ARGON2_PARALLELISM >= 1


def test_hash_is_argon2id_with_configured_parameters(real_password_hasher):
    encoded = make_password("correct horse battery staple")

    assert encoded.startswith("argon2$argon2id$")
    params = ArkidArgon2PasswordHasher().decode(encoded)
    assert params["memory_cost"] == settings.ARGON2_MEMORY_COST
    assert params["time_cost"] == settings.ARGON2_TIME_COST
    assert params["parallelism"] == settings.ARGON2_PARALLELISM
    # The stock argon2-cffi verifier reads our hashes (bench/bench_login.py relies on it).
    assert PasswordHasher().verify(encoded.removeprefix("argon2"), "correct horse battery staple")


def test_pbkdf2_hash_is_accepted_and_upgraded_on_login(real_password_hasher, login):
    user = create_test_user("legacy")
    user.password = make_password("Old-Pbkdf2-Pass", hasher="pbkdf2_sha256")
    user.save(update_fields=["password"])

    response = login("legacy", "Old-Pbkdf2-Pass")

    assert response.status_code == 200
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$")
    assert user.check_password("Old-Pbkdf2-Pass")


def test_weaker_argon2_parameters_are_upgraded_on_login(real_password_hasher, login, settings):
    user = create_test_user("older")
    settings.ARGON2_TIME_COST = OWASP_MIN_TIME_COST
    settings.ARGON2_MEMORY_COST = OWASP_MIN_MEMORY_KIB
    user.password = make_password("Older-Argon-Pass")
    user.save(update_fields=["password"])
    settings.ARGON2_TIME_COST = OWASP_MIN_TIME_COST + 1

    assert login("older", "Older-Argon-Pass").status_code == 200

    user.refresh_from_db()
    assert ArkidArgon2PasswordHasher().decode(user.password)["time_cost"] == OWASP_MIN_TIME_COST + 1
