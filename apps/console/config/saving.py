"""Saving account settings from a console form through the accounts app's own validation
(the same as ``PATCH /api/v1/config/``) and its audited action."""

from __future__ import annotations

from apps.accounts import config
from apps.accounts.actions.config import update_account_settings
from apps.accounts.api.config import validate_config


def _messages(value) -> list[str]:
    if isinstance(value, dict):
        return [m for nested in value.values() for m in _messages(nested)]
    if isinstance(value, list | tuple):
        return [m for item in value for m in _messages(item)]
    return [str(value)]


def put_errors(form, errors: dict) -> None:
    """``{"email_config": {"host": [...]}, ...}`` onto ``form``: a field's errors beside it, the
    rest (another section's rule, e.g. "configure the email sender first") at the top."""
    for section_errors in errors.values():
        if not isinstance(section_errors, dict):
            form.add_error(None, _messages(section_errors))
            continue
        for field, messages in section_errors.items():
            form.add_error(field if field in form.fields else None, _messages(messages))


def save_sections(form, sections: dict[str, dict], *, actor) -> dict | None:
    """Validate and save ``sections`` (``{"email_config": {...}}``); the changes, or None with
    the errors put on ``form``."""
    values, errors = validate_config(sections)
    if errors:
        put_errors(form, errors)
        return None
    return update_account_settings(values, actor=actor)


def initial_of(name: str, fields) -> dict:
    """The stored values of a section (``account``, ``password``, ``sms``, ``email``) for a form;
    secrets are never part of it."""
    instance = config.MODELS[name].load()
    return {f: getattr(instance, f) for f in fields if f != "access_secret"}


def secret_is_set(name: str) -> bool:
    return bool(config.MODELS[name].load().access_secret)
