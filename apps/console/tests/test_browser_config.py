"""Browser tests of the Settings area: Playwright driving Debian's chromium against a live server.

The login colour's preview follows the typing before anything is saved, the saved colour is
what /login/ uses, and a test mail goes out through a real SMTP server (aiosmtpd).
``ARKID_SCREENSHOTS=1`` saves the pages to docs/screenshots/console-config-*.png.
"""

from __future__ import annotations

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message as MessageHandler
from aiosmtpd.smtp import AuthResult, LoginPassword

from apps.core.tests.net import free_port
from apps.directory.models import Organization
from apps.directory.tests.factories import create_test_user
from apps.oidc import keys
from apps.permissions.actions.apps import create_app
from apps.portal.tests import test_browser as portal_browser
from apps.portal.tests.conftest import PASSWORD

# The portal's browser fixtures: a module-scoped chromium (Debian's), the seed rows a live
# server needs after each flush, screenshots into docs/screenshots/.
browser = portal_browser.browser
sync_api = portal_browser.sync_api
expect = sync_api.expect
pytestmark = portal_browser.pytestmark


@pytest.fixture(autouse=True)
def _seed_rows(transactional_db):
    portal_browser.seed_builtin_rows()
    keys.forget_cached()


@pytest.fixture
def admin(_seed_rows):
    return create_test_user("admin", name="Administrator", is_admin=True)


@pytest.fixture
def page(browser, live_server, admin):
    tab = portal_browser.new_tab(browser, live_server, viewport={"width": 1200, "height": 800})
    tab.goto(f"{tab.base}/login/")
    tab.fill("input[name=identifier]", "admin")
    tab.fill("input[name=password]", PASSWORD)
    tab.click("button[type=submit]")
    tab.wait_for_url(f"{tab.base}/")
    yield tab
    tab.context.close()


def shot(page, name: str) -> None:
    portal_browser.shot(page, f"console-config-{name}")


def _background(locator) -> str:
    return locator.evaluate("el => getComputedStyle(el).backgroundColor")


def test_login_colour_previews_while_typing_then_login_page_uses_it(page, browser, live_server):
    page.goto(f"{page.base}/console/config/")
    expect(page.locator('[data-page="login_page"]')).to_be_visible()
    shot(page, "index")
    page.click('[data-page="accounts"] a')
    expect(page.locator('tr[data-method="Password"]')).to_contain_text("On")
    shot(page, "accounts")
    page.goto(f"{page.base}/console/config/security/")
    page.fill("#id_min_length", "4")
    page.click("main form button[type=submit]")
    expect(page.locator("#id_min_length-errors")).to_be_visible()  # inline, nothing saved
    shot(page, "security")
    page.goto(f"{page.base}/console/config/")
    page.click('[data-page="login_page"] a')
    expect(page.locator("h1")).to_have_text("Login page")

    page.fill("#id_name", "Acme Identity")
    page.fill("#id_color", "#aa3300")
    # The preview follows the typing (htmx) before anything is saved.
    expect(page.locator(".login-preview")).to_have_attribute("data-colour", "#aa3300")
    expect(page.locator(".login-preview-name")).to_have_text("Acme Identity")
    assert _background(page.locator(".login-preview-button")) == "rgb(170, 51, 0)"
    assert not Organization.objects.filter(pk=1).exists()

    page.fill("#id_color", "#zz")  # an invalid colour: the preview keeps the default and says why
    expect(page.locator(".login-preview")).to_have_attribute("data-colour", "#006064")
    expect(page.locator(".login-preview .errors")).to_contain_text("Enter a hex colour")
    page.fill("#id_color", "#aa3300")
    expect(page.locator(".login-preview")).to_have_attribute("data-colour", "#aa3300")
    shot(page, "login-page")

    page.click("#login-page-form button[type=submit]")
    expect(page.locator(".flash")).to_contain_text("Login page saved.")
    assert Organization.objects.get(pk=1).color == "aa3300"

    visitor = portal_browser.new_tab(browser, live_server, viewport={"width": 1200, "height": 800})
    visitor.goto(f"{visitor.base}/login/")
    expect(visitor.locator("h1")).to_have_text("Acme Identity")
    assert _background(visitor.locator("button[type=submit]")) == "rgb(170, 51, 0)"
    visitor.context.close()


class _Collector(MessageHandler):
    def __init__(self):
        super().__init__()
        self.messages = []

    def handle_message(self, message):
        self.messages.append(message)


SMTP_USER, SMTP_PASSWORD = b"mailer", b"never-shown-again"


def _authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
    # The relay accepts only the stored credentials: the saved secret really reaches SMTP.
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (SMTP_USER, SMTP_PASSWORD)
    return AuthResult(success=ok)


@pytest.fixture
def smtp_server():
    handler = _Collector()
    handler.port = free_port()
    controller = Controller(
        handler, hostname="127.0.0.1", port=handler.port, authenticator=_authenticate, auth_require_tls=False
    )
    controller.start()
    yield handler
    controller.stop()


def test_configure_smtp_and_send_a_test_mail(page, smtp_server):
    page.goto(f"{page.base}/console/config/senders/")
    page.select_option("#id_email-vendor", "smtp")
    page.fill("#id_email-host", "127.0.0.1")
    page.fill("#id_email-port", str(smtp_server.port))
    page.select_option("#id_email-security", "none")
    page.fill("#id_email-access_key", "mailer")
    page.fill("#id_email-access_secret", "never-shown-again")
    page.fill("#id_email-from_address", "noreply@acme.example")
    page.click("text=Save mail sender")
    expect(page.locator(".flash")).to_contain_text("Sender settings saved.")
    expect(page.locator('[data-secret-state="email"]')).to_have_text("A password is stored.")
    assert page.locator("#id_email-access_secret").input_value() == ""
    assert "never-shown-again" not in page.content()

    page.fill("#id_email-test-address", "ops@acme.example")
    page.click("text=Send a test mail")
    expect(page.locator(".flash")).to_contain_text("Test message sent to ops@acme.example.")
    assert len(smtp_server.messages) == 1 and smtp_server.messages[0]["To"] == "ops@acme.example"
    shot(page, "senders")


def test_ldap_service_account_secret_once_and_keys_rotation(page, admin):
    create_app(actor=admin, name="Wiki", uid="wiki")
    page.goto(f"{page.base}/console/config/ldap/")
    page.fill("#id_app", "wiki")
    page.click("text=Create")
    expect(page.locator("#issued-secret")).to_be_visible()
    shot(page, "ldap")
    page.goto(f"{page.base}/console/config/ldap/")
    expect(page.locator("#issued-secret")).to_have_count(0)
    expect(page.locator('tr[data-app="wiki"]')).to_be_visible()

    keys.active_key("RS256")
    page.goto(f"{page.base}/console/config/oidc-keys/")
    expect(page.locator('tr[data-state="active"]')).to_have_count(1)
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("text=Rotate keys")
    expect(page.locator(".flash")).to_contain_text("New signing keys")
    expect(page.locator('tr[data-state="active"]')).to_have_count(2)
    expect(page.locator('tr[data-state="retiring"]')).to_have_count(1)
    shot(page, "oidc-keys")
