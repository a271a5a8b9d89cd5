"""Browser test: an administrator creates an invitation in the console, the invitee opens
the old v1-style link (``/#/oneid/activate?key=…``), is forwarded to ``/activate/``, proves a
mobile with a code, sets a password and lands on the portal signed in.

Playwright driving Debian's chromium against a live server, as in
apps/portal/tests/test_browser.py. ``ARKID_SCREENSHOTS=1`` saves docs/screenshots/activate*.png.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.apps import apps as django_apps
from django.conf import settings

from apps.accounts.models import UserSession
from apps.audit.models import Action, Event
from apps.core.tests import browser as browser_support
from apps.directory.tests.factories import create_test_user

browser, needs_chromium, sync_api = browser_support.browser, browser_support.needs_chromium, browser_support.sync_api

SHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"
ADMIN_PASSWORD = "Passw0rd!x"  # create_test_user's default
NEW_MOBILE = "+8613912345678"
NEW_PASSWORD = "Welcome-Aboard-77"

pytestmark = [
    pytest.mark.slow,
    needs_chromium,
    pytest.mark.usefixtures("dev_senders"),
]


@pytest.fixture(autouse=True)
def _seed_rows(transactional_db):
    """The live server needs committed rows; the flush after each test also wipes the
    migrations' seed rows (built-in group types): put them back first."""
    seed = importlib.import_module("apps.directory.migrations.0002_builtin_group_types")
    seed.create_builtin_types(django_apps, None)


def new_tab(browser, live_server):
    context = browser.new_context(locale="en-US", viewport={"width": 1000, "height": 720})
    context.set_default_timeout(15_000)
    tab = context.new_page()
    tab.base = live_server.url
    return context, tab


def shot(page, name: str) -> None:
    if os.environ.get("ARKID_SCREENSHOTS"):
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def console_invitation_key(browser, live_server) -> str:
    """The administrator's side: sign in, open the account, create the link, read it."""
    context, admin = new_tab(browser, live_server)
    admin.goto(f"{admin.base}/login/?next=/console/accounts/u/erin/")
    admin.fill("input[name=identifier]", "admin")
    admin.fill("input[name=password]", ADMIN_PASSWORD)
    admin.click("button[type=submit]")
    admin.wait_for_url(f"{admin.base}/console/accounts/u/erin/")
    admin.once("dialog", lambda dialog: dialog.accept())  # "earlier unused links stop working"
    admin.get_by_role("button", name="Invitation link").click()
    url = admin.locator("#invitation-url").inner_text().strip()
    context.close()
    assert urlsplit(url).path == "/activate/"
    return parse_qs(urlsplit(url).query)["key"][0]


def test_invitee_activates_from_an_old_v1_link(browser, live_server, inbox):
    create_test_user("admin", name="Administrator", is_admin=True)
    invitee = create_test_user("erin", name="Erin", password=None, is_active=False, mobile="+8618812345678")
    key = console_invitation_key(browser, live_server)

    context, page = new_tab(browser, live_server)
    # v1's link: the portal sends the anonymous visitor to /login/, the fragment rides along,
    # and the login page's script forwards it to the activation page.
    page.goto(f"{page.base}/#/oneid/activate?key={key}")
    page.wait_for_url(f"{page.base}/activate/?key={key}")
    sync_api.expect(page.locator("[data-invitee=erin]")).to_contain_text("Erin")

    page.get_by_label("Email or mobile number").fill(NEW_MOBILE)
    shot(page, "activate-verify")
    page.get_by_role("button", name="Send code").click()
    page.get_by_label("Verification code").fill(inbox(NEW_MOBILE))
    page.get_by_role("button", name="Continue").click()

    sync_api.expect(page.get_by_text("Choose your password.")).to_be_visible()
    shot(page, "activate")
    page.get_by_label("New password", exact=True).fill("short")
    page.get_by_label("Repeat the new password").fill("short")
    page.get_by_role("button", name="Activate").click()
    sync_api.expect(page.locator("#id_new_password-errors")).to_contain_text("too short")

    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Activate").click()
    page.wait_for_url(f"{page.base}/")
    sync_api.expect(page.locator("form[action='/logout/']").first).to_be_attached()
    context.close()

    invitee.refresh_from_db()
    assert invitee.is_active and invitee.mobile == NEW_MOBILE and invitee.check_password(NEW_PASSWORD)
    assert UserSession.objects.filter(user=invitee).exists()
    assert Event.objects.filter(action=Action.INVITATION_ACCEPTED, target_id=str(invitee.pk)).count() == 1


def test_a_used_link_shows_a_clear_page(browser, live_server):
    context, page = new_tab(browser, live_server)
    response = page.goto(f"{page.base}/activate/?key=not-a-real-key")
    assert response.status == 404
    sync_api.expect(page.get_by_role("alert")).to_have_text("This invitation is invalid or has expired.")
    context.close()
