"""``ucenter/login/`` and ``revoke/token/``."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.actions.login import InvalidCredentials, login_with_password
from apps.accounts.actions.tokens import revoke_token
from apps.accounts.api.serializers import LoginSerializer
from apps.accounts.authentication import ApiTokenAuthentication
from apps.accounts.login_response import build_login_response
from apps.accounts.models import ApiToken
from apps.core.permissions import IsActiveUser
from apps.core.throttling import ClientIpScopedRateThrottle


class LoginView(APIView):
    # No authentication: a stale token in the browser must not turn the login page into a 401.
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ClientIpScopedRateThrottle]
    throttle_scope = "credentials"

    @extend_schema(request=LoginSerializer, responses={200: OpenApiResponse(description="Token and user profile.")})
    def post(self, request):
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = login_with_password(
            serializer.validated_data["username"], serializer.validated_data["password"], request=request
        )
        if result is None:
            # Unknown user, wrong password and inactive account: one answer, no enumeration.
            raise InvalidCredentials()
        if result.challenge is not None:
            # Second factor due: no token yet; answer with ucenter/login/mfa/.
            return Response(result.challenge)
        return Response(build_login_response(result.user, result.token))


class RevokeTokenView(APIView):
    """Logout: revoke the token that made this request, and no other."""

    authentication_classes = [ApiTokenAuthentication]
    permission_classes = [IsActiveUser]
    allowed_during_password_change = True

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        if isinstance(request.auth, ApiToken):
            revoke_token(request.auth, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
