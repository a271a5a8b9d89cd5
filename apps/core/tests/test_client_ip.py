from __future__ import annotations

import pytest

from apps.core.client_ip import client_ip

PROXY = "10.0.0.1"


def meta(remote: str | None = PROXY, forwarded: str | None = None) -> dict:
    result = {}
    if remote is not None:
        result["REMOTE_ADDR"] = remote
    if forwarded is not None:
        result["HTTP_X_FORWARDED_FOR"] = forwarded
    return result


@pytest.fixture
def trust_proxies(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "fd00::/8"]


def test_without_trusted_proxies_the_header_is_never_read(settings):
    settings.TRUSTED_PROXIES = []
    assert client_ip(meta("203.0.113.5", "198.51.100.1")) == "203.0.113.5"
    assert client_ip(meta(PROXY, "198.51.100.1")) == PROXY


@pytest.mark.usefixtures("trust_proxies")
class TestBehindTrustedProxies:
    def test_client_address_appended_by_our_proxy(self):
        assert client_ip(meta(PROXY, "203.0.113.5")) == "203.0.113.5"

    def test_forged_leftmost_entries_are_ignored(self):
        # The client sent "X-Forwarded-For: 1.2.3.4"; our proxy appended the real address.
        assert client_ip(meta(PROXY, "1.2.3.4, 203.0.113.5")) == "203.0.113.5"

    def test_chain_of_trusted_proxies_is_skipped(self):
        assert client_ip(meta(PROXY, "1.2.3.4, 203.0.113.5, 10.0.0.7, 10.1.2.3")) == "203.0.113.5"

    def test_request_not_from_a_proxy_keeps_its_own_address(self):
        assert client_ip(meta("198.51.100.20", "203.0.113.5")) == "198.51.100.20"

    def test_ipv6_is_normalised(self):
        assert client_ip(meta("fd00::1", "2001:DB8:0:0::1")) == "2001:db8::1"

    @pytest.mark.parametrize(
        "forwarded",
        ["not-an-ip", "203.0.113.5:443", "1.2.3.4, <script>", "203.0.113.5\r\nX-Evil: 1", "999.1.1.1"],
    )
    def test_garbage_falls_back_to_the_proxy_address(self, forwarded):
        assert client_ip(meta(PROXY, forwarded)) == PROXY

    @pytest.mark.parametrize("forwarded", [None, "", " , ,"])
    def test_missing_or_empty_header(self, forwarded):
        assert client_ip(meta(PROXY, forwarded)) == PROXY

    def test_only_trusted_hops_returns_the_first(self):
        assert client_ip(meta(PROXY, "10.0.0.9, 10.0.0.8")) == "10.0.0.9"

    def test_no_remote_address(self):
        assert client_ip(meta(None, "203.0.113.5")) is None

    def test_garbage_remote_address_is_not_trusted(self):
        assert client_ip(meta("unix-socket", "203.0.113.5")) == "unix-socket"


def test_the_request_carries_the_client_ip(settings, client):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    response = client.get("/ping/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.77")
    assert response.wsgi_request.client_ip == "203.0.113.77"
