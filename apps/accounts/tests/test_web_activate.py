"""``/activate/?key=…``: accepting an invitation in the browser (test client; the development
log sender delivers the codes)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from apps.accounts.actions.invitations import create_invitation, invitation_url
from apps.accounts.models import AccountConfig, EmailConfig, Invitation, SmsConfig, UserSession
from apps.accounts.tests.conftest import events
from apps.audit.models import Action
from apps.directory.tests.factories import create_test_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dev_senders")]

NEW_MOBILE = "+8613912345678"
NEW_PASSWORD = "Welcome-Aboard-77"
API_INVITED = "/siteapi/oneid/ucenter/profile/invited/"


@pytest.fixture
def inviter(db):
    return create_test_user("admin", name="Administrator", is_admin=True)


@pytest.fixture
def key(invitee, inviter):
    return create_invitation(invitee, actor=inviter)[1]


def page_url(key: str) -> str:
    return f"/activate/?key={key}"


def verify_mobile(browser: Client, key: str, inbox, mobile: str = NEW_MOBILE) -> None:
    sent = browser.post(page_url(key), {"address": mobile})
    assert sent.status_code == 302 and sent["Location"] == page_url(key), sent.content.decode()
    verified = browser.post(page_url(key), {"code": inbox(mobile)})
    assert verified.status_code == 302, verified.content.decode()


def set_password(browser: Client, key: str, password: str = NEW_PASSWORD, confirm: str | None = None):
    return browser.post(page_url(key), {"new_password": password, "confirm": password if confirm is None else confirm})


def no_senders() -> None:
    SmsConfig(vendor="").save()
    EmailConfig(vendor="").save()


def test_invitation_url_points_at_the_activation_page(key, settings):
    assert invitation_url(key) == f"{settings.BASE_URL}/activate/?key={key}"


def test_happy_path_verifies_a_mobile_sets_the_password_and_signs_in(key, invitee, inbox):
    browser = Client()
    landing = browser.get(page_url(key))
    assert landing.status_code == 200
    html = landing.content.decode()
    assert "Erin" in html and 'data-invitee="erin"' in html and 'name="address"' in html
    assert "+86188****5678" in html and "+8618812345678" not in html  # masked contact on file
    assert landing["Referrer-Policy"] == "same-origin"

    verify_mobile(browser, key, inbox)
    assert 'name="new_password"' in browser.get(page_url(key)).content.decode()
    done = set_password(browser, key)

    assert done.status_code == 302 and done["Location"] == "/"
    invitee.refresh_from_db()
    assert invitee.is_active and invitee.mobile == NEW_MOBILE and invitee.check_password(NEW_PASSWORD)
    assert UserSession.objects.filter(user=invitee).count() == 1
    assert browser.get("/").status_code == 200  # a real session: the portal opens
    [accepted] = events(Action.INVITATION_ACCEPTED)
    assert accepted.actor_id == invitee.pk and accepted.detail["verified"] == ["mobile"]
    assert accepted.detail["inviter"] == "admin"
    [login] = events(Action.LOGIN_SUCCEEDED)
    assert login.detail["via"] == "web"


def test_without_a_sender_the_password_is_enough(key, invitee):
    no_senders()
    browser = Client()
    assert 'name="new_password"' in browser.get(page_url(key)).content.decode()
    assert set_password(browser, key).status_code == 302
    invitee.refresh_from_db()
    assert invitee.is_active and invitee.check_password(NEW_PASSWORD)
    assert events(Action.INVITATION_ACCEPTED)[0].detail["verified"] == []


@pytest.mark.parametrize("query", ["", "?key=", "?key=not-a-key"])
def test_unknown_key_is_a_clear_404_page(query):
    response = Client().get(f"/activate/{query}")
    assert response.status_code == 404
    assert "This invitation is invalid or has expired." in response.content.decode()


def test_expired_invitation_is_refused(key, invitee):
    Invitation.objects.filter(user=invitee).update(expires=timezone.now() - dt.timedelta(seconds=1))
    response = Client().get(page_url(key))
    assert response.status_code == 404 and "invalid or has expired" in response.content.decode()
    assert Client().post(page_url(key), {"address": NEW_MOBILE}).status_code == 404


def test_an_invitation_works_once(key, invitee):
    no_senders()
    assert set_password(Client(), key).status_code == 302
    again = Client()
    assert again.get(page_url(key)).status_code == 404
    assert set_password(again, key, "Another-Pass-88").status_code == 404
    invitee.refresh_from_db()
    assert invitee.check_password(NEW_PASSWORD)
    assert len(events(Action.INVITATION_ACCEPTED)) == 1


def test_a_wrong_code_is_an_inline_error_and_a_right_one_still_works(key, invitee, inbox):
    browser = Client()
    browser.post(page_url(key), {"address": NEW_MOBILE})
    right = inbox(NEW_MOBILE)
    wrong = browser.post(page_url(key), {"code": "000000" if right != "000000" else "111111"})
    assert wrong.status_code == 400
    html = wrong.content.decode()
    assert 'id="id_code-errors"' in html and "The code is wrong or has expired." in html
    assert browser.post(page_url(key), {"code": right}).status_code == 302
    assert set_password(browser, key).status_code == 302


def test_password_policy_errors_are_inline_and_keep_the_invitation(key, invitee, inbox):
    browser = Client()
    verify_mobile(browser, key, inbox)
    short = set_password(browser, key, "abc")
    assert short.status_code == 400
    assert 'id="id_new_password-errors"' in short.content.decode()
    assert "too short" in short.content.decode()
    differ = set_password(browser, key, NEW_PASSWORD, confirm="Something-else-1")
    assert differ.status_code == 400 and "The two passwords differ." in differ.content.decode()
    invitee.refresh_from_db()
    assert not invitee.is_active and not invitee.has_usable_password()
    assert set_password(browser, key).status_code == 302  # the verification was not burned


def test_password_step_needs_the_verification_first(key, invitee):
    """Skipping the code step (posting a password straight away) is the address step's
    form: nothing is accepted without proof while a sender is configured."""
    response = set_password(Client(), key)
    assert response.status_code == 400
    invitee.refresh_from_db()
    assert not invitee.is_active
    assert not events(Action.INVITATION_ACCEPTED)


def test_an_address_of_another_account_is_an_inline_error(key, inbox):
    create_test_user("owner", mobile=NEW_MOBILE)
    response = Client().post(page_url(key), {"address": NEW_MOBILE})
    assert response.status_code == 400
    assert "This address already belongs to another account." in response.content.decode()
    assert inbox(NEW_MOBILE) == ""


def test_another_address_can_be_chosen(key, inbox):
    browser = Client()
    browser.post(page_url(key), {"address": NEW_MOBILE})
    restarted = browser.post(page_url(key), {"restart": "1"})
    assert restarted.status_code == 302
    assert 'name="address"' in browser.get(page_url(key)).content.decode()


def test_progress_of_one_invitation_does_not_carry_over_to_another(key, invitee, inviter, inbox):
    finn = create_test_user("finn", password=None, is_active=False)
    other_key = create_invitation(finn, actor=inviter)[1]
    browser = Client()
    verify_mobile(browser, key, inbox)
    assert 'name="address"' in browser.get(page_url(other_key)).content.decode()


def test_mfa_policy_sends_the_invitee_to_enrol_before_any_session(key, invitee):
    no_senders()
    AccountConfig(mfa_policy="all").save()
    browser = Client()
    done = set_password(browser, key)
    assert done.status_code == 302 and done["Location"].startswith("/login/mfa/")
    assert not UserSession.objects.filter(user=invitee).exists()
    invitee.refresh_from_db()
    assert invitee.is_active  # the invitation is used up; the second factor comes next
    assert browser.get("/login/mfa/").status_code == 200


def test_posts_need_the_csrf_token(key, invitee):
    no_senders()
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(page_url(key))
    assert browser.post(page_url(key), {"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 403
    token = page.cookies["csrftoken"].value
    done = browser.post(
        page_url(key), {"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "csrfmiddlewaretoken": token}
    )
    assert done.status_code == 302


def test_requests_are_throttled_like_the_api(settings, key):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"credentials": "3/minute"}}
    browser = Client()
    assert [browser.get(page_url("guess")).status_code for _ in range(3)] == [404, 404, 404]
    limited = browser.get(page_url(key))
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    # One counter per client address for the page and the API.
    assert Client().get(API_INVITED, {"key": key}).status_code == 429


def test_the_api_and_the_page_agree(key, invitee, api_client, inbox):
    """Each side sees what the other did: unknown keys, the channels offered, and an
    invitation accepted on the page is gone for the API (landing, codes and accepting)."""
    assert api_client.get(API_INVITED, {"key": "nope"}).status_code == 404
    assert Client().get(page_url("nope")).status_code == 404
    assert api_client.get(API_INVITED, {"key": key}).json()["verify_with"] == ["sms", "email"]
    landing = Client().get(page_url(key)).content.decode()
    assert 'for="id_address">Email or mobile number<' in landing  # both channels offered

    browser = Client()
    verify_mobile(browser, key, inbox)
    assert set_password(browser, key).status_code == 302

    assert api_client.get(API_INVITED, {"key": key}).status_code == 404
    code = api_client.post("/siteapi/oneid/service/email/activate_user/", {"email": "e@x.example", "key": key})
    assert code.status_code == 404
    answer = api_client.patch(API_INVITED, {"key": key, "password": "Other-Pass-99"}, format="json")
    assert answer.status_code == 404


def test_a_key_accepted_through_the_api_is_gone_for_the_page(key, api_client):
    no_senders()
    assert api_client.patch(API_INVITED, {"key": key, "password": NEW_PASSWORD}, format="json").status_code == 200
    assert Client().get(page_url(key)).status_code == 404


def test_login_page_carries_the_v1_link_forwarder():
    html = Client().get("/login/").content.decode()
    assert '<script src="/static/accounts/v1-links.js"></script>' in html
    assert "onload=" not in html and "onclick=" not in html


def test_chinese_page(key):
    html = Client().get(page_url(key), headers={"Accept-Language": "zh-hans"}).content.decode()
    assert "激活您的账号" in html
