from __future__ import annotations

import pytest
from celery import current_app

CLOSED_PORT_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def test_ping_needs_nothing(client):
    response = client.get("/ping/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ping_is_get_only(client):
    assert client.post("/ping/").status_code == 405


@pytest.mark.django_db
def test_ready_when_everything_answers(client):
    response = client.get("/ready/")
    assert response.status_code == 200, response.content
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "broker": "ok"},
    }


@pytest.mark.django_db
def test_ready_names_an_unreachable_broker(client, monkeypatch):
    monkeypatch.setitem(current_app.conf, "broker_url", CLOSED_PORT_REDIS)
    response = client.get("/ready/")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "cache": "ok", "broker": "unavailable"},
    }


@pytest.mark.django_db
def test_ready_names_an_unreachable_cache(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": CLOSED_PORT_REDIS,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
        }
    }
    response = client.get("/ready/")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "cache": "unavailable", "broker": "ok"}


def test_ready_without_database_access_reports_database(client):
    # Outside django_db the test framework refuses connections, like a database that is down.
    response = client.get("/ready/")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "unavailable"


@pytest.mark.django_db
def test_ready_uses_redis_when_configured(client, settings):
    if not settings.REDIS_URL:
        pytest.skip("needs ARKID_REDIS_URL (Redis)")
    assert settings.CACHES["default"]["BACKEND"] == "django_redis.cache.RedisCache"
    assert current_app.conf.broker_url.startswith("redis://")
    assert client.get("/ready/").json()["checks"] == {"database": "ok", "cache": "ok", "broker": "ok"}
