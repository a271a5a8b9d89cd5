"""The emulator speaks DingTalk: pagination limits, errcodes, login page, signed events."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

import pytest

from apps.dingtalk import callback_crypto
from apps.dingtalk.client import DingTalkClient
from apps.dingtalk.emulator.org import generate
from apps.dingtalk.errors import DingTalkError


def _client(running) -> DingTalkClient:
    return DingTalkClient(running.emulator.app_key, running.emulator.app_secret, sleep=lambda s: None, max_attempts=1)


def test_generated_org_is_realistic():
    org = generate(users=300, depts=20, seed=3)
    assert len(org.users) == 300 and len(org.depts) == 21
    assert max(len(org.members(d)) for d in org.depts) > 100
    assert any(len(u["dept_id_list"]) > 1 for u in org.users.values())
    assert any(not u["email"] for u in org.users.values())
    assert any(org.depts[d["parent_id"]]["parent_id"] not in (0,) for d in org.depts.values() if d["parent_id"])
    assert all("\u4e00" <= u["name"][0] <= "\u9fff" for u in org.users.values())
    assert generate(users=300, depts=20, seed=3).users.keys() == org.users.keys()


def test_user_list_cursor_pagination_and_size_limit(emulator_factory):
    running = emulator_factory(users=250, depts=3)
    client = _client(running)
    big = max(running.emulator.org.depts, key=lambda d: len(running.emulator.org.members(d)))
    seen, cursor = [], 0
    while True:
        result = client.oapi("topapi/v2/user/list", {"dept_id": big, "cursor": cursor, "size": 100})["result"]
        seen += [u["userid"] for u in result["list"]]
        if not result["has_more"]:
            break
        cursor = result["next_cursor"]
    assert len(seen) == len(set(seen)) == len(running.emulator.org.members(big)) > 100
    with pytest.raises(DingTalkError) as caught:
        client.oapi("topapi/v2/user/list", {"dept_id": big, "cursor": 0, "size": 101})
    assert caught.value.errcode == 40035


def test_login_page_issues_a_code_for_the_picked_employee(emulator):
    userid = next(iter(emulator.emulator.org.users))
    query = {
        "client_id": emulator.emulator.app_key,
        "response_type": "code",
        "redirect_uri": "http://rp/cb",
        "state": "s1",
    }
    with urllib.request.urlopen(f"{emulator.base}/oauth2/auth?{urllib.parse.urlencode(query)}") as page:  # noqa: S310
        assert userid in page.read().decode()

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    url = f"{emulator.base}/oauth2/auth?{urllib.parse.urlencode({**query, 'userid': userid})}"
    with pytest.raises(urllib.error.HTTPError) as caught:
        opener.open(url)
    location = urllib.parse.urlsplit(caught.value.headers["Location"])
    params = urllib.parse.parse_qs(location.query)
    assert params["state"] == ["s1"]
    client = _client(emulator)
    tokens = client.api_unauthenticated(
        "POST",
        "/v1.0/oauth2/userAccessToken",
        {
            "clientId": emulator.emulator.app_key,
            "clientSecret": emulator.emulator.app_secret,
            "code": params["authCode"][0],
            "grantType": "authorization_code",
        },
    )
    me = client.api("GET", "/v1.0/contact/users/me", token=tokens["accessToken"])
    found = client.oapi("topapi/user/getbyunionid", {"unionid": me["unionId"]})["result"]
    assert found["userid"] == userid


def test_callback_crypto_round_trip():
    aes_key = "a" * 43
    ciphertext = callback_crypto.encrypt(aes_key, "appkey", json.dumps({"EventType": "check_url"}))
    signature = callback_crypto.signature("tok", "1", "n", ciphertext)
    callback_crypto.verify("tok", "1", "n", ciphertext, signature)
    assert json.loads(callback_crypto.decrypt(aes_key, "appkey", ciphertext)) == {"EventType": "check_url"}
    with pytest.raises(callback_crypto.CallbackCryptoError):
        callback_crypto.verify("tok", "1", "n", ciphertext, "0" * 40)
    with pytest.raises(callback_crypto.CallbackCryptoError):
        callback_crypto.decrypt(aes_key, "other-app", ciphertext)


def test_change_endpoint_and_write_apis(emulator):
    result = emulator.control("change", {"op": "add_dept", "name": "新部门", "parent_id": 1})
    assert result["event"]["EventType"] == "org_dept_create"
    dept_id = result["event"]["DeptId"][0]
    client = _client(emulator)
    created = client.oapi(
        "topapi/v2/user/create", {"name": "新人", "mobile": "13900000000", "dept_id_list": str(dept_id)}
    )
    userid = created["result"]["userid"]
    assert client.oapi("topapi/v2/user/get", {"userid": userid})["result"]["dept_id_list"] == [dept_id]
    with pytest.raises(DingTalkError) as caught:
        client.oapi("topapi/v2/department/delete", {"dept_id": dept_id})
    assert caught.value.errcode == 60005
    assert emulator.control("change", {"op": "remove_user", "userid": userid})["event"]["EventType"] == "user_leave_org"
    assert emulator.control("change", {"op": "remove_user", "userid": userid})["status"] == 400
