"""The token and userinfo endpoints are called by programs, never by a browser form: they
stay CSRF-exempt (marked once on the view function, not per request on ``dispatch``)."""

from __future__ import annotations

import base64
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import resolve

pytestmark = pytest.mark.django_db


def test_the_token_endpoint_takes_a_post_without_a_csrf_token(rp):
    _, client_id, secret = rp
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Basic {basic}")
    response = client.post(
        "/oauth/token/", urlencode({"grant_type": "client_credentials"}), "application/x-www-form-urlencoded"
    )
    assert response.status_code == 200 and response.json()["access_token"]
    token = response.json()["access_token"]
    # A client's own token has no user: refused by userinfo, but not for want of a CSRF token.
    refused = Client(enforce_csrf_checks=True).post("/oauth/userinfo/", {"access_token": token})
    assert refused.status_code == 401


@pytest.mark.parametrize("path", ["/oauth/token/", "/oauth/userinfo/"])
def test_the_views_are_marked_exempt(path):
    view = resolve(path).func
    assert view.csrf_exempt is True and view.login_required is False
