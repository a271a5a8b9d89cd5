"""Browser test of the Accounts area: Playwright driving Debian's chromium against a live
server, through the real login page, the async group picker and the CSV import.

``ARKID_SCREENSHOTS=1`` saves docs/screenshots/console-accounts-*.png (shown in docs/console.md).
"""

from __future__ import annotations

import pytest

from apps.audit.models import Action, Event
from apps.directory.models import User
from apps.directory.tests.factories import add_member, create_test_group, create_test_user
from apps.portal.tests import test_browser as portal_browser

# The portal's browser fixtures (module-scoped chromium, a page on the live server, the
# seed rows a flush wipes) and its marks (slow; skipped without chromium).
browser, page, _seed_rows = portal_browser.browser, portal_browser.page, portal_browser._seed_rows
log_in, shot, sync_api = portal_browser.log_in, portal_browser.shot, portal_browser.sync_api
pytestmark = portal_browser.pytestmark

BAD = "username,name,email\nnew1,New One,new1@example.com\nBad Name!,Two,not-an-email\n"
GOOD = "username,name,email\nnew1,New One,new1@example.com\nnew2,New Two,new2@example.com\n"


@pytest.fixture
def directory():
    root = create_test_user("root", name="Root Admin", is_admin=True)
    sales = create_test_group("Sales", uid="sales")
    for n in range(1, 4):
        add_member(sales, create_test_user(f"seller{n}", name=f"Seller {n}", email=f"seller{n}@example.com"))
    return root


def csv_file(name: str, text: str) -> dict:
    return {"name": name, "mimeType": "text/csv", "buffer": text.encode()}


def test_admin_creates_a_user_then_imports_a_csv(page, directory):
    log_in(page, "root")
    page.goto(f"{page.base}/console/accounts/")
    sync_api.expect(page.locator("tr[data-user]")).to_have_count(4)
    shot(page, "console-accounts-list")

    page.click("text=New account")
    page.get_by_label("Username").fill("zoe")
    page.get_by_label("Name", exact=True).fill("Zoe Zhang")
    page.get_by_label("Email", exact=True).fill("zoe@example.com")
    page.fill("#picker-groups-q", "Sal")  # the async group picker
    page.locator('.picker-results input[value="d_sales"]').check()
    sync_api.expect(page.locator('.picker-selected input[value="d_sales"]')).to_be_checked()
    shot(page, "console-accounts-new")
    page.click("main button:has-text('Create')")
    sync_api.expect(page.locator("h1")).to_contain_text("Zoe Zhang")
    shot(page, "console-accounts-user")
    zoe = User.objects.get(username="zoe")
    assert zoe.memberships.get().group.uid == "sales"

    page.goto(f"{page.base}/console/accounts/import/")
    page.set_input_files("input[type=file]", csv_file("bad.csv", BAD))
    page.click("main button:has-text('Import')")
    sync_api.expect(page.locator(".import-errors tbody tr")).to_have_count(2)  # username and email of row 3
    sync_api.expect(page.locator("#import-status")).to_contain_text("nothing was imported")
    shot(page, "console-accounts-import-errors")
    assert not User.objects.filter(username="new1").exists()

    page.set_input_files("input[type=file]", csv_file("good.csv", GOOD))
    page.click("main button:has-text('Import')")
    sync_api.expect(page.locator("#import-status")).to_contain_text("Created 2")
    shot(page, "console-accounts-import-done")
    assert set(User.objects.filter(username__startswith="new").values_list("username", flat=True)) == {"new1", "new2"}

    actions = set(Event.objects.filter(actor=directory).values_list("action", flat=True))
    assert {Action.USER_CREATED.value, Action.USERS_IMPORTED.value, Action.MEMBERS_ADDED.value} <= actions

    page.goto(f"{page.base}/console/accounts/u/zoe/perms/")
    sync_api.expect(page.locator("h1")).to_contain_text("App permissions")
    shot(page, "console-accounts-perms")


def test_list_filters_and_bulk_delete_with_confirmation(page, directory):
    log_in(page, "root")
    page.goto(f"{page.base}/console/accounts/?q=seller")
    rows = page.locator("tr[data-user]")
    sync_api.expect(rows).to_have_count(3)
    page.locator('tr[data-user="seller1"] input[type=checkbox]').check()
    page.locator('tr[data-user="seller2"] input[type=checkbox]').check()
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("text=Delete ticked accounts")
    assert User.objects.filter(username__startswith="seller").count() == 3
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("text=Delete ticked accounts")
    sync_api.expect(rows).to_have_count(1)
    assert page.url.endswith("?q=seller")
