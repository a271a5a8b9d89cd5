"""``invitation/user/<username>/`` (admin) and the public ``ucenter/profile/invited/``."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.actions.invitations import (
    accept_invitation,
    create_invitation,
    email_invitation,
    find_usable_invitation,
    invitation_url,
    verification_channels,
)
from apps.accounts.actions.mfa import open_challenge
from apps.accounts.api.serializers import InvitationAcceptSerializer, InvitationSerializer, InvitedProfileSerializer
from apps.accounts.login_response import build_login_response
from apps.accounts.masking import mask_email, mask_mobile
from apps.core.throttling import ClientIpScopedRateThrottle


class InvitationCreateView(APIView):
    """Administrators only (the API's default permission)."""

    @extend_schema(request=None, responses={201: InvitationSerializer})
    def post(self, request, username):
        user = get_object_or_404(get_user_model(), username=username.strip().lower())
        invitation, raw_key = create_invitation(user, actor=request.user)
        body = {"key": raw_key, "url": invitation_url(raw_key), "expires": invitation.expires}
        data = dict(InvitationSerializer(body).data)
        send = request.data.get("send", "") if hasattr(request.data, "get") else ""
        if str(send).lower() == "email":
            # Mailed to the user (the link then proves the mailbox); "mailed_to" null: deliver it yourself.
            data["mailed_to"] = email_invitation(user, body["url"])
        return Response(data, status=status.HTTP_201_CREATED)


class InvitedProfileView(APIView):
    """The invitation landing page: who is invited (masked), then set the password."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ClientIpScopedRateThrottle]
    throttle_scope = "credentials"

    @extend_schema(
        parameters=[OpenApiParameter("key", str, required=True)],
        responses={200: InvitedProfileSerializer, 404: OpenApiResponse(description="Unknown, used or expired key.")},
    )
    def get(self, request):
        user = find_usable_invitation(request.query_params.get("key", "")).user
        return Response(
            {
                "username": user.username,
                "name": user.name,
                "mobile": mask_mobile(user.mobile),
                "email": mask_email(user.email),
                "private_email": mask_email(user.private_email),
                # Channels on which the invitee must prove a mobile or email before activating.
                "verify_with": verification_channels(),
            }
        )

    @extend_schema(
        request=InvitationAcceptSerializer,
        responses={200: OpenApiResponse(description="A token and the user profile, as at login.")},
    )
    def patch(self, request):
        serializer = InvitationAcceptSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user, token = accept_invitation(
            data["key"], data["password"], sms_token=data["sms_token"], email_token=data["email_token"]
        )
        if token is None:
            return Response(open_challenge(user, channel="invitation"))
        return Response(build_login_response(user, token))
