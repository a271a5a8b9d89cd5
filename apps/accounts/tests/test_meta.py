from __future__ import annotations

import pytest

from apps.directory.models import Organization

pytestmark = pytest.mark.django_db

META_URL = "/siteapi/oneid/meta/"


def test_meta_is_public_and_has_defaults(api_client):
    response = api_client.get(META_URL)

    assert response.status_code == 200
    body = response.json()
    assert body["company_config"]["name_cn"] == "ArkID"
    assert body["ding_config"] == {}
    assert body["account_config"]["support_email"] is False
    assert body["account_config"]["support_mobile"] is False
    assert body["account_config"]["support_register"] is False
    assert not any(body["account_config"].values())
    assert not Organization.objects.exists()  # a public read creates nothing


def test_meta_reflects_the_organization(api_client):
    Organization.objects.create(
        pk=1,
        name="龙归科技",
        fullname="北京龙归科技有限公司",
        name_en="Longgui",
        fullname_en="Longgui Technology",
        icon="logo.png",
        color="123456",
        address="Beijing",
        domain="example.org",
    )

    company = api_client.get(META_URL).json()["company_config"]

    assert company == {
        "name_cn": "龙归科技",
        "fullname_cn": "北京龙归科技有限公司",
        "name_en": "Longgui",
        "fullname_en": "Longgui Technology",
        "icon": "logo.png",
        "color": "123456",
        "address": "Beijing",
        "domain": "example.org",
    }


def test_meta_ignores_a_bad_token(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)

    assert api_client.get(META_URL).status_code == 200


def test_meta_contains_no_secret_looking_keys(api_client):
    def keys(value):
        if isinstance(value, dict):
            for key, inner in value.items():
                yield key
                yield from keys(inner)

    for key in keys(api_client.get(META_URL).json()):
        assert not any(word in key for word in ("secret", "password", "token", "private"))
