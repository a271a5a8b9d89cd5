"""A user with must_reset_password gets a token that opens only the password change."""

from __future__ import annotations

import pytest
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from apps.accounts.actions.tokens import issue_token
from apps.accounts.tests.conftest import PASSWORD, token_client
from apps.core.permissions import IsActiveUser, IsArkidAdmin
from apps.directory.tests.factories import create_test_user

pytestmark = pytest.mark.django_db

FORBIDDEN = {"detail": "You must change your password before using this endpoint.", "code": "password_change_required"}


@pytest.fixture
def held_admin(login):
    create_test_user("boss", is_admin=True, must_reset_password=True)
    body = login("boss").json()
    assert body["require_reset_password"] is True
    return token_client(body["token"])


def test_held_token_is_refused_elsewhere_with_a_code(held_admin):
    for method, url in [
        ("get", "/siteapi/oneid/ucenter/tokens/"),
        ("post", "/siteapi/oneid/invitation/user/boss/"),
    ]:
        response = getattr(held_admin, method)(url)
        assert response.status_code == 403, url
        assert response.json() == FORBIDDEN


def test_held_token_may_use_the_allowlist(held_admin, django_capture_on_commit_callbacks):
    assert held_admin.get("/siteapi/oneid/meta/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = held_admin.put(
            "/siteapi/oneid/ucenter/password/",
            {"old_password": PASSWORD, "new_password": "Fresh-Secret-99"},
            format="json",
        )
    assert response.status_code == 200
    body = response.json()
    assert body["require_reset_password"] is False
    # The fresh token works everywhere the user is allowed.
    assert token_client(body["token"]).get("/siteapi/oneid/ucenter/tokens/").status_code == 200


def test_held_token_may_log_out(held_admin):
    assert held_admin.post("/siteapi/oneid/revoke/token/").status_code == 204
    assert held_admin.post("/siteapi/oneid/revoke/token/").status_code == 401


class ProfileLikeView(APIView):
    permission_classes = [IsActiveUser]
    allowed_during_password_change = ("GET",)

    def get(self, request):
        return Response({"ok": True})

    def patch(self, request):
        return Response({"ok": True})


class AdminView(APIView):
    permission_classes = [IsArkidAdmin]

    def get(self, request):
        return Response({"ok": True})


def _call(view, method: str, user):
    request = getattr(APIRequestFactory(), method)("/x/")
    force_authenticate(request, user=user)
    return view.as_view()(request)


def test_allowlist_attribute_can_name_methods():
    held = create_test_user("held", must_reset_password=True)

    assert _call(ProfileLikeView, "get", held).status_code == 200
    assert _call(ProfileLikeView, "head", held).status_code == 200
    response = _call(ProfileLikeView, "patch", held)
    assert response.status_code == 403
    assert response.data["code"] == "password_change_required"


def test_default_permissions_for_ordinary_users():
    normal = create_test_user("normal")
    admin = create_test_user("chief", is_admin=True)
    inactive = create_test_user("gone", is_active=False)

    assert _call(ProfileLikeView, "patch", normal).status_code == 200
    assert _call(AdminView, "get", normal).status_code == 403
    assert _call(AdminView, "get", admin).status_code == 200
    assert _call(AdminView, "get", inactive).status_code == 403


class OwnPermissionView(APIView):
    """Like the directory's views: its own permission class, which knows nothing of resets."""

    class AnyActive(BasePermission):
        def has_permission(self, request, view) -> bool:
            return bool(request.user and request.user.is_active)

    permission_classes = [AnyActive]

    def get(self, request):
        return Response({"ok": True})


class OwnPermissionAllowedView(OwnPermissionView):
    allowed_during_password_change = ("GET",)


def test_token_authentication_holds_views_with_their_own_permissions():
    held = create_test_user("held", must_reset_password=True)
    free = create_test_user("free")
    factory = APIRequestFactory()

    def call(view, user):
        request = factory.get("/x/", HTTP_AUTHORIZATION=f"Token {issue_token(user, actor=user)}")
        return view.as_view()(request)

    refused = call(OwnPermissionView, held)
    assert refused.status_code == 403
    assert refused.data["code"] == "password_change_required"
    assert call(OwnPermissionAllowedView, held).status_code == 200
    assert call(OwnPermissionView, free).status_code == 200
