"""OIDC fixtures: clients made through the apps' ``oauth_app`` protocol, as an admin would."""

from __future__ import annotations

import base64
import hashlib
import http.server
import secrets
import threading
from urllib.parse import parse_qs

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
    """Per-process caches must not carry rows of a rolled-back test into the next one."""
    from apps.oidc import validator

    keys.forget_cached()
    keys._parsed.clear()
    validator._clients.clear()
    yield
    keys.forget_cached()
    validator._clients.clear()


@pytest.fixture
def rp(admin_user):
    """(app, client_id, client_secret) of a confidential code + refresh client without consent."""
    return make_client(admin_user, grant_types=["authorization_code", "refresh_token", "client_credentials"])


@pytest.fixture
def bob(db):
    return create_test_user("bob", name="Bob Builder", email="bob@example.com", mobile="+8618812345678")


class _Catcher(http.server.BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self):  # noqa: N802 - http.server's naming
        length = int(self.headers["Content-Length"])
        type(self).received.append(parse_qs(self.rfile.read(length).decode()))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def logout_receiver():
    _Catcher.received = []
    server = http.server.HTTPServer(("127.0.0.1", 0), _Catcher)  # a free port: parallel runs never clash
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/backchannel", _Catcher.received
    server.shutdown()
    server.server_close()


@pytest.fixture
def eager_celery():
    from arkid.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False
