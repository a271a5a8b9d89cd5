"""Browser tests of the console's operations areas (Playwright + Debian chromium, live server).

* An administrator creates a sub-administrator group over a department with the pickers; that
  sub-administrator signs in and the console shows only their scope; the audit log lists the
  creation and its detail shows the client IP.
* "Sync now" against the DingTalk emulator, run by a real Celery worker (in a thread, in-memory
  broker): the page polls the run's progress; the test holds the fetch after the departments
  (a threading.Event, not a sleep) so the page is seen in a real intermediate state.

``ARKID_SCREENSHOTS=1`` saves docs/screenshots/console-*.png.
"""

from __future__ import annotations

import importlib
import threading

import pytest
from django.apps import apps as django_apps

from apps.dingtalk import fetch
from apps.dingtalk.models import SyncRun
from apps.dingtalk.tests import conftest as dingtalk_fixtures
from apps.dingtalk.tests import test_worker
from apps.permissions.models import ManagerGroup
from apps.portal.tests import test_browser

sync_api = test_browser.sync_api
pytestmark = test_browser.pytestmark
browser = test_browser.browser
shot = test_browser.shot
emulator_factory = dingtalk_fixtures.emulator_factory
emulator = dingtalk_fixtures.emulator
worker_app = test_worker.worker_app


@pytest.fixture(autouse=True)
def _seed_rows(transactional_db):
    """The live server needs committed rows, so each test ends with a flush, which also wipes
    the migrations' seed rows: put back the built-in group types and the system permissions."""
    for module in (
        "apps.directory.migrations.0002_builtin_group_types",
        "apps.permissions.migrations.0002_system_perms",
    ):
        seed = importlib.import_module(module)
        (seed.create_builtin_types if hasattr(seed, "create_builtin_types") else seed.seed)(django_apps, None)


@pytest.fixture
def page(browser, live_server):
    tab = test_browser.new_tab(browser, live_server, viewport={"width": 1200, "height": 800})
    tab.context.set_default_timeout(20_000)
    yield tab
    tab.context.close()


def log_in(page, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{page.base}/login/")
    page.fill("input[name=identifier]", username)
    page.fill("input[name=password]", test_browser.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{page.base}/")


def pick(page, field: str, search: str, value: str) -> None:
    """Type into a picker's search box and tick the one async result (searches are exact here)."""
    page.fill(f"#picker-{field}-q", search)
    result = page.locator(f'.picker[data-field="{field}"] .picker-results input[value="{value}"]')
    result.check()
    sync_api.expect(
        page.locator(f'.picker[data-field="{field}"] .picker-selected input[value="{value}"]')
    ).to_be_checked()


def test_sub_admin_over_a_department_sees_only_that_scope_and_the_audit_trail(page, world):
    log_in(page, "admin")
    page.goto(f"{page.base}/console/subadmins/")
    sync_api.expect(page.locator('tr[data-group="sales-admins"]')).to_be_visible()
    page.click("text=New sub-administrator group")
    page.fill("#id_name", "East admins")
    page.fill("#id_uid", "east-admins")
    page.check('input[name=scope_subject][value="2"]')
    page.check('input[name=perms][value="system_log_read"]')
    pick(page, "members", "erin", "erin")
    pick(page, "nodes", "Eas", "d_east")
    pick(page, "apps", "wik", "wiki")
    shot(page, "console-subadmins-edit")
    page.click("form.card button[type=submit]:has-text('Save')")
    sync_api.expect(page.locator(".flash")).to_contain_text("East admins")
    group = ManagerGroup.objects.get(uid="east-admins")
    assert [u.username for u in group.member_users.all()] == ["erin"]
    assert [g.uid for g in group.scope_groups.all()] == ["east"]
    page.goto(f"{page.base}/console/subadmins/")
    shot(page, "console-subadmins-list")

    # erin now manages the East department: carol (its member), East, and the app wiki.
    log_in(page, "erin")
    page.goto(f"{page.base}/console/")
    stats = page.locator(".stats .stat")
    sync_api.expect(stats.nth(0)).to_have_text("1")  # accounts: carol
    sync_api.expect(stats.nth(1)).to_have_text("1")  # groups: East
    sync_api.expect(stats.nth(2)).to_have_text("1")  # apps: wiki
    nav = page.locator("header nav")
    sync_api.expect(nav).to_contain_text("Audit log")
    sync_api.expect(nav).not_to_contain_text("Sub-admins")
    shot(page, "console-subadmin-overview")
    page.goto(f"{page.base}/console/pickers/users/?q=&field=members")
    found = page.locator("input[name=members]")
    sync_api.expect(found).to_have_count(1)
    assert found.get_attribute("value") == "carol"
    page.goto(f"{page.base}/console/subadmins/")
    sync_api.expect(page.locator("h1")).to_have_text("Not allowed")

    # The audit log, as erin (she holds system_log_read): the creation, with the IP.
    page.goto(f"{page.base}/console/audit/")
    page.select_option("#id_action", "manager_group.*")
    page.click("text=Filter")
    row = page.locator("tr[data-event]", has_text="East admins")
    sync_api.expect(row).to_be_visible()
    sync_api.expect(row).to_contain_text("Sub-administrator group created")
    shot(page, "console-audit-list")
    row.locator("a").first.click()
    sync_api.expect(page.locator("#event-ip")).to_have_text("127.0.0.1")
    sync_api.expect(page.locator("#event-ua")).to_contain_text("Chrome")
    sync_api.expect(page.locator('tr[data-field="scope_groups"]')).to_contain_text("east")
    shot(page, "console-audit-detail")


@pytest.fixture
def held_fetch(monkeypatch):
    """The worker's fetch waits before the members of the first department until released."""
    release, reached = threading.Event(), threading.Event()
    original = fetch._fetch_members

    def held(client, dept_id, snap):
        reached.set()
        assert release.wait(60), "the test never released the fetch"
        return original(client, dept_id, snap)

    monkeypatch.setattr(fetch, "_fetch_members", held)
    yield release
    release.set()


def test_sync_now_shows_progress_and_lands_in_history(page, world, emulator, worker_app, held_fetch):
    log_in(page, "admin")
    page.goto(f"{page.base}/console/sync/")
    shot(page, "console-sync-settings")
    page.click("#sync-start")
    page.wait_for_url(f"{page.base}/console/sync/runs/*/")
    status = page.locator("#run-status")
    # The worker holds after reading the departments: the polled fragment shows that state.
    sync_api.expect(status.locator("[data-phase]")).to_have_attribute("data-phase", "members")
    sync_api.expect(status).to_contain_text("0 of 7 departments")
    shot(page, "console-sync-progress")
    held_fetch.set()
    sync_api.expect(status).to_have_attribute("data-status", "succeeded", timeout=30_000)
    sync_api.expect(status).to_contain_text("users_created")
    run = SyncRun.objects.get()
    assert run.status == SyncRun.Status.SUCCEEDED and run.trigger == "console"
    page.click("text=History")
    sync_api.expect(page.locator(f'tr[data-run="{run.pk}"]')).to_contain_text("Succeeded")
    shot(page, "console-sync-history")
