"""Token grants reach Prometheus, by grant type (a fixed set of labels) and outcome."""

from __future__ import annotations

import pytest
from django.test import Client
from prometheus_client import REGISTRY

from apps.oidc.tests.conftest import make_client
from apps.oidc.tests.test_accounts_wiring import basic


def sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.mark.django_db
def test_token_grants_are_counted_by_grant_type_and_outcome(admin_user):
    _, client_id, secret = make_client(admin_user, name="Batch", grant_types=["client_credentials"])
    labels = {"grant_type": "client_credentials"}
    ok_before = sample("arkid_token_grants_total", outcome="success", **labels)
    bad_before = sample("arkid_token_grants_total", outcome="failure", **labels)
    form = {"grant_type": "client_credentials"}
    assert Client().post("/oauth/token/", form, HTTP_AUTHORIZATION=basic(client_id, secret)).status_code == 200
    assert Client().post("/oauth/token/", form, HTTP_AUTHORIZATION=basic(client_id, "wrong")).status_code == 401
    odd = {"grant_type": "made-up-by-a-client"}
    Client().post("/oauth/token/", odd, HTTP_AUTHORIZATION=basic(client_id, secret))
    assert sample("arkid_token_grants_total", outcome="success", **labels) == ok_before + 1
    assert sample("arkid_token_grants_total", outcome="failure", **labels) == bad_before + 1
    assert sample("arkid_token_grants_total", grant_type="made-up-by-a-client", outcome="failure") == 0
