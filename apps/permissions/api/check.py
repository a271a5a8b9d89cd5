"""The token check API apps call on every request (ArkID v1's HTTP protocol):
``GET auth/token/?perm_uid=&app_uid=|oauth_client_id=`` with the user's ``Authorization: Token``.

- 401: no token, or a bad, expired or revoked one (the token of an inactive user is bad).
- 200 with the user's profile and ``perms`` when no ``perm_uid`` is given or the user holds it;
  403 with the same body when not, so the app still learns who asked.
- With ``app_uid``, ``perms`` lists only that app's permissions, without the ``app_<uid>_``
  prefix (``access``, ``manage``); ``perm_uid`` may then be given either way.

Results come from the engine at request time (v1 read a table refreshed every 5 minutes): each
permission of the app is one cached ``has_perm``, so a repeated check costs the token lookup
and one query for the app with its permissions, whatever the directory's size.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.authentication import ApiTokenAuthentication
from apps.accounts.login_response import user_summary
from apps.core.permissions import IsActiveUser
from apps.permissions.queries import token_check


class TokenCheckView(APIView):
    # Apps send the user's token; a browser session is not what this endpoint is for.
    authentication_classes = [ApiTokenAuthentication]
    permission_classes = [IsActiveUser]

    @extend_schema(
        summary="Check a user's token and, optionally, one permission (for apps)",
        parameters=[
            OpenApiParameter("perm_uid", str, description="Permission to check (full, or relative to app_uid)"),
            OpenApiParameter("app_uid", str, description="Limit perms to this app and strip its prefix"),
            OpenApiParameter("oauth_client_id", str, description="Not available until OAuth 2.0 / OIDC"),
        ],
        responses={200: dict, 403: dict},
    )
    def get(self, request):
        code, perms = token_check.check(request.user, request.query_params)
        return Response({**user_summary(request.user), "perms": perms}, status=code)


urlpatterns = [
    path("auth/token/", TokenCheckView.as_view(), name="auth-token"),
]
