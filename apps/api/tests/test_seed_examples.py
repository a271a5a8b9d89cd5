"""ArkID v1's manual (seed 004, "使用 HTTP API 接口") must keep working: its HTTPie and
Python examples run here verbatim, with real clients against a real server, only the host
replaced. The app/ and perm/ steps of those examples belong to the permissions issue and are
exercised there."""

# ruff: noqa: S113 - the manual's code is kept verbatim, and it passes no timeout
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
import requests

from apps.directory.tests.factories import create_test_user

pytestmark = pytest.mark.django_db(transaction=True)

HTTP = os.path.join(os.path.dirname(sys.executable), "http")


@pytest.fixture
def v1_admin(db):
    # The manual's admin/admin. Created directly: a configured admin password is validated
    # by ensure_admin, and the bootstrap default must be changed first (tested below).
    return create_test_user("admin", password="admin", is_admin=True)


def httpie(*args: str, home) -> dict:
    """Run the HTTPie command line as a user would, returning the JSON it printed."""
    assert shutil.which(HTTP), "httpie is a dev requirement"
    result = subprocess.run(  # noqa: S603 - fixed executable, arguments from the test
        [HTTP, "--ignore-stdin", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "HTTPIE_CONFIG_DIR": str(home)},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_httpie_login_then_list_users(live_server, v1_admin, tmp_path):
    create_test_user("user1", name="用户一")
    prefix = live_server.url

    login = httpie("POST", f"{prefix}/siteapi/oneid/ucenter/login/", "username=admin", "password=admin", home=tmp_path)

    assert login["username"] == "admin"
    assert login["is_admin"] is True
    assert "admin" in login["roles"]
    assert "system_oneid_all" in login["perms"]
    for key in (
        "avatar",
        "email",
        "employee_number",
        "gender",
        "is_manager",
        "is_settled",
        "mobile",
        "name",
        "origin_verbose",
        "position",
        "private_email",
        "user_id",
        "uuid",
    ):
        assert key in login
    token = login["token"]

    users = httpie("GET", f"{prefix}/siteapi/oneid/user/", f"Authorization:Token {token}", home=tmp_path)

    assert {u["username"] for u in users["results"]} == {"admin", "user1"}


def test_python_requests_example_login_decorator(live_server, v1_admin):
    prefix = live_server.url

    # The manual's code, verbatim but for the host (and GET instead of its app/ POST).
    # fmt: off
    def login(username, password):
        rsp = requests.post(f'{prefix}/siteapi/oneid/ucenter/login/', \
                            json={'username': username, 'password': password})
        token = rsp.json()['token']

        def withuser(method):
            def wrap(*args, **kwargs):
                if 'headers' not in kwargs:
                    kwargs['headers'] = { 'AUTHORIZATION': f'Token {token}' }
                else:
                    kwargs['headers']['AUTHORIZATION'] = f'Token {token}'
                return method(*args, **kwargs)
            return wrap
        return withuser

    @login('admin', 'admin')
    def get(*args, **kwargs):
        return requests.get(*args, **kwargs)
    # fmt: on

    response = get(f"{prefix}/siteapi/oneid/user/", timeout=30)

    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_bootstrap_admin_must_change_the_default_password_first(live_server, settings):
    from django.core.management import call_command

    settings.ADMIN_PASSWORD = None
    call_command("ensure_admin", stdout=open(os.devnull, "w"))  # noqa: SIM115 - discarded output
    prefix = live_server.url

    login = requests.post(
        f"{prefix}/siteapi/oneid/ucenter/login/", json={"username": "admin", "password": "admin"}, timeout=30
    ).json()
    assert login["require_reset_password"] is True
    headers = {"Authorization": f"Token {login['token']}"}
    held = requests.get(f"{prefix}/siteapi/oneid/user/", headers=headers, timeout=30)
    assert held.status_code == 403
    assert held.json()["code"] == "password_change_required"

    changed = requests.patch(
        f"{prefix}/siteapi/oneid/ucenter/password/",
        headers=headers,
        timeout=30,
        json={"old_password": "admin", "new_password": "Ark!d-First-Admin-2026"},
    )
    assert changed.status_code == 200, changed.text
    fresh = {"Authorization": f"Token {changed.json()['token']}"}
    assert requests.get(f"{prefix}/siteapi/oneid/user/", headers=fresh, timeout=30).status_code == 200
    assert requests.get(f"{prefix}/siteapi/oneid/user/", headers=headers, timeout=30).status_code == 401
