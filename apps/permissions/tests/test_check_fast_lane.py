"""The token check's fast lane (apps.permissions.api.fast_lane): a cached answer is served
before the browser middleware, with the very response the full stack gives."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.test import Client

from apps.core import metrics
from apps.permissions.actions.statuses import set_user_perm_statuses
from apps.permissions.api import check
from apps.permissions.tests import test_check_answers as answers_tests
from apps.permissions.tests import test_check_api as check_api

pytestmark = pytest.mark.django_db

english_messages, fresh_cache, wiki, perm = (
    check_api.english_messages,
    check_api.fresh_cache,
    check_api.wiki,
    check_api.perm,
)
alice = answers_tests.alice
FAST_LANE = "apps.permissions.api.fast_lane.TokenCheckFastLane"
MANAGE = answers_tests.MANAGE


@pytest.fixture
def granted(alice, user, admin_user, wiki):
    set_user_perm_statuses(user, [(perm("app_wiki_manage"), 1)], actor=admin_user)
    assert alice.warm() == 200
    return alice


def _without_fast_lane(settings):
    settings.MIDDLEWARE = [name for name in django_settings.MIDDLEWARE if name != FAST_LANE]


def _comparable(response) -> tuple:
    headers = {k: v for k, v in response.headers.items() if k != "X-Request-ID"}
    return response.status_code, headers, response.content


def test_the_fast_lane_is_installed_after_the_request_context_and_nul_checks():
    order = django_settings.MIDDLEWARE
    assert order.index(FAST_LANE) > order.index("apps.core.middleware.RejectNulMiddleware")
    assert order.index(FAST_LANE) > order.index("apps.ops.middleware.MetricsMiddleware")
    assert order.index(FAST_LANE) < order.index("django.contrib.sessions.middleware.SessionMiddleware")


@pytest.mark.parametrize("params", [MANAGE, {"app_uid": "wiki", "perm_uid": "access"}], ids=["200", "403"])
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_cached_answer_is_the_response_of_the_full_stack(granted, settings, params, language):
    fast = granted.client.get(check_api.URL, params, HTTP_ACCEPT_LANGUAGE=language)
    _without_fast_lane(settings)
    full = Client(HTTP_AUTHORIZATION=f"Token {granted.raw}").get(  # a new client loads the new middleware
        check_api.URL, params, HTTP_ACCEPT_LANGUAGE=language
    )
    assert _comparable(fast) == _comparable(full)
    assert fast["Content-Language"] == language
    assert fast["X-Request-ID"]


def test_a_cached_answer_never_reaches_the_view(granted, monkeypatch):
    def broken(request):
        raise AssertionError("the view ran")

    monkeypatch.setattr(check, "_check", broken)
    assert granted.get().status_code == 200
    # Without a cached answer (another app named) the request goes down the normal stack.
    with pytest.raises(AssertionError, match="the view ran"):
        granted.get({"app_uid": "other", "perm_uid": "manage"})


def test_the_fast_lane_counts_the_request_under_the_check_route(granted, monkeypatch):
    seen = []
    monkeypatch.setattr(metrics, "observe_request", lambda method, route, status, seconds: seen.append(route))
    assert granted.get().status_code == 200
    assert seen == ["siteapi/v1/auth/token/"]


def test_errors_and_uncached_checks_take_the_normal_path(granted):
    anonymous = Client()
    bad_header = anonymous.get(check_api.URL, MANAGE, HTTP_AUTHORIZATION="Token a b")
    assert bad_header.status_code == 401 and bad_header.json()["detail"] == "Invalid token header."
    assert anonymous.get(check_api.URL, MANAGE, HTTP_AUTHORIZATION="Token nope").status_code == 401
    assert anonymous.get(check_api.URL, MANAGE).status_code == 401
    assert granted.client.post(check_api.URL, MANAGE).status_code == 405


def test_an_unknown_perm_uid_with_a_cached_answer_is_the_views_404(granted):
    missing = granted.get({"app_uid": "wiki", "perm_uid": "nope"})
    assert missing.status_code == 404 and missing.json()["perm_uid"] == ["No such permission in this app."]
