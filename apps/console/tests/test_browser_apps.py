"""Browser test of the console's Apps area: Playwright driving Debian's chromium against a
live server, through the real login page, forms, htmx pickers and confirmations.

An administrator creates an app with OAuth 2.0, sees its interface details and its client
secret exactly once, grants its access permission to a group with the group picker; a member
of that group then signs in and finds the app in the portal. ``ARKID_SCREENSHOTS=1`` saves
docs/screenshots/console-apps-*.png (shown in docs/console.md).
"""

from __future__ import annotations

import shutil

import pytest

from apps.directory.tests.factories import add_member, create_test_group, create_test_user
from apps.oidc.models import Application
from apps.permissions.models import App, PermissionStatus
from apps.portal.tests import test_browser as portal_browser
from apps.portal.tests.test_browser import CHROMIUM, log_in, shot

# The portal's browser fixtures: a module-scoped chromium, a tab on the live server, and the
# seed rows put back before each test (autouse).
browser = portal_browser.browser
page = portal_browser.page
_seed_rows = portal_browser._seed_rows

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason=f"{CHROMIUM} missing: apt-get install -y chromium"),
]


@pytest.fixture
def people(transactional_db):
    admin = create_test_user("root", name="Root Admin", is_admin=True)
    ops = create_test_group("Operations", uid="ops")
    olga = create_test_user("olga", name="Olga Ops")
    add_member(ops, olga)
    create_test_user("nina", name="Nina Nobody")  # in no group: must not get the app
    return {"admin": admin, "ops": ops, "olga": olga}


def sign_out(page) -> None:
    page.click("header form.logout button[type=submit]")
    page.wait_for_url("**/login/**")


def fill_chat_app_form(page) -> None:
    """From the app list: open the new-app form and fill in "Team chat" with OAuth 2.0."""
    page.click("text=Add app")
    page.get_by_label("Name", exact=True).fill("Team chat")
    page.get_by_label("UID").fill("chat")
    page.get_by_label("Home URL").fill("https://chat.example.com/")
    page.get_by_label("OAuth 2.0 / OpenID Connect").check()
    page.get_by_label("Redirect URIs (one per line)", exact=True).fill("https://chat.example.com/oidc/callback")


def test_admin_creates_an_oauth_app_and_grants_it_to_a_group(page, people):
    log_in(page, "root")
    page.goto(f"{page.base}/console/apps/")
    fill_chat_app_form(page)
    shot(page, "console-apps-form")
    page.click("main button:has-text('Create app')")

    # The secret is on this page, once, with a copy button.
    secret_box = page.locator("#secret-oauth_app")
    expect(secret_box).to_be_visible()
    secret = secret_box.inner_text().strip()
    assert len(secret) >= 64
    client_id = Application.objects.get(app__uid="chat").client_id
    expect(page.locator("#fact-oauth_app-client_id")).to_have_text(client_id)
    expect(page.locator("#fact-oauth_app-discovery_url")).to_contain_text("/.well-known/openid-configuration")
    expect(page.locator("[data-copy='#secret-oauth_app']")).to_be_visible()
    shot(page, "console-apps-secret-once")

    # Opened again, the page has the interface details but never the secret.
    page.goto(f"{page.base}/console/apps/chat/")
    expect(page.locator("#fact-oauth_app-token_url")).to_contain_text("/oauth/token/")
    assert secret not in page.content()
    expect(page.locator("#secret-oauth_app")).to_have_count(0)
    shot(page, "console-apps-detail")

    # Grant the access permission to the Operations group with the async picker.
    page.click("a:has-text('Permissions')")
    page.click("tr[data-perm='app_chat_access'] a")
    page.fill("#picker-groups-q", "Opera")
    result = page.locator(".picker[data-field=groups] .picker-results input[value='d_ops']")
    expect(result).to_be_visible()
    result.check()
    expect(page.locator(".picker[data-field=groups] .picker-selected input[value='d_ops']")).to_be_checked()
    page.get_by_label("Grant (white list)").check()
    shot(page, "console-apps-grant")
    page.click("#owners-form button[type=submit]")
    expect(page.locator("tr[data-owner='d_ops']")).to_be_visible()
    assert PermissionStatus.objects.filter(perm__uid="app_chat_access", group=people["ops"], status=1).exists()

    # The result list says who holds it and why.
    page.click("a:has-text('Who holds it')")
    expect(page.locator("tr[data-holder='olga']")).to_contain_text("Operations")
    expect(page.locator("tr[data-holder='nina']")).to_have_count(0)
    shot(page, "console-apps-holders")

    page.goto(f"{page.base}/console/apps/")
    expect(page.locator("tr[data-app='chat']")).to_be_visible()
    shot(page, "console-apps-list")
    page.fill("#app-q", "zzz")  # search as you type (htmx swaps the table)
    expect(page.locator("tr[data-app='chat']")).to_have_count(0)
    page.fill("#app-q", "cha")
    expect(page.locator("tr[data-app='chat']")).to_be_visible()
    sign_out(page)

    # Olga, in Operations, now finds the app in her portal.
    log_in(page, "olga")
    expect(page.locator('[data-app="chat"]')).to_be_visible()
    sign_out(page)
    log_in(page, "nina")
    expect(page.locator('[data-app="chat"]')).to_have_count(0)


def test_rotating_the_secret_asks_first(page, people):
    from apps.permissions.actions.apps import create_app

    app, shown = create_app(
        actor=people["admin"],
        name="Wiki",
        uid="wiki",
        protocols={"oauth_app": {"redirect_uris": ["https://w.example/cb"]}},
    )
    log_in(page, "root")
    page.goto(f"{page.base}/console/apps/wiki/")
    rotate = page.locator("[data-protocol=oauth_app] button:has-text('Rotate secret')")
    page.once("dialog", lambda dialog: dialog.dismiss())
    rotate.click()
    expect(page.locator("#secret-oauth_app")).to_have_count(0)  # dismissed: nothing happened
    page.once("dialog", lambda dialog: dialog.accept())
    rotate.click()
    new_secret = page.locator("#secret-oauth_app").inner_text().strip()
    assert new_secret and new_secret != shown["oauth_app"]["client_secret"]
    assert App.objects.filter(uid="wiki").exists()
