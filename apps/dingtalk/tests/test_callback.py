"""The callback endpoint: signature, decryption, the encrypted success answer, refusals."""

from __future__ import annotations

import json

import pytest

from apps.dingtalk import callback_crypto

pytestmark = pytest.mark.django_db
URL = "/siteapi/v1/dingtalk/callback/"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


@pytest.fixture
def configured(settings):
    settings.DINGTALK_APP_KEY = "dingkey"
    settings.DINGTALK_APP_SECRET = "secret"
    settings.DINGTALK_CALLBACK_TOKEN = "cb-token"
    settings.DINGTALK_CALLBACK_AES_KEY = AES_KEY


def _push(api_client, payload: dict, *, token="cb-token", owner="dingkey"):
    ciphertext = callback_crypto.encrypt(AES_KEY, owner, json.dumps(payload))
    signature = callback_crypto.signature(token, "1700000000000", "nonce1", ciphertext)
    return api_client.post(
        f"{URL}?msg_signature={signature}&timestamp=1700000000000&nonce=nonce1", {"encrypt": ciphertext}, format="json"
    )


def test_check_url_is_answered_with_encrypted_success(api_client, configured):
    response = _push(api_client, {"EventType": "check_url"})
    assert response.status_code == 200
    body = response.json()
    callback_crypto.verify("cb-token", body["timeStamp"], body["nonce"], body["encrypt"], body["msg_signature"])
    assert callback_crypto.decrypt(AES_KEY, "dingkey", body["encrypt"]) == "success"


def test_bad_signature_or_owner_is_refused(api_client, configured):
    assert _push(api_client, {"EventType": "check_url"}, token="wrong").status_code == 403
    assert _push(api_client, {"EventType": "check_url"}, owner="another-app").status_code == 403
    assert api_client.post(URL, {"encrypt": "!!"}, format="json").status_code == 403
    assert api_client.post(URL, "not json", content_type="application/json").status_code in (400, 403)


def test_not_configured_is_404(api_client, settings):
    settings.DINGTALK_CALLBACK_TOKEN = None
    assert api_client.post(URL, {"encrypt": "x"}, format="json").status_code == 404
