"""Browser tests: Playwright driving Debian's chromium (headless) against a live server.

They go through the real login page and real htmx requests. ``ARKID_SCREENSHOTS=1`` also
saves the main pages to docs/screenshots/ (how the pictures in docs/webui.md are made).
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.conf import settings

from apps.accounts.models import UserSession
from apps.core.tests import browser as browser_support
from apps.directory.models import User
from apps.portal.tests.conftest import PASSWORD

# Shared with every browser test module (apps.core.tests.browser); CHROMIUM and sync_api are
# imported from here by the console's browser tests.
browser, CHROMIUM, needs_chromium, sync_api = (
    browser_support.browser,
    browser_support.CHROMIUM,
    browser_support.needs_chromium,
    browser_support.sync_api,
)

SHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"

pytestmark = [
    pytest.mark.slow,
    needs_chromium,
]


def seed_builtin_rows() -> None:
    """The live server needs committed rows, so each test ends with a flush, which also wipes
    the migrations' seed rows (built-in group types): put them back first."""
    seed = importlib.import_module("apps.directory.migrations.0002_builtin_group_types")
    seed.create_builtin_types(django_apps, None)


@pytest.fixture(autouse=True)
def _seed_rows(transactional_db):
    seed_builtin_rows()


def new_tab(browser, live_server, *, locale: str = "en-US", viewport: dict | None = None):
    """A tab in a fresh context (its own cookies) with ``tab.base`` the live server's URL."""
    context = browser.new_context(locale=locale, viewport=viewport or {"width": 1100, "height": 720})
    context.set_default_timeout(15_000)
    tab = context.new_page()
    tab.base = live_server.url
    return tab


@pytest.fixture
def page(browser, live_server):
    tab = new_tab(browser, live_server)
    yield tab
    tab.context.close()


def shot(page, name: str) -> None:
    if os.environ.get("ARKID_SCREENSHOTS"):
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def log_in(page, username: str = "bob", *, screenshot: str = "") -> None:
    page.goto(f"{page.base}/login/")
    page.fill("input[name=identifier]", username)
    page.fill("input[name=password]", PASSWORD)
    if screenshot:
        shot(page, screenshot)
    page.click("button[type=submit]")
    page.wait_for_url(f"{page.base}/")


def test_log_in_and_see_the_granted_app_then_search(page, staff):
    log_in(page, screenshot="login")
    sync_api.expect(page.locator('[data-app="crm"]')).to_be_visible()
    sync_api.expect(page.locator('[data-app="erp"]')).to_have_count(0)
    shot(page, "my-apps")
    page.fill("#app-q", "zzz")  # htmx swaps the grid as the user types
    sync_api.expect(page.locator('[data-app="crm"]')).to_have_count(0)
    page.fill("#app-q", "cr")
    sync_api.expect(page.locator('[data-app="crm"]')).to_be_visible()


def test_edit_profile(page, staff):
    log_in(page)
    page.click("text=Profile")
    page.get_by_label("Name").fill("Robert Builder")
    page.get_by_label("Position").fill("Site lead")
    page.get_by_role("button", name="Save").click()
    sync_api.expect(page.locator(".flash")).to_be_visible()
    shot(page, "profile")
    staff.refresh_from_db()
    assert (staff.name, staff.position) == ("Robert Builder", "Site lead")


def test_revoke_another_session(page, browser, staff):
    other = browser.new_context(locale="en-US")
    other_tab = other.new_page()
    other_tab.base = page.base
    log_in(other_tab)
    log_in(page)
    page.click("text=Sessions")
    rows = page.locator("tr[data-session]")
    sync_api.expect(rows).to_have_count(2)
    shot(page, "sessions")
    other_row = UserSession.objects.filter(user=staff).order_by("created").first()
    button = page.locator(f'tr[data-session="{other_row.pk}"] button')
    page.once("dialog", lambda dialog: dialog.dismiss())  # the confirmation guards the action
    button.click()
    assert UserSession.objects.filter(pk=other_row.pk).exists()
    page.once("dialog", lambda dialog: dialog.accept())
    button.click()
    sync_api.expect(rows).to_have_count(1)
    other_tab.goto(f"{page.base}/")
    assert "/login/" in other_tab.url
    other.close()


def test_contacts_expand_on_demand(page, staff):
    from apps.directory.tests.factories import add_member, create_test_group, create_test_user

    sales = staff.memberships.get().group
    east = create_test_group("East", uid="east", parent=sales)
    add_member(east, create_test_user("dave", name="Dave East"))
    log_in(page)
    page.click("text=Contacts")
    sync_api.expect(page.locator("text=East")).to_have_count(0)
    page.click("summary:has-text('Sales')")
    sync_api.expect(page.locator("a:has-text('East')")).to_be_visible()
    shot(page, "contacts")
    page.click("a:has-text('East')")
    page.click("text=Dave East")
    sync_api.expect(page.locator("h1")).to_have_text("Dave East")
    assert User.objects.filter(username="dave").exists()


def test_interface_follows_the_browser_language(browser, live_server, staff):
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 760})  # a phone
    tab = context.new_page()
    tab.base = live_server.url
    log_in(tab)
    sync_api.expect(tab.locator("nav a[aria-current=page]")).to_have_text("我的应用")
    shot(tab, "my-apps-zh-phone")
    context.close()


def test_revoke_an_authorised_app(page, staff):
    from oauth2_provider.models import AccessToken

    from apps.directory.tests.factories import create_test_user
    from apps.portal.tests.test_authorised import issue, oauth_app

    wiki = oauth_app(create_test_user("root", is_admin=True), "Wiki")
    issue(staff, wiki, 1)
    log_in(page)
    page.click("text=Authorised apps")
    row = page.locator("tr[data-client]")
    sync_api.expect(row).to_have_count(1)
    shot(page, "authorised-apps")
    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("button").click()
    sync_api.expect(page.locator("tr[data-client]")).to_have_count(0)
    assert not AccessToken.objects.filter(user=staff).exists()
