from __future__ import annotations

import pytest
from django.db import connection

from apps.accounts.models import ApiToken, digest
from apps.accounts.tests.conftest import LOGIN_URL, PASSWORD, events, token_client
from apps.audit.models import Action, Outcome
from apps.directory.models import Origin
from apps.directory.tests.factories import create_test_user

pytestmark = pytest.mark.django_db

GENERIC_ERROR = {"detail": "Invalid username or password.", "code": "invalid_credentials"}


def test_login_returns_v1_shape_and_a_working_token(login, user):
    response = login("alice", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {
        "token", "user_id", "uuid", "username", "name", "email", "mobile", "employee_number", "gender", "avatar",
        "private_email", "position", "perms", "roles", "is_settled", "is_manager", "is_admin", "origin_verbose",
        "require_reset_password", "has_password",
    }  # fmt: skip
    assert body["user_id"] == user.pk
    assert body["uuid"] == str(user.uuid)
    assert body["username"] == "alice"
    assert body["perms"] == [] and body["roles"] == []
    assert body["is_admin"] is False and body["is_manager"] is False
    assert body["is_settled"] is True  # this login made the account active
    assert body["require_reset_password"] is False and body["has_password"] is True
    assert body["origin_verbose"] == "Added by an administrator"
    me = token_client(body["token"]).get("/siteapi/oneid/ucenter/tokens/")
    assert me.status_code == 200


def test_admin_login_has_admin_perms_and_v1_origin_label(login):
    create_test_user("root", is_admin=True, origin=Origin.SCRIPT)

    body = login("root", HTTP_ACCEPT_LANGUAGE="zh-hans").json()

    assert body["perms"] == ["system_oneid_all"]
    assert body["roles"] == ["admin"]
    assert body["is_admin"] is True
    assert body["origin_verbose"] == "脚本添加"


def test_login_accepts_form_data(api_client, user):
    response = api_client.post(LOGIN_URL, {"username": "alice", "password": PASSWORD})

    assert response.status_code == 200


def test_login_by_email_private_email_and_mobile(login):
    create_test_user("bob", email="Bob@Corp.example", private_email="bob@home.example", mobile="+8618812345678")

    for identifier in ("bob@corp.example", "BOB@HOME.EXAMPLE", "188 1234 5678", "+86 188-1234-5678"):
        response = login(identifier)
        assert response.status_code == 200, identifier
        assert response.json()["username"] == "bob"


def test_each_login_issues_a_new_token_stored_only_as_digest(login, user):
    first = login("alice").json()["token"]
    second = login("alice").json()["token"]

    assert first != second
    tokens = ApiToken.objects.filter(user=user)
    assert tokens.count() == 2
    assert {t.key_digest for t in tokens} == {digest(first), digest(second)}
    assert {t.prefix for t in tokens} == {first[:8], second[:8]}
    for raw in (first, second):
        assert token_client(raw).get("/siteapi/oneid/ucenter/tokens/").status_code == 200


def test_raw_token_is_nowhere_in_the_database(login, user):
    raw = login("alice").json()["token"]

    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            columns = [c.name for c in connection.introspection.get_table_description(cursor, table)]
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted}")  # noqa: S608 - table names come from introspection
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    assert raw not in str(value), f"raw token found in {table}.{column}"


def test_token_gets_expiry_ip_and_user_agent(login, user, settings):
    settings.API_TOKEN_LIFETIME = 3600
    login("alice", HTTP_USER_AGENT="pytest-agent/1.0", REMOTE_ADDR="198.51.100.7")

    token = ApiToken.objects.get(user=user)
    assert token.ip == "198.51.100.7"
    assert token.user_agent == "pytest-agent/1.0"
    assert 3590 <= (token.expires - token.created).total_seconds() <= 3610


