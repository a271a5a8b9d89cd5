"""The OAuth endpoints on the API lane (apps.core.lanes): the browser middleware is skipped,
and the answers are the full stack's but for the language headers, which these
language-independent answers never needed."""

from __future__ import annotations

import base64
import json

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.middleware import SessionMiddleware
from django.test import Client
from django.urls import set_script_prefix

from apps.core import lanes, metrics
from apps.oidc.tests.test_userinfo import client_row, issue  # noqa: F401 - fixture
from apps.oidc.views import TokenView

pytestmark = pytest.mark.django_db

LANE = "apps.core.lanes.ApiLaneMiddleware"
# What LocaleMiddleware adds to every answer; the lane's answers do not depend on a language.
LANGUAGE_HEADERS = {"Content-Language"}
VOLATILE = {"X-Request-ID", "Date"}


def _basic(client_id, secret) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def _full_stack(settings):
    settings.MIDDLEWARE = [name for name in django_settings.MIDDLEWARE if name != LANE]
    return Client()  # a new client loads the changed middleware


def _headers(response) -> dict:
    headers = {k: v for k, v in response.headers.items() if k not in VOLATILE | LANGUAGE_HEADERS}
    if "Vary" in headers:
        vary = [v.strip() for v in headers["Vary"].split(",") if v.strip() != "Accept-Language"]
        if vary:
            headers["Vary"] = ", ".join(vary)
        else:
            del headers["Vary"]
    return headers


def _token(client, rp, **data):
    return client.post(
        "/oauth/token/",
        {"grant_type": "client_credentials", **data},
        HTTP_AUTHORIZATION=_basic(rp[1], rp[2]),
    )


def test_the_lane_sits_after_the_request_context_and_nul_checks_and_before_the_browser_middleware():
    order = django_settings.MIDDLEWARE
    assert order.index(LANE) > order.index("apps.core.middleware.RejectNulMiddleware")
    assert order.index(LANE) > order.index("apps.ops.middleware.MetricsMiddleware")
    assert order.index(LANE) > order.index("django.middleware.security.SecurityMiddleware")
    assert order.index(LANE) < order.index("django.contrib.sessions.middleware.SessionMiddleware")


def test_the_lane_routes_are_the_machine_endpoints():
    paths = lanes.ApiLaneMiddleware(lambda request: None)._lane()
    assert set(paths) == {"/oauth/token/", "/oauth/userinfo/", "/oauth/introspect/", "/oauth/revoke_token/"}


def test_a_route_name_not_mounted_is_skipped(settings):
    settings.ARKID_API_LANE_ROUTES = ("oauth2_provider:token", "nowhere:at-all")
    assert set(lanes.ApiLaneMiddleware(lambda request: None)._lane()) == {"/oauth/token/"}


def test_lane_paths_ignore_the_script_prefix():
    set_script_prefix("/idp/")
    try:
        assert lanes._path_of("oauth2_provider:token") == "/oauth/token/"
    finally:
        set_script_prefix("/")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_token_answers_are_the_full_stacks(rp, settings, language):
    lane = _token(Client(), rp, HTTP_ACCEPT_LANGUAGE=language)
    full = _token(_full_stack(settings), rp, HTTP_ACCEPT_LANGUAGE=language)
    assert lane.status_code == full.status_code == 200
    assert _headers(lane) == _headers(full)
    assert set(lane.json()) == set(full.json())
    assert "Content-Language" not in lane and lane["X-Request-ID"] and lane["X-Frame-Options"] == "DENY"
    assert lane["Cache-Control"] == "no-store" and int(lane["Content-Length"]) == len(lane.content)


def test_error_answers_are_the_full_stacks(rp, settings):
    def errors(client):
        return [
            client.post("/oauth/token/", {"grant_type": "client_credentials"}),  # no client authentication
            _token(client, rp, grant_type="nonsense"),
            client.get("/oauth/token/"),
            client.get("/oauth/userinfo/"),
            client.get("/oauth/userinfo/", HTTP_AUTHORIZATION="Bearer nope"),
            client.post("/oauth/revoke_token/", {"token": "nope"}),
            client.post("/oauth/introspect/", {"token": "nope"}),
        ]

    for lane, full in zip(errors(Client()), errors(_full_stack(settings)), strict=True):
        assert (lane.status_code, _headers(lane), lane.content) == (full.status_code, _headers(full), full.content)
        assert lane.status_code >= 400


def test_userinfo_answers_are_the_full_stacks(bob, client_row, settings):  # noqa: F811 - fixture
    token = issue(bob, client_row)
    lane = Client().get("/oauth/userinfo/", HTTP_AUTHORIZATION=f"Bearer {token}")
    full = _full_stack(settings).get("/oauth/userinfo/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert lane.status_code == 200
    assert (_headers(lane), json.loads(lane.content)) == (_headers(full), json.loads(full.content))


def test_the_browser_middleware_never_runs_on_the_lane(rp, bob, client_row, monkeypatch):  # noqa: F811
    def broken(self, request):
        raise AssertionError("the session middleware ran")

    monkeypatch.setattr(SessionMiddleware, "process_request", broken)
    browser = Client(raise_request_exception=True)
    assert _token(browser, rp).status_code == 200
    token = issue(bob, client_row)
    assert browser.get("/oauth/userinfo/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    with pytest.raises(AssertionError, match="session middleware ran"):
        browser.get("/ping/")


def test_a_browser_session_is_no_credential_on_the_lane(rp, bob):
    browser = Client()
    browser.force_login(bob)
    assert browser.get("/oauth/userinfo/").status_code == 401
    refused = browser.post("/oauth/token/", {"grant_type": "client_credentials", "client_id": rp[1]})
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    assert "Set-Cookie" not in refused


def test_nul_bytes_are_still_refused_before_the_lane(rp):
    refused = _token(Client(), rp, scope="read\x00")
    assert refused.status_code == 400


def test_lane_requests_are_counted_under_their_route(rp, monkeypatch):
    seen = []
    monkeypatch.setattr(metrics, "observe_request", lambda method, route, status, seconds: seen.append(route))
    assert _token(Client(), rp).status_code == 200
    assert seen == ["oauth/token/"]


def test_an_exception_in_a_lane_view_is_djangos_500(rp, monkeypatch):
    def broken(self, request, *args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(TokenView, "post", broken)
    answer = _token(Client(raise_request_exception=False), rp)
    assert answer.status_code == 500
    assert b"boom" not in answer.content
