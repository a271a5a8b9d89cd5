"""The two-factor pages: enrol with the QR code, confirm, recovery codes once, regenerate,
turn off with the password, policy, and the next sign-in asking for the code."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from django.test import Client

from apps.accounts import config
from apps.accounts.models import AccountConfig, RecoveryCode, TotpDevice
from apps.audit.models import Action, Event
from apps.portal.tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def code_for(secret: str, offset_steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + offset_steps * 30)


def start(client) -> str:
    assert client.post("/mfa/enrol/").status_code == 302
    page = client.get("/mfa/")
    assert "no-store" in page["Cache-Control"]
    html = page.content.decode()
    assert "<svg" in html and 'class="qr"' in html  # the QR code inline, no external image
    return re.search(r'id="mfa-secret" class="secret">([A-Z2-7]+)<', html).group(1)


def enrol(client) -> tuple[str, list[str]]:
    secret = start(client)
    done = client.post("/mfa/confirm/", {"code": code_for(secret)})
    assert done.status_code == 200 and "no-store" in done["Cache-Control"]
    codes = re.findall(r"<code>([0-9a-f]{8}-[0-9a-f]{8})</code>", done.content.decode())
    assert len(codes) == 10
    return secret, codes


def test_enrol_shows_the_secret_then_recovery_codes_once(bob_client, staff):
    assert b'data-mfa="off"' in bob_client.get("/mfa/").content
    secret, codes = enrol(bob_client)
    assert TotpDevice.objects.get(user=staff).confirmed is not None
    assert RecoveryCode.objects.filter(user=staff).count() == 10
    status = bob_client.get("/mfa/").content.decode()
    assert 'data-mfa="on"' in status and "10 recovery codes left" in status
    assert secret not in status and not any(code in status for code in codes)  # never shown again
    assert Event.objects.filter(action=Action.MFA_ENABLED, target_id=str(staff.pk)).count() == 1


def test_wrong_first_code_is_an_inline_error_and_the_same_key_is_shown_again(bob_client, staff):
    secret = start(bob_client)
    wrong = bob_client.post("/mfa/confirm/", {"code": "000000" if code_for(secret) != "000000" else "111111"})
    assert wrong.status_code == 400
    html = wrong.content.decode()
    assert "The code is wrong." in html and secret in html
    assert TotpDevice.objects.get(user=staff).confirmed is None
    empty = bob_client.post("/mfa/confirm/", {"code": ""})
    assert empty.status_code == 400 and b"This field is required." in empty.content


def test_next_sign_in_asks_for_the_code(bob_client, staff):
    secret, codes = enrol(bob_client)
    browser = Client()
    first = browser.post("/login/", {"identifier": "bob", "password": PASSWORD})
    assert first.status_code == 302 and first["Location"].startswith("/login/mfa/")
    assert browser.get("/").status_code == 302  # not signed in yet
    done = browser.post(first["Location"], {"code": code_for(secret, 1)})
    assert done.status_code == 302
    assert browser.get("/").status_code == 200
    other = Client()
    step = other.post("/login/", {"identifier": "bob", "password": PASSWORD})
    assert other.post(step["Location"], {"code": codes[0]}).status_code == 302  # a recovery code


def test_regenerate_recovery_codes_needs_a_right_code(bob_client, staff):
    secret, old = enrol(bob_client)
    wrong = bob_client.post("/mfa/recovery-codes/", {"code": "12345"})
    assert wrong.status_code == 400 and b"regen_code" in wrong.content
    new = bob_client.post("/mfa/recovery-codes/", {"code": code_for(secret, 1)})
    assert new.status_code == 200
    fresh = re.findall(r"<code>([0-9a-f]{8}-[0-9a-f]{8})</code>", new.content.decode())
    assert len(fresh) == 10 and not set(fresh) & set(old)
    assert Event.objects.filter(action=Action.MFA_RECOVERY_REGENERATED).count() == 1


def test_wrong_codes_are_capped_per_account(bob_client, staff):
    secret, _codes = enrol(bob_client)
    for _ in range(10):
        assert bob_client.post("/mfa/recovery-codes/", {"code": "00000x"}).status_code == 400
    capped = bob_client.post("/mfa/recovery-codes/", {"code": code_for(secret, 1)})
    assert capped.status_code == 400 and b"Too many wrong codes" in capped.content


def test_turn_off_needs_the_password(bob_client, staff):
    enrol(bob_client)
    wrong = bob_client.post("/mfa/disable/", {"password": "not-it"})
    assert wrong.status_code == 400 and b"The current password is wrong." in wrong.content
    assert TotpDevice.objects.filter(user=staff).exists()
    ok = bob_client.post("/mfa/disable/", {"password": PASSWORD})
    assert ok.status_code == 302
    assert not TotpDevice.objects.filter(user=staff).exists() and not RecoveryCode.objects.filter(user=staff).exists()
    assert Event.objects.filter(action=Action.MFA_DISABLED).count() == 1


def test_required_mfa_cannot_be_turned_off(bob_client, staff):
    enrol(bob_client)
    AccountConfig(mfa_policy="all").save()
    config.forget("account")
    page = bob_client.get("/mfa/").content.decode()
    assert "cannot be turned off" in page and 'action="/mfa/disable/"' not in page
    refused = bob_client.post("/mfa/disable/", {"password": PASSWORD})
    assert refused.status_code == 400 and b"required for your account" in refused.content
    assert TotpDevice.objects.filter(user=staff).exists()


def test_pages_need_sign_in_and_post(staff):
    anonymous = Client()
    assert anonymous.get("/mfa/")["Location"].startswith("/login/")
    assert anonymous.post("/mfa/enrol/")["Location"].startswith("/login/")
    csrf = Client(enforce_csrf_checks=True)
    csrf.post("/login/", {"identifier": "bob", "password": PASSWORD})
    assert csrf.post("/mfa/enrol/").status_code == 403  # no CSRF token


def test_pages_in_chinese(bob_client):
    page = bob_client.get("/mfa/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "设置身份验证器应用" in page and "双因素认证" in page
    profile = bob_client.get("/profile/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "上传" in profile and "工作邮箱" in profile