@pytest.mark.parametrize(
    ("identifier", "password", "reason"),
    [
        ("alice", "wrong-password", "bad_password"),
        ("nobody", PASSWORD, "unknown_user"),
        ("carol", PASSWORD, "inactive"),
    ],
)
def test_failures_give_one_generic_error_and_are_audited(login, user, identifier, password, reason):
    create_test_user("carol", is_active=False)

    response = login(identifier, password)

    assert response.status_code == 400
    assert response.json() == GENERIC_ERROR
    assert not ApiToken.objects.exists()
    [event] = events(Action.LOGIN_FAILED)
    assert event.outcome == Outcome.FAILURE
    if identifier == "nobody":  # no such account: maybe a mistyped password, so only a fingerprint is kept
        assert event.detail["identifier"].startswith("unknown:") and identifier not in str(event.detail)
    else:
        assert event.detail["identifier"] == identifier
    assert event.detail["reason"] == reason
    assert password not in str(event.detail) and password not in str(event.changes)
    assert not events(Action.LOGIN_SUCCEEDED)


def test_missing_fields_are_field_errors(api_client):
    response = api_client.post(LOGIN_URL, {}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"username", "password"}


def test_login_ignores_a_stale_token_header(api_client, user):
    api_client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)

    response = api_client.post(LOGIN_URL, {"username": "alice", "password": PASSWORD}, format="json")

    assert response.status_code == 200


def test_success_is_audited_and_updates_last_active(login, user):
    assert user.last_active_time is None

    login("alice")

    user.refresh_from_db()
    assert user.last_active_time is not None
    [succeeded] = events(Action.LOGIN_SUCCEEDED)
    assert succeeded.actor_id == user.pk
    [issued] = events(Action.TOKEN_ISSUED)
    token = ApiToken.objects.get(user=user)
    assert issued.target_id == str(token.pk)
    assert issued.detail["prefix"] == token.prefix


def test_audit_ip_honours_forwarded_for_only_from_trusted_proxy(login, user, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]

    login("alice", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.9")
    login("alice", REMOTE_ADDR="198.51.100.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    login("alice", "bad-password", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.10")

    assert [e.ip for e in events(Action.LOGIN_SUCCEEDED)] == ["203.0.113.9", "198.51.100.1"]
    assert [e.ip for e in events(Action.LOGIN_FAILED)] == ["203.0.113.10"]
    assert sorted(ApiToken.objects.values_list("ip", flat=True)) == ["198.51.100.1", "203.0.113.9"]


def test_login_response_contributors_extend_the_body(login, user, monkeypatch):
    from apps.accounts import login_response

    monkeypatch.setattr(
        login_response,
        "login_response_contributors",
        [lambda u: {"perms": ["app_demo_access"], "extra": u.username}],
    )

    body = login("alice").json()

    assert body["perms"] == ["app_demo_access"]
    assert body["extra"] == "alice"


def test_username_is_case_insensitive(login, user):
    assert login("  ALICE ").json()["username"] == "alice"


def test_identifier_naming_two_accounts_is_refused(login):
    create_test_user("13912345678")
    create_test_user("gina", mobile="+8613912345678")

    response = login("13912345678")

    assert response.status_code == 400
    assert response.json() == GENERIC_ERROR


def test_error_follows_the_request_language(login, user):
    response = login("alice", "wrong-password", HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.json() == {"detail": "用户名或密码错误。", "code": "invalid_credentials"}


def test_login_is_rate_limited_per_client_ip_not_per_forged_header(api_client, user, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"credentials": "3/minute"},
    }
    url = "/siteapi/oneid/ucenter/login/"
    for n in range(3):
        forged = {"HTTP_X_FORWARDED_FOR": f"10.0.0.{n}"}  # REMOTE_ADDR is no trusted proxy: ignored
        assert api_client.post(url, {"username": "alice", "password": "wrong"}, **forged).status_code == 400
    response = api_client.post(url, {"username": "alice", "password": "Passw0rd!x"}, HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert response.status_code == 429
    assert "Retry-After" in response
    other = api_client.post(url, {"username": "alice", "password": "Passw0rd!x"}, REMOTE_ADDR="192.0.2.7")
    assert other.status_code == 200
