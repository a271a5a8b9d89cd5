"""Senders against real local servers: aiosmtpd for SMTP, an HTTP server standing in for Aliyun."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message as MessageHandler

from apps.accounts.models import EmailConfig, SmsConfig
from apps.accounts.senders import Message, SendFailed
from apps.accounts.senders.aliyun import AliyunSmsSender, aliyun_number, sign
from apps.accounts.senders.smtp import SmtpSender
from apps.core.tests.net import free_port


def test_signature_matches_aliyuns_documented_example():
    # The example of Aliyun's SMS "HTTP 协议及签名" documentation, byte for byte.
    params = {
        "AccessKeyId": "testId", "Action": "SendSms", "Format": "XML", "OutId": "123",
        "PhoneNumbers": "15300000001", "RegionId": "cn-hangzhou", "SignName": "阿里云短信测试专用",
        "SignatureMethod": "HMAC-SHA1", "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        "SignatureVersion": "1.0", "TemplateCode": "SMS_71390007", "TemplateParam": '{"customer":"test"}',
        "Timestamp": "2017-07-12T02:42:19Z", "Version": "2017-05-25",
    }  # fmt: skip
    assert sign(params, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_numbers_in_aliyuns_format():
    assert aliyun_number("+8618812345678") == "18812345678"
    assert aliyun_number("+85291234567") == "0085291234567"


class _Collector(MessageHandler):
    def __init__(self):
        super().__init__()
        self.messages = []

    def handle_message(self, message):
        self.messages.append(message)


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) collecting what it receives; ``.port`` is where it listens."""
    handler = _Collector()
    handler.port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    yield handler
    controller.stop()


def test_smtp_sender_delivers_to_a_real_smtp_server(smtp_server):
    cfg = EmailConfig(vendor="smtp", host="127.0.0.1", port=smtp_server.port, security="none",
                      from_address="noreply@arkid.example", nickname="ArkID")  # fmt: skip
    SmtpSender(cfg).send(Message("email", "alice@corp.example", "123456", "register", "Code 123456", "Body 123456"))

    (mail,) = smtp_server.messages
    assert mail["To"] == "alice@corp.example"
    assert mail["From"] == "ArkID <noreply@arkid.example>"
    assert mail["Subject"] == "Code 123456"
    assert "Body 123456" in mail.get_payload()


def test_smtp_failure_is_a_send_failed():
    cfg = EmailConfig(vendor="smtp", host="127.0.0.1", port=free_port(), security="none", from_address="a@b.example")
    with pytest.raises(SendFailed):
        SmtpSender(cfg).send(Message("email", "alice@corp.example", "1", "register", "s", "b"))


class _FakeAliyun(BaseHTTPRequestHandler):
    requests: list = []
    answer = {"Code": "OK", "Message": "OK", "BizId": "1", "RequestId": "r"}

    def do_GET(self):  # noqa: N802 - http.server's name
        type(self).requests.append(dict(parse_qsl(urlsplit(self.path).query)))
        body = json.dumps(type(self).answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def aliyun_server():
    _FakeAliyun.requests = []
    _FakeAliyun.answer = {"Code": "OK", "Message": "OK"}
    server = HTTPServer(("127.0.0.1", 0), _FakeAliyun)  # the system picks the port
    _FakeAliyun.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield _FakeAliyun
    server.shutdown()
    server.server_close()


def _sms_config() -> SmsConfig:
    return SmsConfig(vendor="aliyun", access_key="LTAIkey", access_secret="secret", signature="ArkID",
                     template_code="SMS_1", endpoint=f"http://127.0.0.1:{_FakeAliyun.port}/")  # fmt: skip


def test_aliyun_sender_sends_a_correctly_signed_request(aliyun_server):
    AliyunSmsSender(_sms_config()).send(Message("sms", "+8618812345678", "654321", "register"))

    (params,) = aliyun_server.requests
    assert params["Action"] == "SendSms" and params["PhoneNumbers"] == "18812345678"
    assert json.loads(params["TemplateParam"]) == {"code": "654321"}
    assert params["SignName"] == "ArkID" and params["TemplateCode"] == "SMS_1"
    signature = params.pop("Signature")
    assert signature == sign(params, "secret")  # what the server would recompute


def test_aliyun_error_answer_is_a_send_failed(aliyun_server):
    aliyun_server.answer = {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "limit"}
    with pytest.raises(SendFailed, match="BUSINESS_LIMIT_CONTROL"):
        AliyunSmsSender(_sms_config()).send(Message("sms", "+8618812345678", "1", "register"))
