"""Settings › LDAP (server facts, service accounts with a secret shown once) and OIDC keys."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.hashers import check_password

from apps.audit.models import Action, Event
from apps.ldap_server.models import ServiceAccount
from apps.oidc import keys
from apps.oidc.models import SigningKey
from apps.permissions.actions.manager_groups import create_manager_group
from apps.permissions.models import AppProtocol, Permission

from .conftest import sign_in

pytestmark = pytest.mark.django_db


def _secret(html: str) -> str:
    match = re.search(r'<code class="copy" id="issued-secret">([^<]+)</code>', html)
    assert match, "no secret shown"
    return match.group(1)


def test_server_facts_with_copy_buttons(admin_web, settings):
    settings.LDAP_URL, settings.LDAP_BASE_DN = "ldaps://ldap.example.org:636", "dc=acme,dc=cn"
    html = admin_web.get("/console/config/ldap/").content.decode()
    assert '<code class="copy" id="ldap-url">ldaps://ldap.example.org:636</code>' in html
    assert 'data-copy="#ldap-base-dn"' in html and "ou=people,dc=acme,dc=cn" in html


def test_create_shows_the_secret_once_and_stores_only_a_hash(admin_web, world, settings):
    response = admin_web.post("/console/config/ldap/service-accounts/", {"app": "wiki", "access_holders_only": "on"})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    html = response.content.decode()
    secret = _secret(html)
    assert f"cn=wiki,ou=apps,{settings.LDAP_BASE_DN}" in html
    account = ServiceAccount.objects.get(app=world["wiki"])
    assert check_password(secret, account.secret_hash) and account.secret_hash != secret
    assert account.access_holders_only
    assert AppProtocol.objects.filter(app=world["wiki"], name="ldap_app").exists()
    assert Event.objects.filter(action=Action.LDAP_SECRET_ISSUED, target_id=str(world["wiki"].pk)).count() == 1

    listing = admin_web.get("/console/config/ldap/").content.decode()
    assert secret not in listing and 'data-app="wiki"' in listing
    assert "Users allowed to use the app" in listing


def test_create_errors_inline(admin_web, world):
    response = admin_web.post("/console/config/ldap/service-accounts/", {"app": "nope"})
    assert response.status_code == 400
    assert 'id="id_app-errors"' in response.content.decode()
    admin_web.post("/console/config/ldap/service-accounts/", {"app": "wiki"})
    response = admin_web.post("/console/config/ldap/service-accounts/", {"app": "wiki"})
    assert response.status_code == 400 and "already has a service account" in response.content.decode()
    assert ServiceAccount.objects.count() == 1


def test_rotate_issues_a_new_secret_and_the_old_one_stops_working(admin_web, world):
    first = _secret(admin_web.post("/console/config/ldap/service-accounts/", {"app": "wiki"}).content.decode())
    response = admin_web.post("/console/config/ldap/service-accounts/wiki/rotate/")
    second = _secret(response.content.decode())
    account = ServiceAccount.objects.get(app=world["wiki"])
    assert second != first and check_password(second, account.secret_hash)
    assert not check_password(first, account.secret_hash)
    assert Event.objects.filter(action=Action.LDAP_SECRET_ISSUED).count() == 2


def test_delete_removes_the_account_and_the_protocol_audited(admin_web, world):
    admin_web.post("/console/config/ldap/service-accounts/", {"app": "wiki"})
    response = admin_web.post("/console/config/ldap/service-accounts/wiki/delete/")
    assert response.status_code == 302
    assert not ServiceAccount.objects.exists()
    assert not AppProtocol.objects.filter(app=world["wiki"], name="ldap_app").exists()
    event = Event.objects.filter(action=Action.APP_UPDATED, target_id=str(world["wiki"].pk)).latest("id")
    assert "protocols" in event.changes


def test_unknown_account_is_404(admin_web, world):
    assert admin_web.post("/console/config/ldap/service-accounts/wiki/rotate/").status_code == 404
    assert admin_web.post("/console/config/ldap/service-accounts/nope/delete/").status_code == 404
    assert admin_web.get("/console/config/ldap/service-accounts/wiki/rotate/").status_code == 405


def test_list_is_searched_sorted_and_paged(admin_web, world):
    from apps.permissions.actions.apps import create_app

    for i in range(25):
        create_app(actor=world["admin"], name=f"Tool {i:02d}", uid=f"tool-{i:02d}", protocols={"ldap_app": {}})
    page = admin_web.get("/console/config/ldap/", {"sort": "-app"}).context["page"]
    assert page.paginator.count == 25 and len(page.object_list) == 20
    assert page.object_list[0].app.uid == "tool-24"
    found = admin_web.get("/console/config/ldap/", {"q": "tool-07"}).context["page"]
    assert [a.app.uid for a in found.object_list] == ["tool-07"]
    assert admin_web.get("/console/config/ldap/", {"sort": "secret_hash"}).status_code == 200  # unknown: default


def test_a_sub_admin_with_the_settings_power_stays_within_their_apps(world):
    create_manager_group(
        actor=world["admin"],
        name="Wiki admins",
        uid="wiki-admins",
        member_users=[world["erin"]],
        perms=list(Permission.objects.filter(uid="system_config_write")),
        apps=[world["wiki"]],
    )
    from apps.permissions.actions.apps import update_app

    update_app(world["secret"], actor=world["admin"], fields={}, protocols={"ldap_app": {}})
    web = sign_in("erin")
    assert 'data-app="secret"' not in web.get("/console/config/ldap/").content.decode()
    assert web.post("/console/config/ldap/service-accounts/secret/rotate/").status_code == 404
    assert web.post("/console/config/ldap/service-accounts/secret/delete/").status_code == 404
    response = web.post("/console/config/ldap/service-accounts/", {"app": "secret"})
    assert response.status_code == 400 and "No app you manage has this uid." in response.content.decode()
    assert web.post("/console/config/ldap/service-accounts/", {"app": "wiki"}).status_code == 200
    assert ServiceAccount.objects.filter(app=world["wiki"]).exists()


# OIDC signing keys


@pytest.fixture(autouse=True)
def _fresh_key_cache():
    keys.forget_cached()  # the process-wide active-key cache outlives each test's rows
    yield
    keys.forget_cached()


def test_keys_listed_without_private_material(admin_web):
    keys.active_key("RS256")
    keys.active_key("ES256")
    html = admin_web.get("/console/config/oidc-keys/").content.decode()
    for row in SigningKey.objects.all():
        assert f'data-kid="{row.kid}" data-state="active"' in html
    assert "PRIVATE KEY" not in html


def test_rotate_retires_the_old_keys_and_is_audited(admin_web, world):
    old = keys.active_key("RS256").kid
    assert admin_web.post("/console/config/oidc-keys/rotate/").status_code == 302
    assert SigningKey.objects.get(kid=old).retired is not None
    assert SigningKey.objects.filter(retired__isnull=True).count() == 2  # RS256 and ES256
    event = Event.objects.get(action=Action.OAUTH_KEYS_ROTATED)
    assert event.actor == world["admin"] and event.detail["retired"] == 1
    response = admin_web.get("/console/config/oidc-keys/")
    html = response.content.decode()
    assert f'data-kid="{old}" data-state="retiring"' in html
    assert [k["state"] for k in response.context["keys"]] == ["active", "active", "retiring"]  # active first
    assert old in keys.jwks().__repr__()  # still published


def test_a_long_retired_key_shows_as_expired(admin_web):
    import datetime as dt

    from django.utils import timezone

    old = keys.create_key("RS256")
    SigningKey.objects.filter(pk=old.pk).update(retired=timezone.now() - dt.timedelta(days=30))
    html = admin_web.get("/console/config/oidc-keys/").content.decode()
    assert f'data-kid="{old.kid}" data-state="expired"' in html


def test_service_account_list_query_count_does_not_grow_with_rows(admin_web, world, django_assert_max_num_queries):
    from apps.permissions.actions.apps import create_app

    for i in range(3):
        create_app(actor=world["admin"], name=f"Few {i}", uid=f"few-{i}", protocols={"ldap_app": {}})
    with django_assert_max_num_queries(40) as few:
        admin_web.get("/console/config/ldap/")
    for i in range(20):
        create_app(actor=world["admin"], name=f"More {i}", uid=f"more-{i}", protocols={"ldap_app": {}})
    with django_assert_max_num_queries(len(few.captured_queries)):
        admin_web.get("/console/config/ldap/")  # 20 rows on the page: still one query for them
