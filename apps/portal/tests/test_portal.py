"""The portal pages through Django's test client: access rules come from the real engines."""

from __future__ import annotations

import pytest
from django.test import Client

from apps.accounts.models import UserSession
from apps.audit.models import Action, Event
from apps.directory.models import User
from apps.portal.tests.conftest import sign_in

pytestmark = pytest.mark.django_db


def test_pages_need_login():
    for url in ("/", "/profile/", "/password/", "/sessions/", "/contacts/"):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")


def test_my_apps_lists_only_granted_apps(bob_client):
    body = bob_client.get("/").content.decode()
    assert 'data-app="crm"' in body
    assert 'href="https://crm.example.com/"' in body
    assert 'data-app="erp"' not in body


def test_my_apps_search_is_server_side_and_htmx_gets_the_fragment(bob_client):
    assert 'data-app="crm"' not in bob_client.get("/?q=nothing").content.decode()
    fragment = bob_client.get("/?q=cr", headers={"HX-Request": "true"}).content.decode()
    assert 'data-app="crm"' in fragment
    assert "<html" not in fragment


def test_unsafe_home_url_is_not_linked(bob_client):
    from apps.permissions.models import App

    App.objects.filter(uid="crm").update(index="javascript:alert(1)")
    assert "javascript:" not in bob_client.get("/").content.decode()


def test_profile_edit_goes_through_the_action_and_audits(bob_client, staff):
    response = bob_client.post("/profile/", {"name": "Robert", "position": "Lead", "gender": "1", "avatar": ""})
    assert response.status_code == 302
    staff.refresh_from_db()
    assert (staff.name, staff.position, staff.gender) == ("Robert", "Lead", 1)
    assert Event.objects.filter(action=Action.USER_UPDATED, actor=staff).exists()


def test_profile_bad_input_shows_field_errors(bob_client):
    response = bob_client.post("/profile/", {"name": "x", "gender": "9"})
    assert response.status_code == 400
    assert 'class="errors"' in response.content.decode()


def test_change_password_keeps_the_session(bob_client):
    wrong = bob_client.post(
        "/password/", {"old_password": "nope", "new_password": "N3w-secret!x", "confirm": "N3w-secret!x"}
    )
    assert wrong.status_code == 400
    response = bob_client.post(
        "/password/", {"old_password": "Passw0rd!x", "new_password": "N3w-secret!x", "confirm": "N3w-secret!x"}
    )
    assert response.status_code == 302
    assert User.objects.get(username="bob").check_password("N3w-secret!x")
    assert bob_client.get("/").status_code == 200


def test_sessions_list_and_revoke_another_browser(bob_client):
    other = sign_in("bob")
    rows = list(UserSession.objects.filter(user__username="bob").order_by("created"))
    assert len(rows) == 2
    page = bob_client.get("/sessions/").content.decode()
    assert f'data-session="{rows[1].pk}"' in page
    assert bob_client.post(f"/sessions/{rows[1].pk}/end/").status_code == 302
    assert other.get("/").status_code == 302  # signed out
    assert bob_client.get("/").status_code == 200


def test_cannot_end_someone_elses_session(bob_client, db):
    from apps.directory.tests.factories import create_test_user

    create_test_user("carol")
    sign_in("carol")
    row = UserSession.objects.get(user__username="carol")
    assert bob_client.post(f"/sessions/{row.pk}/end/").status_code == 404
    assert UserSession.objects.filter(pk=row.pk).exists()


def test_logout_button_is_a_post_form(bob_client):
    body = bob_client.get("/").content.decode()
    assert 'action="/logout/"' in body and 'method="post"' in body
    bob_client.post("/logout/")
    assert bob_client.get("/").status_code == 302


def test_primary_colour_and_english(bob_client):
    from apps.directory.models import Organization

    Organization.objects.update_or_create(pk=1, defaults={"color": "#123abc"})
    body = bob_client.get("/", headers={"Accept-Language": "en"}).content.decode()
    assert "--arkid-primary: #123abc" in body
    assert "My apps" in body


def test_chinese_follows_the_browser(bob_client):
    body = bob_client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).content.decode()
    assert "我的应用" in body and "通讯录" in body
    assert '<html lang="zh-hans">' in body
