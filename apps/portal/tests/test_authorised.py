"""Authorised OAuth apps: listed while a token of the user is live, revoked one app at a time."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from oauth2_provider.models import AccessToken, RefreshToken

from apps.audit.models import Action, Event
from apps.directory.tests.factories import create_test_user
from apps.oidc.models import Application
from apps.permissions.actions.apps import create_app

pytestmark = pytest.mark.django_db


def oauth_app(admin, name: str) -> Application:
    config = {"redirect_uris": ["https://rp.example.com/cb"], "skip_authorization": True}
    app, _ = create_app(actor=admin, name=name, allow_any_user=True, protocols={"oauth_app": config})
    return Application.objects.get(app=app)


def issue(user, client, n: int) -> None:
    access = AccessToken.objects.create(
        user=user, application=client, token=f"a{n}{client.pk}", expires=timezone.now() + dt.timedelta(hours=1)
    )
    RefreshToken.objects.create(user=user, application=client, token=f"r{n}{client.pk}", access_token=access)


@pytest.fixture
def clients(staff):
    admin = create_test_user("root", is_admin=True)
    wiki, chat = oauth_app(admin, "Wiki"), oauth_app(admin, "Chat")
    issue(staff, wiki, 1)
    issue(staff, chat, 2)
    issue(create_test_user("carol"), wiki, 3)
    return wiki, chat


def test_lists_apps_with_live_tokens(bob_client, clients):
    body = bob_client.get("/authorised/").content.decode()
    assert "Wiki" in body and "Chat" in body


def test_revoke_one_app_only(bob_client, clients, staff):
    wiki, chat = clients
    assert bob_client.post(f"/authorised/{wiki.pk}/revoke/").status_code == 302
    assert not AccessToken.objects.filter(user=staff, application=wiki).exists()
    assert RefreshToken.objects.get(user=staff, application=wiki).revoked is not None
    assert AccessToken.objects.filter(user=staff, application=chat).exists()
    assert AccessToken.objects.filter(user__username="carol", application=wiki).exists()
    assert Event.objects.filter(action=Action.OAUTH_TOKENS_REVOKED, actor=staff).exists()
    body = bob_client.get("/authorised/").content.decode()
    assert 'data-client="wiki"' not in body.lower() and "Chat" in body


def test_cannot_revoke_an_app_without_own_tokens(bob_client, clients):
    wiki, _ = clients
    bob_client.post(f"/authorised/{wiki.pk}/revoke/")
    assert bob_client.post(f"/authorised/{wiki.pk}/revoke/").status_code == 404
    assert AccessToken.objects.filter(user__username="carol", application=wiki).exists()


def test_page_in_chinese(bob_client, clients):
    body = bob_client.get("/authorised/", headers={"Accept-Language": "zh-CN"}).content.decode()
    assert "已授权应用" in body and "撤销" in body
