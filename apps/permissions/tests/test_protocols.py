"""The protocol registry: which handlers exist, what they accept and what they show."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError

from apps.permissions import protocols
from apps.permissions.actions.apps import create_app
from apps.permissions.models import AppProtocol


@pytest.fixture(autouse=True)
def english_messages(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def fresh_cache():
    # Test databases reuse ids after a rollback; cached results must not leak between tests.
    cache.clear()


def test_oauth_is_registered_by_the_oidc_app_and_saml_is_marked_unavailable():
    assert set(protocols.registry) == {"ldap_app", "http_app", "oauth_app"}
    assert protocols.handler_for("oauth_app").label == "OAuth2.0"
    assert "SAML is not available yet" in str(protocols.UNAVAILABLE["saml_app"])
    assert protocols.known_names()[:3] == ["oauth_app", "http_app", "ldap_app"]


@pytest.mark.parametrize("name", ["ldap_app", "http_app"])
def test_marker_protocols_take_an_empty_object_or_null(name):
    handler = protocols.handler_for(name)
    assert handler.validate({}) == {}
    assert handler.validate(None) == {}
    # Unknown keys are dropped, not stored: these protocols have nothing to configure.
    assert handler.validate({"anything": 1}) == {}


@pytest.mark.parametrize("bad", [[], "x", 3, True])
def test_a_sub_object_must_be_an_object(bad):
    with pytest.raises(ValidationError):
        protocols.handler_for("ldap_app").validate(bad)


@pytest.mark.django_db
def test_http_more_detail_points_at_the_login_and_token_check_urls(admin_user, settings):
    settings.BASE_URL = "https://arkid.example.org"
    app, _ = create_app(actor=admin_user, name="Wiki", protocols={"http_app": {}})
    detail = protocols.handler_for("http_app").detail(app, {})
    assert detail["more_detail"] == [
        {"name": "Login URL", "key": "login_url", "value": "https://arkid.example.org/siteapi/v1/ucenter/login/"},
        {
            "name": "Token check URL",
            "key": "token_check_url",
            "value": "https://arkid.example.org/siteapi/v1/auth/token/",
        },
    ]


@pytest.mark.django_db
def test_ldap_more_detail_shows_the_configured_server_and_never_a_password(admin_user, settings):
    settings.LDAP_URL = "ldaps://ldap.example.org:636"
    settings.LDAP_BASE_DN = "dc=corp,dc=example"
    app, _ = create_app(actor=admin_user, name="Git", protocols={"ldap_app": {}})
    detail = protocols.handler_for("ldap_app").detail(app, {})
    values = {item["key"]: item["value"] for item in detail["more_detail"]}
    assert values == {
        "host": "ldaps://ldap.example.org:636",
        "base_dn": "dc=corp,dc=example",
        "user_base_dn": "ou=people,dc=corp,dc=example",
        "uid_attribute": "uid",
    }
    text = repr(detail).lower()
    assert "password" not in text and "passwd" not in text and "secret" not in text


@pytest.mark.django_db
def test_apply_and_remove_keep_one_app_protocol_row(admin_user):
    app, _ = create_app(actor=admin_user, name="Mail", protocols={})
    handler = protocols.handler_for("http_app")
    assert handler.apply(app, {}, actor=admin_user) == {}
    handler.apply(app, {}, actor=admin_user)
    assert list(AppProtocol.objects.filter(app=app).values_list("name", flat=True)) == ["http_app"]
    handler.remove(app)
    assert not AppProtocol.objects.filter(app=app).exists()


def test_ldap_defaults_match_the_documented_ones():
    from django.conf import settings

    # Unless the environment overrides them (the test settings do not).
    assert settings.LDAP_URL == "ldap://127.0.0.1:10389"
    assert settings.LDAP_BASE_DN == "dc=example,dc=org"
