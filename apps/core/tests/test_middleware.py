from __future__ import annotations

import re

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from apps.core import request_context
from apps.core.middleware import RequestContextMiddleware

GENERATED = re.compile(r"^[0-9a-f]{32}$")


@pytest.mark.parametrize("incoming", ["abcdef12", "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b", "req.2024_05-01", "A" * 64])
def test_a_sane_incoming_request_id_is_kept_and_echoed(client, incoming):
    response = client.get("/ping/", HTTP_X_REQUEST_ID=incoming)
    assert response["X-Request-ID"] == incoming
    assert response.wsgi_request.id == incoming


@pytest.mark.parametrize(
    "incoming",
    [
        "short",
        "A" * 65,
        "evil id with spaces",
        "id\r\nSet-Cookie: x=1",
        "<script>alert(1)</script>",
        "abcdefgh;rm -rf",
        "ünïcödé-id-1234",
    ],
)
def test_a_malicious_request_id_is_replaced(client, incoming):
    response = client.get("/ping/", HTTP_X_REQUEST_ID=incoming)
    assert GENERATED.match(response["X-Request-ID"])
    assert response["X-Request-ID"] != incoming


def test_a_missing_request_id_is_generated_and_unique(client):
    first = client.get("/ping/")["X-Request-ID"]
    second = client.get("/ping/")["X-Request-ID"]
    assert GENERATED.match(first) and GENERATED.match(second)
    assert first != second


def test_context_is_set_during_the_request_and_reset_after(settings):
    settings.TRUSTED_PROXIES = []
    seen = {}

    def view(request):
        seen["ctx"] = request_context.current()
        return HttpResponse("ok")

    request = RequestFactory().get(
        "/", HTTP_X_REQUEST_ID="trace-0001", HTTP_USER_AGENT="x" * 600, REMOTE_ADDR="192.0.2.10"
    )
    response = RequestContextMiddleware(view)(request)

    assert seen["ctx"] == request_context.RequestContext(request_id="trace-0001", ip="192.0.2.10", user_agent="x" * 512)
    assert response["X-Request-ID"] == "trace-0001"
    assert request_context.current() == request_context.RequestContext()


def test_context_is_reset_when_the_view_raises():
    def view(request):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        RequestContextMiddleware(view)(RequestFactory().get("/", HTTP_X_REQUEST_ID="trace-0002"))
    assert request_context.current().request_id == ""


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("get", "/siteapi/oneid/user/a%00b/", {}),
        ("get", "/siteapi/oneid/user/?name=a%00b", {}),
        ("post", "/siteapi/oneid/user/", {"data": '{"username": "a\\u0000b"}', "content_type": "application/json"}),
        (
            "post",
            "/siteapi/oneid/ucenter/login/",
            {"data": "username=a%00&password=x", "content_type": "application/x-www-form-urlencoded"},
        ),
    ],
)
def test_nul_characters_are_refused_at_the_door(admin_client, method, path, kwargs):
    response = getattr(admin_client, method)(path, **kwargs)
    assert response.status_code == 400
    assert response.json()["code"] == "nul_character"


def test_ordinary_percent_signs_pass(admin_client):
    response = admin_client.get("/siteapi/oneid/user/", {"keyword": "100%"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "data",
    [
        {"username": "a\x00b"},  # a field's value
        {"user\x00name": "ab"},  # a field's name
    ],
)
def test_nul_characters_in_multipart_fields_are_refused(admin_client, data):
    response = admin_client.post("/siteapi/oneid/user/", data)  # the test client sends multipart
    assert response.status_code == 400
    assert response.json()["code"] == "nul_character"


def test_a_multipart_file_may_hold_nul(admin_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    binary = SimpleUploadedFile("ok.bin", b"\x00\x01\x02", content_type="application/octet-stream")
    response = admin_client.post("/siteapi/oneid/user/", {"username": "nulfile", "name": "N", "file": binary})
    assert response.status_code == 201
