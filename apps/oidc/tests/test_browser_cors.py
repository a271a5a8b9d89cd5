"""CORS as a real browser enforces it: a single-page app in headless chromium redeems its code
at the token endpoint, reads userinfo (a preflighted request) and revokes its token; a page
the client does not list cannot read any of it.

Browsers answer CORS for https pages only, and an https page may not call plain http, so both
sides are https on 127.0.0.1 with a self-signed certificate (the browser told to accept it): the
app's page from a small server of its own, the IdP through a TLS-terminating proxy to the live
server that passes requests and answers through unchanged. Two ports, two origins.
"""

from __future__ import annotations

import http.client
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from apps.core.tests.browser import browser, needs_chromium  # noqa: F401 - fixture
from apps.core.tests.net import self_signed_certificate
from apps.oidc.tests.conftest import REDIRECT, make_client, pkce_pair

pytestmark = [pytest.mark.django_db(transaction=True), needs_chromium]

PAGE = b"<!doctype html><title>SPA</title><p>single-page app</p>"

# What an SPA library does after the redirect back: redeem the code, read the claims (the
# Authorization header makes the browser send a preflight first), revoke at sign-out.
SPA_FLOW = """async ([idp, form]) => {
  const step = async (name, call) => {
    try { return await call(); } catch (error) { throw new Error(name + ": " + error); }
  };
  try {
    const tokens = await step("token", async () =>
      (await fetch(idp + "/oauth/token/", {method: "POST", body: new URLSearchParams(form)})).json());
    const claims = await step("userinfo", async () =>
      (await fetch(idp + "/oauth/userinfo/", {headers: {Authorization: "Bearer " + tokens.access_token}})).json());
    const revoked = await step("revoke", async () => (await fetch(idp + "/oauth/revoke_token/", {
      method: "POST", body: new URLSearchParams({token: tokens.access_token, client_id: form.client_id})})).status);
    return {ok: true, sub: claims.sub, revoked};
  } catch (error) {
    return {ok: false, error: String(error)};
  }
}"""


def _tls_server(handler, tls: ssl.SSLContext) -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.socket = tls.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"https://127.0.0.1:{server.server_address[1]}"


class _Page(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's name
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args):
        pass


def _proxy_to(target: str):
    host, port = urlsplit(target).hostname, urlsplit(target).port

    class Proxy(BaseHTTPRequestHandler):
        def _pass(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            upstream = http.client.HTTPConnection(host, port, timeout=30)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
            upstream.request(self.command, self.path, body=body or None, headers=headers)
            answer = upstream.getresponse()
            content = answer.read()
            self.send_response(answer.status)
            for key, value in answer.getheaders():
                if key.lower() not in ("connection", "transfer-encoding", "content-length"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)
            upstream.close()

        do_GET = do_POST = do_OPTIONS = _pass  # noqa: N815 - http.server's names

        def log_message(self, *args):
            pass

    return Proxy


@pytest.fixture(scope="module")
def tls(tmp_path_factory) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*self_signed_certificate(tmp_path_factory.mktemp("tls")))
    return context


@pytest.fixture
def origins(live_server, tls):
    """(the app's page origin, the IdP's https origin)."""
    page, spa = _tls_server(_Page, tls)
    proxy, idp = _tls_server(_proxy_to(live_server.url), tls)
    yield spa, idp
    for server in (page, proxy):
        server.shutdown()
        server.server_close()


def _code_form(user, client_id) -> dict:
    signed_in = Client()
    signed_in.force_login(user)
    verifier, challenge = pkce_pair()
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT, "scope": "openid",
              "state": "s", "code_challenge": challenge, "code_challenge_method": "S256"}  # fmt: skip
    code = parse_qs(urlsplit(signed_in.get("/oauth/authorize/", params)["Location"]).query)["code"][0]
    return {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "client_id": client_id,
            "code_verifier": verifier}  # fmt: skip


def _run_spa(chromium, spa: str, idp: str, form: dict) -> dict:
    context = chromium.new_context(ignore_https_errors=True)  # the self-signed certificate
    try:
        page = context.new_page()
        page.goto(f"{spa}/")
        return page.evaluate(SPA_FLOW, [idp, form])
    finally:
        context.close()


def test_a_listed_app_redeems_its_code_reads_the_claims_and_revokes(browser, origins, admin_user, bob):  # noqa: F811 - fixture
    spa, idp = origins
    _, client_id, _ = make_client(admin_user, name="SPA", client_type="public", allowed_origins=[spa])
    result = _run_spa(browser, spa, idp, _code_form(bob, client_id))
    assert result == {"ok": True, "sub": str(bob.uuid), "revoked": 200}


def test_a_page_the_client_does_not_list_reads_nothing(browser, origins, admin_user, bob):  # noqa: F811 - fixture
    spa, idp = origins
    _, client_id, _ = make_client(admin_user, name="Other", client_type="public",
                                  allowed_origins=["https://other.example.com"])  # fmt: skip
    result = _run_spa(browser, spa, idp, _code_form(bob, client_id))
    assert result["ok"] is False and result["error"].startswith("Error: token: TypeError: Failed to fetch")
