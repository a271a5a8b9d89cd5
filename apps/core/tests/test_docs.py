"""docs/configuration.md lists every ARKID_* variable the code reads."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
READ = re.compile(r"""(?:env(?:_bool|_int|_list)?\(|environ(?:\.get\(|\[)|getenv\()\s*["'](ARKID_[A-Z0-9_]+)["']""")


def variables_read_by_the_code() -> set[str]:
    sources = [*ROOT.glob("arkid/*.py"), *ROOT.glob("scripts/*.py"), *ROOT.glob("bench/*.py")]
    sources += [p for p in ROOT.glob("apps/**/*.py") if "tests" not in p.parts]
    found = set()
    for path in sources:
        found |= set(READ.findall(path.read_text()))
    return found


def test_the_scan_finds_known_variables():
    found = variables_read_by_the_code()
    assert {"ARKID_SECRET_KEY", "ARKID_DATABASE_URL", "ARKID_PORT", "ARKID_BENCH_USERS"} <= found


def test_every_variable_is_documented():
    documented = set(re.findall(r"`(ARKID_[A-Z0-9_]+)`", (ROOT / "docs" / "configuration.md").read_text()))
    missing = sorted(variables_read_by_the_code() - documented)
    assert missing == [], f"document these in docs/configuration.md: {missing}"
