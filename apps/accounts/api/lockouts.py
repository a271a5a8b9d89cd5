"""``lockout/``: the brute-force guard's current locks, for administrators to see and clear."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from apps.accounts.actions.lockouts import clear_lockout
from apps.accounts.models import Lockout
from apps.accounts.queries import active_lockouts


class LockoutSerializer(serializers.ModelSerializer):
    class Meta:
        model = Lockout
        fields = ["id", "scope", "label", "failures", "until", "created"]
        read_only_fields = fields


class LockoutListView(generics.ListAPIView):
    """Administrators only (the API's default permission)."""

    serializer_class = LockoutSerializer

    def get_queryset(self):
        return active_lockouts()


class LockoutDetailView(generics.GenericAPIView):
    serializer_class = LockoutSerializer

    @extend_schema(responses={204: None})
    def delete(self, request, lockout_id: int):
        clear_lockout(get_object_or_404(active_lockouts(), pk=lockout_id), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
