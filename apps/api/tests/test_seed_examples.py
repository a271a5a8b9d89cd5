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


# --- app/: the manual's create_app script (LDAP and HTTP variants) and the HTTPie app list ---


def test_python_create_app_example_with_ldap_and_http(live_server, v1_admin):
    prefix = live_server.url

    # The manual's complete script, verbatim but for the host and its last lines (below).
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
    def post(*args, **kwargs):
        return requests.post(*args, **kwargs)

    def create_app(name, **kwargs):
        auth_protocols = []
        app = { 'name': name }

        if 'remark' in kwargs:
            app['remark'] = kwargs['remark']
        if 'index' in kwargs:
            app['index'] = kwargs['index']

        if 'ldap' in kwargs:
            app['ldap_app'] = {}
            auth_protocols.append('LDAP')
        if 'http' in kwargs:
            app['http_app'] = {}
            auth_protocols.append('HTTP')
        if 'oauth' in kwargs:
            app['oauth_app'] = kwargs['oauth']
            auth_protocols.append('OAuth2.0')

        if not auth_protocols:
            raise '至少指定一个验证协议!'  # noqa: B016 - the manual's line; never reached here
        else:
            app['auth_protocols'] = auth_protocols

        return post(f'{prefix}/siteapi/oneid/app/', json=app)
    # fmt: on

    # The manual passes oauth=...; OAuth 2.0 comes with the OIDC provider, so the LDAP and
    # HTTP variants of the same code path run here (docs/apps.md).
    app = create_app("your_app_name", remark="your_app_remark", index="your_app_index", ldap=True, http=True)

    assert app.status_code == 201, app.text
    body = app.json()
    assert body["uid"] == "yourappname"
    assert (body["name"], body["remark"], body["index"], body["logo"]) == (
        "your_app_name",
        "your_app_remark",
        "your_app_index",
        "",
    )
    assert isinstance(body["app_id"], int)
    assert body["allow_any_user"] is False
    assert body["oauth_app"] is None
    assert sorted(body["auth_protocols"]) == ["HTTP", "LDAP"]
    assert [item["key"] for item in body["http_app"]["more_detail"]] == ["login_url", "token_check_url"]
    assert "password" not in json.dumps(body["ldap_app"]).lower()
    assert body["access_perm"]["uid"] == "app_yourappname_access"

    only_ldap = create_app("ldap only", ldap=True)
    assert only_ldap.status_code == 201 and only_ldap.json()["auth_protocols"] == ["LDAP"]
    oauth = {
        "redirect_uris": "your_redirection_endpoint",
        "client_type": "public",
        "authorization_grant_type": "implicit",
    }
    refused = create_app("your_oauth_app", oauth=oauth)
    assert refused.status_code == 400 and "oauth_app" in refused.json()


def test_httpie_list_apps_finds_the_access_perm_uid(live_server, v1_admin, tmp_path):
    from apps.permissions.actions.apps import create_app

    create_app(actor=v1_admin, name="App One", uid="app1", protocols={"http_app": {}})
    create_app(actor=v1_admin, name="App Two", uid="app2", protocols={"ldap_app": {}})
    prefix = live_server.url
    token = httpie("POST", f"{prefix}/siteapi/oneid/ucenter/login/", "username=admin", "password=admin", home=tmp_path)[
        "token"
    ]

    apps = httpie("GET", f"{prefix}/siteapi/oneid/app/", f"Authorization:Token {token}", home=tmp_path)

    assert apps["count"] == 2
    assert [a["access_perm"]["uid"] for a in apps["results"]] == ["app_app1_access", "app_app2_access"]
