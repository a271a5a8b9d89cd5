"""Changing the mobile or private email: the password, then a code sent to the new address;
only the right code changes it; limits and errors are inline."""

from __future__ import annotations

import logging
import re

import pytest

from apps.accounts import config
from apps.accounts.models import EmailConfig, SmsConfig
from apps.audit.models import Action, Event
from apps.directory.tests.factories import create_test_user
from apps.portal.tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def senders(settings):
    """Codes go to the development log sender; the captcha only after many sends."""
    settings.LANGUAGE_CODE = "en"
    settings.CODE_CAPTCHA_AFTER = 100
    SmsConfig(vendor="log").save()
    EmailConfig(vendor="log").save()
    config.forget("sms")
    config.forget("email")


@pytest.fixture
def inbox(caplog):
    caplog.set_level(logging.WARNING, logger="arkid.accounts.senders")

    def last_code(address: str) -> str:
        lines = [r.getMessage() for r in caplog.records if address in r.getMessage()]
        return re.search(r"(\d{6})$", lines[-1]).group(1) if lines else ""

    return last_code


def ask(client, channel: str, address: str, password: str = PASSWORD):
    return client.post("/contact/", {"channel": channel, "address": address, "password": password})


def test_change_email_with_the_code(bob_client, staff, inbox):
    assert b"Change mobile or email" in bob_client.get("/profile/").content
    sent = ask(bob_client, "email", "Bob.New@Example.com")
    assert sent.status_code == 302 and sent["Location"] == "/contact/code/"
    code = inbox("bob.new@example.com")
    assert code
    wrong = bob_client.post("/contact/code/", {"code": "000000" if code != "000000" else "111111"})
    assert wrong.status_code == 400 and b"The code is wrong or has expired." in wrong.content
    staff.refresh_from_db()
    assert staff.private_email == ""
    done = bob_client.post("/contact/code/", {"code": code})
    assert done.status_code == 302 and done["Location"] == "/profile/"
    staff.refresh_from_db()
    assert staff.private_email == "bob.new@example.com"
    assert Event.objects.filter(action=Action.CONTACT_CHANGED, target_id=str(staff.pk)).count() == 1
    assert b"bob.new@example.com" in bob_client.get("/profile/").content
    assert bob_client.get("/contact/code/")["Location"] == "/contact/"  # nothing pending any more


def test_change_mobile_with_the_code(bob_client, staff, inbox):
    assert ask(bob_client, "sms", "188 1234 5678").status_code == 302
    code = inbox("+8618812345678")
    assert bob_client.post("/contact/code/", {"code": code}).status_code == 302
    staff.refresh_from_db()
    assert staff.mobile == "+8618812345678"


def test_wrong_password_address_of_another_account_and_bad_input_are_inline(bob_client, staff, inbox):
    wrong = ask(bob_client, "email", "bob2@example.com", password="nope")
    assert wrong.status_code == 400 and b'id="id_password-errors"' in wrong.content
    assert inbox("bob2@example.com") == ""
    create_test_user("carol", private_email="carol@example.com")
    taken = ask(bob_client, "email", "carol@example.com")
    assert taken.status_code == 400 and b"already belongs to another account" in taken.content
    bad = ask(bob_client, "sms", "not a number")
    assert bad.status_code == 400 and b'id="id_address-errors"' in bad.content
    missing = bob_client.post("/contact/", {})
    assert missing.status_code == 400 and b"This field is required." in missing.content


def test_too_many_wrong_codes_kill_the_code(bob_client, staff, inbox, settings):
    ask(bob_client, "email", "bob3@example.com")
    code = inbox("bob3@example.com")
    for _ in range(settings.CODE_MAX_ATTEMPTS):
        bob_client.post("/contact/code/", {"code": "999999" if code != "999999" else "888888"})
    late = bob_client.post("/contact/code/", {"code": code})
    assert late.status_code == 400
    staff.refresh_from_db()
    assert staff.private_email == ""


def test_resend_is_rate_limited(bob_client, staff, inbox):
    assert ask(bob_client, "email", "bob4@example.com").status_code == 302
    again = ask(bob_client, "email", "bob4@example.com")
    assert again.status_code == 400 and b"Too many codes requested" in again.content


def test_without_a_sender_the_page_says_so(bob_client, staff):
    SmsConfig(vendor="").save()
    EmailConfig(vendor="").save()
    config.forget("sms")
    config.forget("email")
    assert b"No SMS or email sender is set up" in bob_client.get("/contact/").content
    assert b"/contact/" not in bob_client.get("/profile/").content
    refused = ask(bob_client, "email", "bob5@example.com")
    assert refused.status_code == 400


def test_captcha_appears_when_the_send_limit_asks(bob_client, staff, settings, inbox):
    settings.CODE_CAPTCHA_AFTER = 0
    first = ask(bob_client, "email", "bob6@example.com")
    assert first.status_code == 400
    html = first.content.decode()
    assert "/siteapi/oneid/service/captcha/image/" in html and 'id="id_captcha-errors"' in html
    assert 'value="bob6@example.com"' in html and inbox("bob6@example.com") == ""
