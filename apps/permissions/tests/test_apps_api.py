"""The admin app API: app/ and app/<uid>/ under both prefixes, v1 shapes and every error path."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from apps.audit.models import Action, Event
from apps.permissions import protocols
from apps.permissions.models import App, AppProtocol, Permission

pytestmark = pytest.mark.django_db

URL = "/siteapi/oneid/app/"


@pytest.fixture(autouse=True)
def english_messages(settings):
    settings.LANGUAGE_CODE = "en"
    settings.BASE_URL = "https://arkid.example.org"


@pytest.fixture(autouse=True)
def fresh_cache():
    # Test databases reuse ids after a rollback; cached results must not leak between tests.
    cache.clear()


def create(client, **body):
    response = client.post(URL, body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_post_returns_the_v1_body_with_protocol_details(admin_client):
    body = create(
        admin_client,
        name="your_app_name",
        remark="your_app_remark",
        index="your_app_index",
        ldap_app={},
        http_app={},
        auth_protocols=["LDAP", "HTTP"],
    )
    assert body["uid"] == "yourappname"
    assert body["app_id"] == App.objects.get().pk
    assert (body["name"], body["remark"], body["index"], body["logo"]) == (
        "your_app_name",
        "your_app_remark",
        "your_app_index",
        "",
    )
    assert body["allow_any_user"] is False
    assert body["access_perm"] == {"uid": "app_yourappname_access", "name": "your_app_name"}
    assert body["auth_protocols"] == ["HTTP", "LDAP"]
    assert body["oauth_app"] is None
    assert [d["key"] for d in body["http_app"]["more_detail"]] == ["login_url", "token_check_url"]
    assert [d["key"] for d in body["ldap_app"]["more_detail"]] == ["host", "base_dn", "user_base_dn", "uid_attribute"]
    assert "password" not in repr(body["ldap_app"]).lower()


def test_list_items_have_the_same_shape_and_filter_by_name(admin_client):
    create(admin_client, name="Team Wiki", uid="wiki", http_app={})
    create(admin_client, name="Mail", uid="mail", allow_any_user=True)
    listed = admin_client.get(URL).json()
    assert listed["count"] == 2
    assert [a["uid"] for a in listed["results"]] == ["wiki", "mail"]
    assert listed["results"][0] == admin_client.get(f"{URL}wiki/").json()
    assert listed["results"][1]["auth_protocols"] == []
    found = admin_client.get(URL, {"name": "wIKi"}).json()
    assert [a["uid"] for a in found["results"]] == ["wiki"]


def test_list_is_paginated_with_a_constant_number_of_queries(admin_client, django_assert_max_num_queries):
    for n in range(25):
        create(admin_client, name=f"App {n}", http_app={}, ldap_app={})
    with django_assert_max_num_queries(8):
        page = admin_client.get(URL, {"page_size": 20}).json()
    assert page["count"] == 25 and len(page["results"]) == 20 and page["next"]
    assert admin_client.get(URL, {"page": 9}).status_code == 404


def test_both_prefixes_serve_the_api(admin_client):
    create(admin_client, name="Wiki", uid="wiki")
    assert admin_client.get("/siteapi/v1/app/wiki/").status_code == 200


def test_form_encoded_post_works_like_v1(admin_client):
    response = admin_client.post(
        URL,
        {"name": "Form app", "uid": "form", "allow_any_user": "true", "auth_protocols": ["HTTP"], "http_app": ""},
    )
    assert response.status_code == 201, response.content
    assert response.json()["allow_any_user"] is True
    assert response.json()["auth_protocols"] == ["HTTP"]


def test_v1_oauth_app_creates_a_client(admin_client):
    oauth = {
        "redirect_uris": "https://rp.example.org/cb",
        "client_type": "public",
        "authorization_grant_type": "implicit",
    }
    response = admin_client.post(URL, {"name": "RP", "oauth_app": oauth, "auth_protocols": ["OAuth2.0"]}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["oauth_app"]["client_id"]
    assert body["oauth_app"]["allow_implicit"] is True
    assert body["oauth_app"]["client_type"] == "public"
    # The API answers with the SAML 400 the OAuth protocol had before it existed.
    response = admin_client.post(URL, {"name": "S", "saml_app": {}}, format="json")
    assert response.status_code == 400
    assert "SAML is not available yet" in response.json()["saml_app"][0]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": 3}, "name"),
        ({"name": "A", "uid": "Bad_Uid"}, "uid"),
        ({"name": "A", "allow_any_user": "maybe"}, "allow_any_user"),
        ({"name": "A", "auth_protocols": "LDAP"}, "auth_protocols"),
        ({"name": "A", "ldap_app": []}, "ldap_app"),
        ({"name": "A", "saml_app": {}}, "saml_app"),
        ({"name": "A", "remark": "x" * 10001}, "remark"),
    ],
)
def test_bad_input_is_400_with_the_field(admin_client, body, field):
    response = admin_client.post(URL, body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_a_list_body_is_400(admin_client):
    assert admin_client.post(URL, [1, 2], format="json").status_code == 400


def test_duplicate_uid_is_409(admin_client):
    create(admin_client, name="Wiki", uid="wiki")
    response = admin_client.post(URL, {"name": "Other", "uid": "wiki"}, format="json")
    assert response.status_code == 409
    assert response.json()["uid"] and response.json()["code"] == "exists"


def test_patch_changes_fields_and_protocols(admin_client):
    create(admin_client, name="Wiki", uid="wiki", http_app={})
    response = admin_client.patch(
        f"{URL}wiki/", {"remark": "new", "allow_any_user": True, "http_app": None, "ldap_app": {}}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["remark"], body["allow_any_user"], body["auth_protocols"]) == ("new", True, ["LDAP"])
    assert body["http_app"] is None
    assert Event.objects.filter(action=Action.APP_UPDATED).count() == 1


def test_patch_errors(admin_client):
    create(admin_client, name="Wiki", uid="wiki")
    assert admin_client.patch(f"{URL}wiki/", {"uid": "other"}, format="json").status_code == 400
    assert admin_client.patch(f"{URL}wiki/", {"name": ""}, format="json").status_code == 400
    assert admin_client.patch(f"{URL}wiki/", {"oauth_app": {}}, format="json").status_code == 400
    assert admin_client.patch(f"{URL}nope/", {"name": "x"}, format="json").status_code == 404


def test_delete_removes_the_app_and_its_permissions(admin_client):
    create(admin_client, name="Wiki", uid="wiki", http_app={})
    assert admin_client.delete(f"{URL}wiki/").status_code == 204
    assert admin_client.get(f"{URL}wiki/").status_code == 404
    assert admin_client.delete(f"{URL}wiki/").status_code == 404
    assert not Permission.objects.filter(uid__startswith="app_wiki_").exists()
    assert not AppProtocol.objects.exists()


def test_unknown_app_is_404(admin_client):
    assert admin_client.get(f"{URL}nope/").status_code == 404


def test_non_admins_get_403_and_anonymous_401(user_client, admin_client):
    create(admin_client, name="Wiki", uid="wiki")
    for method, url in (
        ("get", URL),
        ("post", URL),
        ("get", f"{URL}wiki/"),
        ("patch", f"{URL}wiki/"),
        ("delete", f"{URL}wiki/"),
    ):
        assert getattr(user_client, method)(url, {}, format="json").status_code == 403
        assert getattr(APIClient(), method)(url, {}, format="json").status_code == 401
    assert App.objects.filter(uid="wiki").exists()


class SecretIssuingProtocol(protocols.ProtocolHandler):
    name = "test_app"
    label = "TEST"

    def apply(self, app, cleaned, *, actor):
        super().apply(app, {"client_id": "cid-1"}, actor=actor)
        return {"client_secret": "s3cr3t-shown-once"}


def test_secrets_are_in_the_create_response_only(admin_client):
    protocols.register(SecretIssuingProtocol())
    try:
        body = create(admin_client, name="RP", uid="rp", test_app={})
        assert body["test_app"]["client_secret"] == "s3cr3t-shown-once"
        assert body["test_app"]["client_id"] == "cid-1"
        again = admin_client.get(f"{URL}rp/").json()
        assert again["test_app"] == {"client_id": "cid-1", "more_detail": []}
        listed = admin_client.get(URL).content.decode()
        assert "s3cr3t" not in listed
    finally:
        protocols.unregister("test_app")
