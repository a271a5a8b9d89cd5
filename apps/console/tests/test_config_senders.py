"""Settings › senders: write-only secrets, inline errors, and a test send through a real SMTP
server (aiosmtpd) and a local HTTP server standing in for Aliyun SMS."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest

from apps.accounts.models import EmailConfig, SmsConfig
from apps.accounts.tests import test_senders
from apps.audit.models import Action, Event, Outcome
from apps.core.tests.net import free_port

pytestmark = pytest.mark.django_db

SMTP_PORT = 2525  # saved in forms that never send: nothing connects to it
smtp_server = test_senders.smtp_server  # the accounts tests' real (aiosmtpd) SMTP server
SECRET = "s3cret-Smtp-Pa55"  # noqa: S105 - a test value that must never come back


def _email(**overrides) -> dict:
    values = {"vendor": "smtp", "host": "127.0.0.1", "port": SMTP_PORT, "security": "none", "access_key": "",
              "access_secret": "", "from_address": "noreply@arkid.example", "nickname": "ArkID"}  # fmt: skip
    values.update(overrides)
    return {f"email-{k}": v for k, v in values.items()}


def test_smtp_needs_a_host_inline_error_and_nothing_saved(admin_web):
    response = admin_web.post("/console/config/senders/email/", _email(host="", access_secret=SECRET))
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_email-host-errors"' in html and "Required for SMTP." in html
    assert SECRET not in html  # a refused form does not echo the secret either
    assert not EmailConfig.objects.exists()


def test_bad_port_and_address_are_inline_errors(admin_web):
    html = admin_web.post("/console/config/senders/email/", _email(port=70000, from_address="nope")).content.decode()
    assert 'id="id_email-port-errors"' in html and 'id="id_email-from_address-errors"' in html


def test_secret_is_write_only_and_blank_keeps_it(admin_web, world):
    assert (
        admin_web.post("/console/config/senders/email/", _email(access_key="mailer", access_secret=SECRET)).status_code
        == 302
    )
    assert EmailConfig.load().access_secret == SECRET
    page = admin_web.get("/console/config/senders/").content.decode()
    assert SECRET not in page and "A password is stored." in page
    event = Event.objects.get(action=Action.ACCOUNT_CONFIG_UPDATED)
    assert event.changes["email.access_secret"][0] == "" and SECRET not in json.dumps(event.changes)

    assert (
        admin_web.post("/console/config/senders/email/", _email(access_key="mailer", nickname="Acme")).status_code
        == 302
    )
    stored = EmailConfig.load()
    assert stored.access_secret == SECRET and stored.nickname == "Acme"


def test_switching_off_a_sender_in_use_is_refused(admin_web):
    admin_web.post("/console/config/senders/email/", _email())
    assert admin_web.post("/console/config/accounts/", {"allow_email": "on"}).status_code == 302
    response = admin_web.post("/console/config/senders/email/", _email(vendor=""))
    assert response.status_code == 400
    assert "Configure the email sender first." in response.content.decode()
    assert EmailConfig.load().vendor == "smtp"


def test_test_mail_goes_through_a_real_smtp_server_and_is_audited(admin_web, smtp_server, world):
    admin_web.post("/console/config/senders/email/", _email(port=smtp_server.port))
    response = admin_web.post("/console/config/senders/email/test/", {"email-test-address": "Ops@Example.com"})
    assert response.status_code == 302
    assert len(smtp_server.messages) == 1
    mail = smtp_server.messages[0]
    assert mail["To"] == "ops@example.com" and "noreply@arkid.example" in mail["From"]
    assert "The sender works." in mail.get_payload(decode=True).decode()
    event = Event.objects.get(action=Action.SENDER_TESTED)
    assert event.actor == world["admin"] and event.outcome == Outcome.SUCCESS
    assert event.detail == {"channel": "email", "address": "o***@example.com"}


def test_test_send_failure_shows_the_relays_answer_and_is_audited(admin_web):
    admin_web.post("/console/config/senders/email/", _email(port=free_port()))  # nothing listens there
    response = admin_web.post("/console/config/senders/email/test/", {"email-test-address": "ops@example.com"})
    assert response.status_code == 502
    assert "Sending failed: SMTP 127.0.0.1" in response.content.decode()
    assert Event.objects.get(action=Action.SENDER_TESTED).outcome == Outcome.FAILURE


def test_test_send_bad_address_and_no_sender(admin_web):
    response = admin_web.post("/console/config/senders/email/test/", {"email-test-address": "not-an-email"})
    assert response.status_code == 400 and 'id="id_email-test-address-errors"' in response.content.decode()
    response = admin_web.post("/console/config/senders/sms/test/", {"sms-test-address": "+8618812345678"})
    assert response.status_code == 502 and "no sms sender configured" in response.content.decode()


class _Aliyun(BaseHTTPRequestHandler):
    seen: list = []  # noqa: RUF012 - per-test list, reset by the fixture

    def do_GET(self):  # noqa: N802 - http.server's name
        _Aliyun.seen.append(dict(parse_qsl(urlsplit(self.path).query)))
        body = json.dumps({"Code": "OK", "Message": "OK"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def aliyun_server():
    _Aliyun.seen = []
    server = HTTPServer(("127.0.0.1", 0), _Aliyun)  # the system picks the port
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_test_sms_goes_through_the_aliyun_sender(admin_web, aliyun_server):
    sms = {"vendor": "aliyun", "access_key": "AK", "access_secret": "aliyun-secret", "signature": "ArkID",
           "template_code": "SMS_1", "endpoint": f"http://127.0.0.1:{aliyun_server}/"}  # fmt: skip
    assert admin_web.post("/console/config/senders/sms/", {f"sms-{k}": v for k, v in sms.items()}).status_code == 302
    assert "aliyun-secret" not in admin_web.get("/console/config/senders/").content.decode()
    response = admin_web.post("/console/config/senders/sms/test/", {"sms-test-address": "188 1234 5678"})
    assert response.status_code == 302
    seen = _Aliyun.seen
    assert seen[0]["PhoneNumbers"] == "18812345678" and seen[0]["TemplateCode"] == "SMS_1"
    assert SmsConfig.load().is_configured


def test_aliyun_needs_its_fields(admin_web):
    response = admin_web.post("/console/config/senders/sms/", {"sms-vendor": "aliyun"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_sms-signature-errors"' in html and "Required for Aliyun SMS." in html
