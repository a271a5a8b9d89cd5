"""``ucenter/tokens/``: the caller's own working tokens (one per login), and revoking one."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response

from apps.accounts.actions.tokens import revoke_token
from apps.accounts.api.serializers import TokenSerializer
from apps.accounts.queries import active_token_of, active_tokens_of
from apps.core.permissions import IsActiveUser


class TokenListView(generics.ListAPIView):
    permission_classes = [IsActiveUser]
    serializer_class = TokenSerializer

    def get_queryset(self):
        return active_tokens_of(self.request.user)


class TokenDetailView(generics.GenericAPIView):
    permission_classes = [IsActiveUser]
    serializer_class = TokenSerializer

    @extend_schema(responses={204: None})
    def delete(self, request, token_id):
        revoke_token(active_token_of(request.user, token_id), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
