"""Issue 8's whole scenario in one browser session, across the console's areas and the portal:
the administrator creates a user and a group, puts the user in it, creates an OAuth2 app and
grants it to the group, tries a CSV import with an error row, makes a sub-administrator over
the group; the sub-administrator sees only that scope; the audit log lists the changes; the
user signs in and finds the app in the portal.

Selectors and fixtures are those of the per-area browser tests.
"""

from __future__ import annotations

import pytest

from apps.audit.models import Action, Event
from apps.console.tests.test_browser_apps import fill_chat_app_form
from apps.directory.models import Membership, User
from apps.directory.tests.factories import add_member, create_test_group, create_test_user
from apps.permissions.models import ManagerGroup
from apps.portal.tests import test_browser as portal_browser

browser, page, _seed_rows = portal_browser.browser, portal_browser.page, portal_browser._seed_rows
log_in, sync_api = portal_browser.log_in, portal_browser.sync_api
expect = sync_api.expect
pytestmark = portal_browser.pytestmark

BAD_CSV = "username,name,email\nnew1,New One,new1@example.com\nBad Name!,Two,not-an-email\n"
ZOE_PASSWORD = "Zoe-first-Passw0rd"
ZOE_NEW_PASSWORD = "Zoe-own-Passw0rd!"


@pytest.fixture
def company():
    root = create_test_user("root", name="Root Admin", is_admin=True)
    create_test_user("manny", name="Manny Manager")  # becomes the sub-administrator
    other = create_test_group("Finance", uid="finance")
    add_member(other, create_test_user("fred", name="Fred Finance"))  # outside the scope
    return root


def sign_out(page) -> None:
    page.goto(f"{page.base}/")  # the portal's header has the sign-out button
    page.click("header form.logout button[type=submit]")
    page.wait_for_url("**/login/**")


def pick(page, field: str, query: str, value: str) -> None:
    """Search an async picker and tick one result."""
    page.fill(f"#picker-{field}-q", query)
    result = page.locator(f".picker[data-field={field}] .picker-results input[value='{value}']")
    expect(result).to_be_visible()
    result.check()
    expect(page.locator(f".picker[data-field={field}] .picker-selected input[value='{value}']")).to_be_checked()


def test_issue_8_scenario(page, company):
    base = page.base
    log_in(page, "root")

    # A user, with a first password (the console makes them change it at the next login).
    page.goto(f"{base}/console/accounts/new/")
    page.get_by_label("Username").fill("zoe")
    page.get_by_label("Name", exact=True).fill("Zoe Zhang")
    page.get_by_label("Email", exact=True).fill("zoe@example.com")
    page.click("main button:has-text('Create')")
    expect(page.locator("h1")).to_contain_text("Zoe Zhang")
    password_form = page.locator("form[action$='/password/']")
    password_form.locator("input[name=new_password]").fill(ZOE_PASSWORD)
    password_form.locator("input[name=confirm]").fill(ZOE_PASSWORD)
    password_form.locator("button[type=submit]").click()
    expect(page.locator(".flash")).to_be_visible()

    # A group, and the user in it.
    page.goto(f"{base}/console/groups/types/department/")
    page.click("text=New top-level group")
    page.get_by_label("Name").fill("Platform")
    page.get_by_label("Uid").fill("platform")
    page.click("main button[type=submit]")
    page.goto(f"{base}/console/groups/node/d_platform/members/")
    pick(page, "users", "zo", "zoe")
    page.click("text=Add to group")
    expect(page.locator('tr[data-member="zoe"]')).to_be_visible()
    assert Membership.objects.filter(group__uid="platform", user__username="zoe").exists()

    # An app with OAuth2, its access granted to the group.
    page.goto(f"{base}/console/apps/")
    fill_chat_app_form(page)
    page.click("main button:has-text('Create app')")
    expect(page.locator("#secret-oauth_app")).to_be_visible()
    page.click("a:has-text('Permissions')")
    page.click("tr[data-perm='app_chat_access'] a")
    pick(page, "groups", "Platf", "d_platform")
    page.get_by_label("Grant (white list)").check()
    page.click("#owners-form button[type=submit]")
    expect(page.locator("tr[data-owner='d_platform']")).to_be_visible()

    # A CSV import with an error row reports it and imports nothing.
    page.goto(f"{base}/console/accounts/import/")
    page.set_input_files("input[type=file]", {"name": "bad.csv", "mimeType": "text/csv", "buffer": BAD_CSV.encode()})
    page.click("main button:has-text('Import')")
    expect(page.locator(".import-errors tbody tr")).to_have_count(2)
    expect(page.locator("#import-status")).to_contain_text("nothing was imported")
    assert not User.objects.filter(username="new1").exists()

    # A sub-administrator over the group.
    page.goto(f"{base}/console/subadmins/new/")
    page.get_by_label("Name", exact=True).fill("Platform admins")
    page.get_by_label("Identifier").fill("platform-admins")
    page.check("input[name=scope_subject][value='2']")  # listed users and groups
    pick(page, "nodes", "Platf", "d_platform")
    pick(page, "members", "man", "manny")
    page.click("main form.card button:has-text('Save')")
    expect(page.locator("h1")).to_contain_text("Platform admins")
    assert ManagerGroup.objects.get(uid="platform-admins").member_users.filter(username="manny").exists()

    # The audit log lists these changes.
    page.goto(f"{base}/console/audit/")
    done = {
        Action.USER_CREATED,
        Action.GROUP_CREATED,
        Action.MEMBERS_ADDED,
        Action.APP_CREATED,
        Action.PERMISSION_STATUSES_CHANGED,
        Action.MANAGER_GROUP_CREATED,
    }
    events = Event.objects.filter(actor=company, action__in=[a.value for a in done])
    assert {Action(e.action) for e in events} == done
    for event in events:  # each on the first page of the log (newest first)
        expect(page.locator(f"tr[data-event='{event.uuid}']")).to_be_visible()
    assert not Event.objects.filter(action=Action.USERS_IMPORTED.value).exists()  # the failed import changed nothing
    sign_out(page)

    # The sub-administrator sees only the group's members.
    log_in(page, "manny")
    page.goto(f"{base}/console/accounts/")
    expect(page.locator("tr[data-user='zoe']")).to_be_visible()
    expect(page.locator("tr[data-user='fred']")).to_have_count(0)
    expect(page.locator("tr[data-user]")).to_have_count(1)
    assert page.goto(f"{base}/console/accounts/u/fred/").status == 404
    sign_out(page)

    # The user signs in (changing the first password) and finds the app in the portal.
    page.goto(f"{base}/login/")
    page.fill("input[name=identifier]", "zoe")
    page.fill("input[name=password]", ZOE_PASSWORD)
    page.click("button[type=submit]")
    page.fill("input[name=new_password]", ZOE_NEW_PASSWORD)
    page.fill("input[name=confirm]", ZOE_NEW_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")
    expect(page.locator('[data-app="chat"]')).to_be_visible()
