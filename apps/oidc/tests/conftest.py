"""OIDC fixtures: clients made through the apps' ``oauth_app`` protocol, as an admin would."""

from __future__ import annotations

import base64
import hashlib
import secrets

import pytest

from apps.directory.tests.factories import create_test_user
from apps.oidc import keys
from apps.permissions.actions.apps import create_app

REDIRECT = "https://rp.example.com/callback"


def make_client(actor, name="RP", *, allow_any_user=True, **oauth):
    config = {"redirect_uris": [REDIRECT], "skip_authorization": True, **oauth}
    app, shown = create_app(actor=actor, name=name, allow_any_user=allow_any_user, protocols={"oauth_app": config})
    shown = shown["oauth_app"]
    return app, shown["client_id"], shown.get("client_secret")


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


@pytest.fixture(autouse=True)
def _fresh_keys():
    keys.forget_cached()
    keys._parsed.clear()
    yield
    keys.forget_cached()


@pytest.fixture
def rp(admin_user):
    """(app, client_id, client_secret) of a confidential code + refresh client without consent."""
    return make_client(admin_user, grant_types=["authorization_code", "refresh_token", "client_credentials"])


@pytest.fixture
def bob(db):
    return create_test_user("bob", name="Bob Builder", email="bob@example.com", mobile="+8618812345678")
