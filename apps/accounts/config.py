"""Reading the account configuration singletons, cached.

The password validator runs for every password set (a CSV import sets thousands), so the
policy is read from the cache; saves go through :mod:`apps.accounts.actions.config`, which
drops the cached copies after commit. With the per-process local-memory cache another
worker may see the old values for up to ``TTL`` seconds.
"""

from __future__ import annotations

from django.core.cache import cache

from apps.accounts.models import AccountConfig, EmailConfig, PasswordPolicy, SmsConfig

TTL = 30
MODELS = {"account": AccountConfig, "password": PasswordPolicy, "sms": SmsConfig, "email": EmailConfig}


def _key(name: str) -> str:
    return f"accounts:config:{name}"


def load(name: str):
    """The singleton ``name`` (``account``, ``password``, ``sms``, ``email``), unsaved defaults if none."""
    model = MODELS[name]
    cached = cache.get(_key(name))
    if cached is None:
        cached = model.load()
        cache.set(_key(name), cached, TTL)
    return cached


def forget(name: str) -> None:
    cache.delete(_key(name))


def account_config() -> AccountConfig:
    return load("account")


def password_policy() -> PasswordPolicy:
    return load("password")


def sms_config() -> SmsConfig:
    return load("sms")


def email_config() -> EmailConfig:
    return load("email")
