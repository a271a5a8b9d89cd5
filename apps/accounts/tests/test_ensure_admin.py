from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.accounts.tests.conftest import token_client
from apps.audit.models import Action, Event
from apps.directory.models import Origin, User
from apps.directory.tests.factories import create_test_user

pytestmark = pytest.mark.django_db


def _run(capsys) -> tuple[str, str]:
    call_command("ensure_admin")
    captured = capsys.readouterr()
    return captured.out, captured.err


def test_creates_admin_with_configured_password(settings, capsys, login):
    settings.ADMIN_PASSWORD = "Configured-Admin-Pass-1"

    out, err = _run(capsys)

    admin = User.objects.get(username="admin")
    assert admin.is_admin and admin.is_active
    assert admin.origin == Origin.SCRIPT
    assert admin.must_reset_password is False
    assert admin.check_password("Configured-Admin-Pass-1")
    assert "Created administrator" in out and "WARNING" not in err
    assert login("admin", "Configured-Admin-Pass-1").json()["is_admin"] is True
    assert Event.objects.filter(action=Action.USER_CREATED, target_id=str(admin.pk)).exists()


def test_default_password_is_admin_with_forced_change(settings, capsys, login):
    settings.ADMIN_PASSWORD = None

    out, err = _run(capsys)

    admin = User.objects.get(username="admin")
    assert admin.check_password("admin")
    assert admin.must_reset_password is True
    assert "WARNING" in err and "ARKID_ADMIN_PASSWORD" in err
    body = login("admin", "admin").json()
    assert body["require_reset_password"] is True
    assert token_client(body["token"]).get("/siteapi/oneid/ucenter/tokens/").status_code == 403


def test_is_idempotent_and_never_changes_an_existing_admin(settings, capsys):
    settings.ADMIN_PASSWORD = "Configured-Admin-Pass-1"
    _run(capsys)
    settings.ADMIN_PASSWORD = "A-Different-Pass-2"

    out, _ = _run(capsys)

    assert "already exists" in out
    assert User.objects.filter(is_admin=True).count() == 1
    assert User.objects.get(username="admin").check_password("Configured-Admin-Pass-1")


def test_any_existing_active_admin_counts(settings, capsys):
    create_test_user("chief", is_admin=True)
    settings.ADMIN_PASSWORD = None

    _run(capsys)

    assert not User.objects.filter(username="admin").exists()


def test_weak_configured_password_is_a_clean_cli_error(settings):
    settings.ADMIN_PASSWORD = "12345"

    with pytest.raises(CommandError) as excinfo:
        call_command("ensure_admin")

    assert "ARKID_ADMIN_PASSWORD" in str(excinfo.value)
    assert not User.objects.exists()


def test_name_held_by_a_non_admin_is_a_cli_error(settings):
    create_test_user("admin")
    settings.ADMIN_PASSWORD = None

    with pytest.raises(CommandError) as excinfo:
        call_command("ensure_admin")

    assert "username" in str(excinfo.value)
    assert not User.objects.filter(is_admin=True).exists()


def test_production_never_creates_the_default_admin(settings):
    from django.core.management import CommandError, call_command

    settings.ENVIRONMENT = "production"
    settings.ADMIN_PASSWORD = None
    with pytest.raises(CommandError, match="ARKID_ADMIN_PASSWORD"):
        call_command("ensure_admin")
    assert not User.objects.filter(username="admin").exists()
