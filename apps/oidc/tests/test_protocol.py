"""The ``oauth_app`` protocol through the apps API: validation, secrets shown once, updates."""

from __future__ import annotations

import pytest

from apps.audit.models import Action, Event
from apps.oidc.models import Application

pytestmark = pytest.mark.django_db
URL = "/siteapi/v1/app/"


def create(admin_client, oauth, name="RP"):
    return admin_client.post(URL, {"name": name, "oauth_app": oauth}, format="json")


def test_create_shows_the_secret_once_and_stores_only_its_hash(admin_client):
    response = create(admin_client, {"redirect_uris": ["https://rp.example.com/cb"]})
    assert response.status_code == 201, response.content
    body = response.json()["oauth_app"]
    secret = body["client_secret"]
    assert len(secret) >= 64
    assert body["client_type"] == "confidential"
    assert {d["key"] for d in body["more_detail"]} >= {"issuer", "token_url", "jwks_url"}
    uid = response.json()["uid"]
    shown_again = admin_client.get(f"{URL}{uid}/").json()["oauth_app"]
    assert "client_secret" not in shown_again
    assert shown_again["client_id"] == body["client_id"]
    stored = Application.objects.get(client_id=body["client_id"])
    assert secret not in stored.client_secret
    assert Event.objects.filter(action=Action.OAUTH_CLIENT_SECRET_ISSUED).count() == 1


def test_rotation_issues_a_new_secret(admin_client):
    created = create(admin_client, {"redirect_uris": ["https://rp.example.com/cb"]}).json()
    uid = created["uid"]
    oauth = {"redirect_uris": ["https://rp.example.com/cb"], "rotate_secret": True}
    rotated = admin_client.patch(f"{URL}{uid}/", {"oauth_app": oauth}, format="json").json()["oauth_app"]
    assert rotated["client_secret"] != created["oauth_app"]["client_secret"]
    assert rotated["client_id"] == created["oauth_app"]["client_id"]
    unchanged = admin_client.patch(
        f"{URL}{uid}/", {"oauth_app": {"redirect_uris": ["https://rp.example.com/other"]}}, format="json"
    )
    assert "client_secret" not in unchanged.json()["oauth_app"]
    assert Application.objects.get().redirect_uris == "https://rp.example.com/other"


@pytest.mark.parametrize(
    ("oauth", "message"),
    [
        ({"redirect_uris": ["ftp://x"]}, "not an http(s) URL"),
        ({"redirect_uris": ["https://x.example.com/#frag"]}, "fragment"),
        ({}, "at least one redirect URI"),
        ({"redirect_uris": ["https://x.example.com"], "algorithm": "HS256"}, "algorithm"),
        ({"redirect_uris": ["https://x.example.com"], "grant_types": ["magic"]}, "grant_types"),
        ({"client_type": "public", "grant_types": ["client_credentials"]}, "public client"),
        ({"redirect_uris": ["https://x.example.com"], "surprise": 1}, "Unknown key"),
        ("not an object", "Must be an object"),
    ],
)
def test_bad_configurations_are_400_by_field(admin_client, oauth, message):
    response = create(admin_client, oauth)
    assert response.status_code == 400
    assert message in response.json()["oauth_app"][0]
    assert not Application.objects.exists()


def test_public_client_has_no_secret(admin_client):
    body = create(admin_client, {"client_type": "public", "redirect_uris": ["https://spa.example.com/cb"]}).json()
    assert "client_secret" not in body["oauth_app"]
    assert Application.objects.get().client_secret == ""


def test_removing_the_protocol_or_the_app_deletes_the_client(admin_client):
    uid = create(admin_client, {"redirect_uris": ["https://rp.example.com/cb"]}).json()["uid"]
    admin_client.patch(f"{URL}{uid}/", {"oauth_app": None}, format="json")
    assert not Application.objects.exists()
    uid = create(admin_client, {"redirect_uris": ["https://rp.example.com/cb"]}, name="Again").json()["uid"]
    assert admin_client.delete(f"{URL}{uid}/").status_code == 204
    assert not Application.objects.exists()


def test_oidc_app_is_served_by_oauth_app(admin_client):
    body = {"name": "V1", "oauth_app": {"redirect_uris": ["https://rp.example.com/cb"]}, "oidc_app": None}
    response = admin_client.post(URL, body, format="json")
    assert response.status_code == 201
    assert response.json()["oidc_app"] is None
    refused = admin_client.post(URL, {"name": "V1b", "oidc_app": {}}, format="json")
    assert refused.status_code == 400
    assert "oauth_app" in refused.json()["oidc_app"][0]
