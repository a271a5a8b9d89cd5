from __future__ import annotations

import pytest
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from apps.core.pagination import PageNumberPagination

ITEMS = list(range(250))


def paginate(**params) -> dict:
    paginator = PageNumberPagination()
    request = Request(APIRequestFactory().get("/things/", params))
    page = paginator.paginate_queryset(ITEMS, request)
    return paginator.get_paginated_response(page).data


def test_default_page_is_20_with_v1_shape():
    body = paginate()
    assert list(body) == ["count", "next", "previous", "results"]
    assert body["count"] == 250
    assert body["results"] == list(range(20))
    assert body["previous"] is None
    assert "page=2" in body["next"]


@pytest.mark.parametrize(("page_size", "expected"), [("5", 5), ("100", 100), ("500", 100), ("0", 20), ("x", 20)])
def test_page_size_is_capped_at_100(page_size, expected):
    assert len(paginate(page_size=page_size)["results"]) == expected


def test_last_page():
    body = paginate(page=13)
    assert body["results"] == list(range(240, 250))
    assert body["next"] is None
