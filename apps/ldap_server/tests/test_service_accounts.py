"""The ldap_app protocol through the apps API: a bind DN and a secret shown once, hashed at rest."""

from __future__ import annotations

import pytest

from apps.ldap_server.models import ServiceAccount

URL = "/siteapi/oneid/app/"


@pytest.mark.django_db
def test_secret_is_shown_once_and_stored_hashed(admin_client, settings):
    settings.LDAP_BASE_DN = "dc=corp,dc=example"
    response = admin_client.post(URL, {"name": "Git", "uid": "git", "ldap_app": {}}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    secret = body["ldap_app"]["secret"]
    assert body["ldap_app"]["bind_dn"] == "cn=git,ou=apps,dc=corp,dc=example"
    account = ServiceAccount.objects.get(app__uid="git")
    assert len(secret) >= 32 and secret not in account.secret_hash
    assert account.secret_hash.startswith(("argon2", "md5", "pbkdf2"))
    detail = admin_client.get(f"{URL}git/").json()
    assert detail["ldap_app"]["bind_dn"] == "cn=git,ou=apps,dc=corp,dc=example"
    assert "secret" not in repr(detail["ldap_app"]).lower()


@pytest.mark.django_db
def test_bad_options_are_a_field_error(admin_client):
    response = admin_client.post(URL, {"name": "Git", "ldap_app": {"access_holders_only": "yes"}}, format="json")
    assert response.status_code == 400
    assert "ldap_app" in response.content.decode()


@pytest.mark.django_db
def test_removing_the_protocol_removes_the_account(admin_client):
    admin_client.post(URL, {"name": "Git", "uid": "git", "ldap_app": {}}, format="json")
    response = admin_client.patch(f"{URL}git/", {"ldap_app": None}, format="json")
    assert response.status_code == 200, response.content
    assert not ServiceAccount.objects.filter(app__uid="git").exists()
