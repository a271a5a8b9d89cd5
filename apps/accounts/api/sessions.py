"""``ucenter/sessions/``: the caller's browser sessions, ending one; and
``user/<username>/sessions/end/``: an administrator ending everything of a user."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.actions.user_sessions import end_all_sessions, end_session_row, live_sessions_of
from apps.accounts.models import UserSession
from apps.core.permissions import IsActiveUser


class SessionSerializer(serializers.ModelSerializer):
    current = serializers.SerializerMethodField()

    class Meta:
        model = UserSession
        fields = ["id", "created", "expires", "ip", "user_agent", "current"]

    def get_current(self, obj) -> bool:
        session = getattr(self.context["request"], "session", None)
        return session is not None and session.session_key == obj.session_key


class SessionListView(APIView):
    permission_classes = [IsActiveUser]

    @extend_schema(responses={200: SessionSerializer(many=True)})
    def get(self, request):
        rows = live_sessions_of(request.user)
        return Response(SessionSerializer(rows, many=True, context={"request": request}).data)


class SessionDetailView(APIView):
    permission_classes = [IsActiveUser]

    @extend_schema(responses={204: None})
    def delete(self, request, session_id: int):
        row = next((r for r in live_sessions_of(request.user) if r.pk == session_id), None)
        if row is None:
            raise Http404
        end_session_row(row, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AdminEndSessionsView(APIView):
    """Administrators only (the API's default permission)."""

    @extend_schema(request=None, responses={200: OpenApiResponse(description="{sessions, tokens} ended")})
    def post(self, request, username: str):
        user = get_object_or_404(get_user_model(), username=username.lower())
        return Response(end_all_sessions(user, actor=request.user))
