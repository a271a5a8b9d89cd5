"""Automated accessibility check: axe-core (vendored, test-only) run in chromium on every
main page of the portal and of each console area - a list, a detail and a form showing its
errors - in English and Chinese, at desktop and phone widths.

It fails on any violation of impact "serious" or "critical" among the WCAG 2 A/AA rules and
prints the rule, the offending elements and the page. One browser, one context per
language and width; axe is added to every document by an init script (so no page, and no
Content-Security-Policy, has to allow it: it is never served).
"""

from __future__ import annotations

from pathlib import Path

from apps.audit.models import Event
from apps.portal.tests import test_browser as portal_browser
from apps.portal.tests.conftest import PASSWORD

browser, _seed_rows = portal_browser.browser, portal_browser._seed_rows
sync_api = portal_browser.sync_api
pytestmark = portal_browser.pytestmark

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
LOCALES = {"en": "en-US", "zh": "zh-CN"}

# (path, form selector or None). With a selector the form is submitted empty (browser
# validation off) so the page under test is the re-rendered form with its inline errors.
PORTAL_PAGES = [
    ("/", None),
    ("/profile/", None),
    ("/password/", "main form[method=post]"),
    ("/mfa/", None),
    ("/sessions/", None),
    ("/authorised/", None),
    ("/contacts/", None),
    ("/contacts/user/carol/", None),
    ("/contact/", None),
]
CONSOLE_PAGES = [
    ("/console/", None),
    ("/console/accounts/", None),
    ("/console/accounts/u/carol/", None),
    ("/console/accounts/u/carol/perms/", None),
    ("/console/accounts/new/", "main form[method=post]"),
    ("/console/accounts/import/", None),
    ("/console/groups/", None),
    ("/console/groups/types/department/", None),
    ("/console/groups/node/d_hq/", None),
    ("/console/groups/node/d_hq/members/", None),
    ("/console/groups/node/d_hq/perms/", None),
    ("/console/groups/", "form[action$='/types/new/']"),
    ("/console/groups/node/d_hq/new/", "main form[method=post]"),
    ("/console/apps/", None),
    ("/console/apps/wiki/", None),
    ("/console/apps/wiki/perms/", None),
    ("/console/apps/_new/", "main form[method=post]"),
    ("/console/sync/", None),
    ("/console/sync/runs/", None),
    ("/console/subadmins/", None),
    ("/console/subadmins/groups/sales-admins/", None),
    ("/console/subadmins/new/", "main form[method=post]"),
    ("/console/config/", None),
    ("/console/config/accounts/", None),
    ("/console/config/security/", None),
    ("/console/config/senders/", None),
    ("/console/config/login-page/", None),
    ("/console/config/ldap/", None),
    ("/console/config/oidc-keys/", None),
    ("/console/storage/", None),
    ("/console/audit/", None),
    ("/console/audit/{event}/", None),
]

RUN_AXE = """async tags => {
    const result = await axe.run(document, {
        runOnly: {type: "tag", values: tags},
        resultTypes: ["violations"],
    });
    return result.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help,
        targets: v.nodes.map(n => n.target.join(" ")).slice(0, 5),
    }));
}"""

HEADER_OVERFLOWS = "() => document.querySelector('header').scrollWidth > document.documentElement.clientWidth"

SUBMIT_EMPTY = """selector => {
    const form = document.querySelector(selector);
    form.noValidate = true;
    form.querySelectorAll("input[type=text], input[type=email], input[type=url], input:not([type]), textarea")
        .forEach(field => { field.value = ""; });
    form.submit();
}"""


