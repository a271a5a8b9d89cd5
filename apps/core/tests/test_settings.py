"""Settings are read once per process, so each case imports them in a fresh interpreter."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # each case starts a fresh interpreter

ROOT = Path(__file__).resolve().parents[3]
STRONG_KEY = "k" * 20 + "0123456789abcdefghijklmnop"
PRINT_SETTINGS = (
    "import json, arkid.settings as s; "
    "print(json.dumps({'debug': s.DEBUG, 'company': s.COMPANY_NAME, 'key': s.SECRET_KEY, "
    "'db': s.DATABASES['default']['ENGINE'], 'retention': s.AUDIT_RETENTION_DAYS, "
    "'proxies': s.TRUSTED_PROXIES, 'db_options': s.DATABASES['default'].get('OPTIONS', {})}))"
)


def load_settings(tmp_path: Path, project_root: Path = ROOT, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ARKID_", "DJANGO_"))}
    clean.update({"ARKID_VAR_DIR": str(tmp_path / "var"), "PYTHONPATH": str(project_root), **env})
    return subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", PRINT_SETTINGS],
        cwd=project_root,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def loaded(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_production_without_a_secret_key_refuses_to_start(tmp_path):
    result = load_settings(tmp_path, ARKID_ENV="production")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "ARKID_SECRET_KEY must be set" in result.stderr
    assert not (tmp_path / "var" / "secret_key").exists()


@pytest.mark.parametrize("weak", ["changeme", "django-insecure-" + "x" * 40, "short-key"])
def test_a_weak_secret_key_refuses_when_debug_is_off(tmp_path, weak):
    result = load_settings(tmp_path, ARKID_SECRET_KEY=weak)
    assert result.returncode != 0
    assert "ARKID_SECRET_KEY is a default or too short" in result.stderr
    assert weak not in result.stderr  # the error never echoes the key


def test_a_weak_secret_key_is_tolerated_in_debug(tmp_path):
    assert loaded(load_settings(tmp_path, ARKID_SECRET_KEY="changeme", ARKID_DEBUG="true"))["key"] == "changeme"


def test_production_with_a_strong_key_starts(tmp_path):
    values = loaded(load_settings(tmp_path, ARKID_ENV="production", ARKID_SECRET_KEY=STRONG_KEY))
    assert values["key"] == STRONG_KEY
    assert values["debug"] is False


def test_development_generates_a_private_key_once(tmp_path):
    first = loaded(load_settings(tmp_path))["key"]
    key_file = tmp_path / "var" / "secret_key"
    assert key_file.read_text().strip() == first
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert len(first) >= 50
    assert loaded(load_settings(tmp_path))["key"] == first


def test_values_can_come_from_files(tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text(STRONG_KEY + "\n")
    values = loaded(load_settings(tmp_path, ARKID_SECRET_KEY=f"file://{secret_file}"))
    assert values["key"] == STRONG_KEY


def test_typed_values_are_parsed_and_bad_ones_rejected(tmp_path):
    values = loaded(
        load_settings(tmp_path, ARKID_AUDIT_RETENTION_DAYS="30", ARKID_TRUSTED_PROXIES=" 10.0.0.0/8 , ,::1 ")
    )
    assert values["retention"] == 30
    assert values["proxies"] == ["10.0.0.0/8", "::1"]
    for name, value in [("ARKID_AUDIT_RETENTION_DAYS", "forever"), ("ARKID_DEBUG", "maybe")]:
        result = load_settings(tmp_path, **{name: value})
        assert result.returncode != 0
        assert name in result.stderr


def test_database_url_selects_the_engine(tmp_path):
    values = loaded(load_settings(tmp_path, ARKID_DATABASE_URL="postgres://u@127.0.0.1:5432/arkid"))
    assert values["db"] == "django.db.backends.postgresql"
    assert loaded(load_settings(tmp_path))["db"] == "django.db.backends.sqlite3"


def test_settings_local_overrides_and_is_applied_last(tmp_path):
    # A copy of the settings package: never leave a settings_local.py in the real tree.
    project = tmp_path / "project"
    shutil.copytree(ROOT / "arkid", project / "arkid", ignore=shutil.ignore_patterns("__pycache__"))
    (project / "settings_local.py").write_text("COMPANY_NAME = 'Local Co'\nAUDIT_RETENTION_DAYS = 7\n")
    values = loaded(load_settings(tmp_path, project_root=project, ARKID_AUDIT_RETENTION_DAYS="30"))
    assert values["company"] == "Local Co"
    assert values["retention"] == 7


def test_postgresql_connections_turn_jit_off_unless_asked(tmp_path):
    url = "postgres://arkid@db.example:5432/arkid"
    assert "-c jit=off" in loaded(load_settings(tmp_path, ARKID_DATABASE_URL=url))["db_options"]["options"]
    kept = loaded(load_settings(tmp_path, ARKID_DATABASE_URL=url, ARKID_DB_JIT="true"))["db_options"]
    assert "jit" not in kept.get("options", "")


def test_postgresql_planner_assumes_fast_storage_unless_told(tmp_path):
    url = "postgres://arkid@db.example:5432/arkid"
    options = loaded(load_settings(tmp_path, ARKID_DATABASE_URL=url))["db_options"]["options"]
    assert options == "-c jit=off -c random_page_cost=1.1"
    custom = loaded(load_settings(tmp_path, ARKID_DATABASE_URL=url, ARKID_DB_RANDOM_PAGE_COST="2"))["db_options"]
    assert custom["options"].endswith("-c random_page_cost=2")
    kept = loaded(load_settings(tmp_path, ARKID_DATABASE_URL=url, ARKID_DB_RANDOM_PAGE_COST="server"))["db_options"]
    assert "random_page_cost" not in kept["options"]
