"""Browser tests of the account-security pages: enrol two-factor then sign in with a TOTP
code, upload an avatar and see it, change the email with a code. Same fixtures as
test_browser.py (chromium headless against the live server); ``ARKID_SCREENSHOTS=1`` saves
the pages shown in docs/webui.md."""

from __future__ import annotations

import io
import logging
import re
import time

import pyotp
import pytest
from PIL import Image

from apps.accounts import config
from apps.accounts.models import EmailConfig, TotpDevice
from apps.portal.tests.conftest import PASSWORD
from apps.portal.tests.test_browser import browser, log_in, page, pytestmark, shot, sync_api  # noqa: F401

__all__ = ["pytestmark"]


@pytest.fixture(autouse=True)
def _seed(transactional_db):
    import importlib  # noqa: PLC0415

    from django.apps import apps as django_apps  # noqa: PLC0415

    importlib.import_module("apps.directory.migrations.0002_builtin_group_types").create_builtin_types(
        django_apps, None
    )


def test_enrol_two_factor_then_sign_in_with_a_code(page, staff):  # noqa: F811 - the fixture imported above
    log_in(page)
    page.click("text=Two-factor")
    sync_api.expect(page.locator('[data-mfa="off"]')).to_be_visible()
    page.get_by_role("button", name="Set up", exact=True).click()
    sync_api.expect(page.locator(".qr svg")).to_be_visible()  # the QR code, inline SVG
    secret = page.locator("#mfa-secret").inner_text().strip()
    shot(page, "mfa-enrol")
    totp = pyotp.TOTP(secret)
    page.get_by_label("Code from the authenticator app").fill("000000" if totp.now() != "000000" else "111111")
    page.get_by_role("button", name="Turn on").click()
    sync_api.expect(page.locator("ul.errors")).to_contain_text("The code is wrong.")
    page.get_by_label("Code from the authenticator app").fill(totp.now())
    page.get_by_role("button", name="Turn on").click()
    sync_api.expect(page.locator("#recovery-codes li")).to_have_count(10)
    shot(page, "mfa-recovery-codes")
    assert TotpDevice.objects.get(user=staff).confirmed is not None

    page.click("text=Sign out")
    page.goto(f"{page.base}/login/")
    page.fill("input[name=identifier]", "bob")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/login/mfa/.*"))
    # The enrolment used the current step: the sign-in takes the next one (no replay).
    page.locator("input[name=code]").fill(totp.at(time.time() + 30))
    shot(page, "login-mfa")
    page.click("button[type=submit]")
    page.wait_for_url(f"{page.base}/")
    page.click("text=Two-factor")
    sync_api.expect(page.locator('[data-mfa="on"]')).to_contain_text("10 recovery codes left")
    shot(page, "mfa-status")


def test_upload_an_avatar_and_see_it(page, staff, settings, live_server, tmp_path):  # noqa: F811 - the fixture imported above
    settings.BASE_URL = live_server.url  # the stored URL must point at this server
    settings.MEDIA_ROOT = tmp_path / "media"
    picture = tmp_path / "me.jpg"
    Image.new("RGB", (400, 300), (30, 140, 90)).save(picture, format="JPEG")
    bogus = tmp_path / "evil.png"
    bogus.write_bytes(b"<html><script>alert(1)</script></html>")
    log_in(page)
    page.click("text=Profile")
    page.set_input_files("input[name=file]", str(bogus))
    page.get_by_role("button", name="Upload").click()
    sync_api.expect(page.locator("#id_file-errors")).to_contain_text("PNG, JPEG, GIF or WebP")
    page.set_input_files("input[name=file]", str(picture))
    page.get_by_role("button", name="Upload").click()
    sync_api.expect(page.locator(".flash")).to_be_visible()
    avatar = page.locator("#my-avatar")
    sync_api.expect(avatar).to_be_visible()
    page.wait_for_function("document.querySelector('#my-avatar').naturalWidth === 256")
    staff.refresh_from_db()
    assert staff.avatar.startswith(f"{live_server.url}/media/avatars/")
    shot(page, "profile-avatar")
    with Image.open(io.BytesIO(page.request.get(staff.avatar).body())) as image:
        assert image.size == (256, 256)


def test_change_email_with_a_code(page, staff, caplog):  # noqa: F811 - the fixture imported above
    caplog.set_level(logging.WARNING, logger="arkid.accounts.senders")
    EmailConfig(vendor="log").save()
    config.forget("email")
    log_in(page)
    page.click("text=Profile")
    page.click("text=Change mobile or email")
    page.get_by_label("What to change").select_option("email")
    page.get_by_label("New mobile number or email address").fill("bob.home@example.com")
    page.get_by_label("Current password").fill(PASSWORD)
    shot(page, "contact-change")
    page.click("text=Send code")
    page.wait_for_url(f"{page.base}/contact/code/")
    lines = [r.getMessage() for r in caplog.records if "bob.home@example.com" in r.getMessage()]
    code = re.search(r"(\d{6})$", lines[-1]).group(1)
    page.get_by_label("Verification code").fill("000000" if code != "000000" else "111111")
    page.click("text=Confirm")
    sync_api.expect(page.locator("#id_code-errors")).to_contain_text("wrong or has expired")
    shot(page, "contact-code")
    page.get_by_label("Verification code").fill(code)
    page.click("text=Confirm")
    page.wait_for_url(f"{page.base}/profile/")
    sync_api.expect(page.locator("#my-email")).to_have_text("bob.home@example.com")
    staff.refresh_from_db()
    assert staff.private_email == "bob.home@example.com"


def test_two_factor_set_up_in_chinese_on_a_phone(browser, live_server, staff):  # noqa: F811
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 760})
    tab = context.new_page()
    tab.base = live_server.url
    log_in(tab)
    tab.goto(f"{tab.base}/mfa/")
    tab.get_by_role("button", name="设置", exact=True).click()
    sync_api.expect(tab.locator(".qr svg")).to_be_visible()
    sync_api.expect(tab.locator("h2#mfa-enrol")).to_have_text("设置身份验证器应用")
    box = tab.locator(".qr svg").bounding_box()
    assert box["x"] + box["width"] <= 390  # the QR code fits the phone's width
    shot(tab, "mfa-enrol-zh-phone")
    context.close()
