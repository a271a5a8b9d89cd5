"""Aliyun SMS (``dysmsapi`` ``SendSms``, RPC style, signature version 1.0).

The request is a signed GET: parameters sorted, RFC 3986 percent-encoded, and signed with
HMAC-SHA1 over ``GET&%2F&<encoded query>`` using ``AccessKeySecret + "&"`` (Aliyun's
documented algorithm; ``tests/test_senders.py`` checks it against the documentation's own
example). Standard library only: one GET does not need an SDK.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import uuid
from urllib.error import URLError
from urllib.parse import quote
from urllib.request import Request, urlopen

from apps.accounts.senders.base import Message, SendFailed

API_VERSION = "2017-05-25"
REGION = "cn-hangzhou"
TIMEOUT = 10


def percent_encode(value) -> str:
    return quote(str(value), safe="~")


def sign(params: dict, secret: str, method: str = "GET") -> str:
    canonical = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))
    string_to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def signed_query(params: dict, secret: str) -> str:
    signature = sign(params, secret)
    return "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in [("Signature", signature), *params.items()])


def aliyun_number(e164: str) -> str:
    """Aliyun takes mainland numbers without ``+86`` and others as ``00<cc><number>``."""
    if e164.startswith("+86"):
        return e164[3:]
    return "00" + e164.lstrip("+")


class AliyunSmsSender:
    def __init__(self, cfg):
        self.cfg = cfg

    def params(self, message: Message, *, nonce: str | None = None, timestamp: str | None = None) -> dict:
        return {
            "AccessKeyId": self.cfg.access_key,
            "Action": "SendSms",
            "Format": "JSON",
            "PhoneNumbers": aliyun_number(message.address),
            "RegionId": REGION,
            "SignName": self.cfg.signature,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": nonce or uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "TemplateCode": self.cfg.template_code,
            "TemplateParam": json.dumps({"code": message.code}, separators=(",", ":")),
            "Timestamp": timestamp or dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": API_VERSION,
        }

    def send(self, message: Message) -> None:
        endpoint = self.cfg.endpoint or "https://dysmsapi.aliyuncs.com/"
        url = f"{endpoint.rstrip('/')}/?{signed_query(self.params(message), self.cfg.access_secret)}"
        try:
            with urlopen(Request(url, method="GET"), timeout=TIMEOUT) as response:  # noqa: S310 - admin-set https endpoint
                body = json.loads(response.read().decode() or "{}")
        except (URLError, OSError, ValueError) as exc:
            raise SendFailed(f"Aliyun SMS: {exc}") from exc
        if body.get("Code") != "OK":
            raise SendFailed(f"Aliyun SMS: {body.get('Code')} {body.get('Message')}")
