"""What every browser test module shares: Debian's chromium driven by Playwright.

Import ``browser`` (a module-scoped fixture: one headless chromium per test module),
``CHROMIUM`` and ``needs_chromium`` (the skip mark when it is not installed) from here;
app-specific helpers (signing in, tabs, screenshots) live with the app's own browser tests.
"""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = os.environ.get("ARKID_CHROMIUM", "/usr/bin/chromium")
needs_chromium = pytest.mark.skipif(
    not shutil.which(CHROMIUM), reason=f"{CHROMIUM} missing: apt-get install -y chromium"
)
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser():
    # Playwright's sync API runs an event loop in this thread; the ORM calls of the test
    # itself are still synchronous and safe.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield chromium
        chromium.close()