def check(page, path: str, form: str | None, label: str, found: list[str]) -> None:
    response = page.goto(page.base + path)
    assert response.ok or form, f"{label} {path}: HTTP {response.status}"
    if form:
        with page.expect_navigation():
            page.evaluate(SUBMIT_EMPTY, form)
        assert page.locator(".errorlist, .field-error, [aria-invalid=true], .flash.error").count(), (
            f"{label} {path}: the empty form showed no error"
        )
    if page.evaluate(HEADER_OVERFLOWS):
        found.append(f"[{label}] {path} the header (menu) is wider than the screen")
    for violation in page.evaluate(RUN_AXE, WCAG_TAGS):
        if violation["impact"] in BLOCKING:
            found.append(
                f"[{label}] {path} {violation['id']} ({violation['impact']}): {violation['help']}\n"
                f"    targets: {violation['targets']}"
            )


def sign_in(page, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{page.base}/login/")
    page.fill("input[name=identifier]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{page.base}/")


def test_every_main_page_passes_axe(browser, live_server, world):
    event = Event.objects.order_by("-pk").first()
    console_pages = [(path.format(event=event.uuid), form) for path, form in CONSOLE_PAGES]
    found: list[str] = []
    for lang, locale in LOCALES.items():
        for width, viewport in VIEWPORTS.items():
            label = f"{lang}/{width}"
            context = browser.new_context(locale=locale, viewport=viewport)
            context.set_default_timeout(15_000)
            context.add_init_script(AXE)
            page = context.new_page()
            page.base = live_server.url
            page.goto(f"{page.base}/login/")
            page.fill("input[name=identifier]", "dave")
            page.fill("input[name=password]", "wrong password")
            page.click("button[type=submit]")
            check(page, "/login/", None, label, found)  # (now showing the failed sign-in)
            sign_in(page, "dave")
            for path, form in PORTAL_PAGES:
                check(page, path, form, label, found)
            sign_in(page, "admin")
            for path, form in console_pages:
                check(page, path, form, label, found)
            context.close()
    assert not found, "axe found serious/critical WCAG violations:\n" + "\n".join(found)


def test_the_console_menu_folds_on_a_phone_and_names_the_current_area(browser, live_server, world):
    context = browser.new_context(locale="en-US", viewport=VIEWPORTS["phone"])
    page = context.new_page()
    page.base = live_server.url
    sign_in(page, "admin")
    page.goto(f"{page.base}/console/audit/")
    menu = page.locator(".console-nav .menu-narrow")
    sync_api.expect(page.locator(".console-nav .menu-wide")).to_be_hidden()
    sync_api.expect(menu.locator("summary")).to_contain_text("Audit log")
    sync_api.expect(menu.locator("a[aria-current=page]")).to_be_hidden()  # folded
    menu.locator("summary").click()
    sync_api.expect(menu.locator("a[aria-current=page]")).to_have_text("Audit log")
    assert not page.evaluate(HEADER_OVERFLOWS)
    portal_browser.shot(page, "console-phone-menu")
    page.set_viewport_size(VIEWPORTS["desktop"])
    sync_api.expect(menu).to_be_hidden()
    sync_api.expect(page.locator(".console-nav .menu-wide a[aria-current=page]")).to_have_text("Audit log")
    context.close()


def focused(page) -> str:
    return page.evaluate("() => document.activeElement.name || document.activeElement.className")


def test_keyboard_only_sign_in_and_tree(browser, live_server, world):
    """Sign in and open a branch of the group tree with the keyboard alone, in a sensible
    focus order: identifier, password; a node's links, then its disclosure."""
    context = browser.new_context(locale="en-US", viewport=VIEWPORTS["desktop"])
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    assert focused(page) == "identifier"  # autofocus
    page.keyboard.type("admin")
    page.keyboard.press("Tab")
    assert focused(page) == "password"
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.goto(f"{live_server.url}/console/groups/types/department/")
    hq = page.locator('li[data-node="d_hq"]')
    hq.locator(".node a").last.focus()  # the node's last link ("add sub-group")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.tagName") == "SUMMARY"
    page.keyboard.press("Enter")
    sync_api.expect(hq.locator('li[data-node="d_sales"]')).to_be_visible()
    context.close()
