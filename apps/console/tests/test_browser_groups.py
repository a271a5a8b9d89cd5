"""Browser test of the Groups area: Playwright driving Debian's chromium against a live
server, through the real login page and real htmx requests (tree expansion, picker search).
``ARKID_SCREENSHOTS=1`` saves docs/screenshots/console-groups-*.png for docs/console.md."""

from __future__ import annotations

import shutil

import pytest

from apps.directory.models import Membership
from apps.portal.tests.test_browser import CHROMIUM, _seed_rows, browser, log_in, page, shot, sync_api

__all__ = ["_seed_rows", "browser", "page"]  # fixtures shared with the portal's browser tests

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not shutil.which(CHROMIUM), reason=f"{CHROMIUM} missing")]
expect = sync_api.expect


def test_admin_creates_a_group_expands_the_tree_and_adds_a_member(page, world):
    log_in(page, "admin")
    page.goto(f"{page.base}/console/groups/")
    expect(page.locator('tr[data-type="department"]')).to_be_visible()
    shot(page, "console-groups-types")

    page.click('tr[data-type="department"] >> text=Open tree')
    page.click("text=New top-level group")
    page.get_by_label("Name").fill("Platform")
    page.get_by_label("Uid").fill("platform")
    page.click("main button[type=submit]")
    expect(page.locator(".flash")).to_contain_text("Platform")
    expect(page.locator("h1")).to_contain_text("Platform")
    shot(page, "console-groups-node")

    page.goto(f"{page.base}/console/groups/types/department/")
    hq = page.locator('li[data-node="d_hq"]')
    expect(page.locator('li[data-node="d_platform"]')).to_be_visible()
    expect(page.locator('li[data-node="d_sales"]')).to_have_count(0)  # not loaded until expanded
    hq.locator("summary").first.click(position={"x": 6, "y": 10})  # the disclosure marker: htmx fetches on toggle
    expect(hq.locator('li[data-node="d_sales"]')).to_be_visible()
    sales = hq.locator('li[data-node="d_sales"]')
    sales.locator("summary").first.click(position={"x": 6, "y": 10})
    expect(sales.locator('li[data-node="d_east"]')).to_be_visible()
    shot(page, "console-groups-tree")

    page.goto(f"{page.base}/console/groups/node/d_platform/members/")
    expect(page.locator("text=This group has no members yet.")).to_be_visible()
    page.fill("#picker-users-q", "dav")  # search as you type (htmx, debounced)
    result = page.locator('.picker-results input[value="dave"]')
    expect(result).to_be_visible()
    result.check()
    expect(page.locator('.picker-selected input[value="dave"]')).to_be_checked()
    page.click("text=Add to group")
    expect(page.locator('tr[data-member="dave"]')).to_be_visible()
    shot(page, "console-groups-members")
    assert Membership.objects.filter(group__uid="platform", user__username="dave").exists()


def test_group_permissions_page(page, world):
    log_in(page, "admin")
    page.goto(f"{page.base}/console/groups/node/d_hq/perms/")
    row = page.locator('tr[data-perm="app_wiki_access"]')
    row.locator("select").select_option("1")
    row.locator("button").click()
    expect(page.locator('tr[data-perm="app_wiki_access"] .badge-ok')).to_be_visible()
    page.goto(f"{page.base}/console/groups/node/d_east/perms/")
    expect(page.locator('tr[data-perm="app_wiki_access"] .source')).to_contain_text("HQ")
    shot(page, "console-groups-perms")
