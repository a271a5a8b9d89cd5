"""DingTalk admin API (config, sync start, run history) and the event-callback endpoint.

* ``config/dingtalk/`` GET/PATCH: AppKey, CorpId, schedule, matching rules. Secrets are
  write-only (``*_set`` booleans say whether one is stored); fields set by
  ``ARKID_DINGTALK_*`` variables are listed in ``overridden`` and refused on PATCH.
* ``task/import/ding/`` POST (ArkID v1's 开始同步, which was a GET): queues a full sync ->
  202 ``{task_id, run_id}``, audited ``dingtalk.sync_started``; 409 while a full sync is
  already queued or running.
* ``dingtalk/runs/`` and ``dingtalk/runs/<id>/``: the sync history (counts, calls, errors).
* ``dingtalk/outbox/`` and ``dingtalk/outbox/<id>/retry/``: push-back entries; retry one.
* ``dingtalk/callback/``: DingTalk's HTTP push (no ArkID authentication: the signature is the
  authentication). Verify, decrypt, queue an incremental sync of the named ids, answer the
  encrypted ``success`` at once (DingTalk's 1.5 s budget).
"""

from __future__ import annotations

import hashlib
import json
import logging

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.dingtalk import actions, callback_crypto, tasks
from apps.dingtalk import config as config_module
from apps.dingtalk.models import DingTalkSettings, OutboxEntry, SyncRun

logger = logging.getLogger(__name__)
USER_EVENTS = {
    "user_add_org",
    "user_modify_org",
    "user_leave_org",
    "user_active_org",
    "org_admin_add",
    "org_admin_remove",
}
DEPT_EVENTS = {"org_dept_create", "org_dept_modify", "org_dept_remove"}
DEDUPE_SECONDS = 600


def _config_body() -> dict:
    row = DingTalkSettings.load()
    effective = config_module.current()
    return {
        "app_key": effective.app_key,
        "corp_id": effective.corp_id,
        "app_secret_set": bool(effective.app_secret),
        "callback_token_set": bool(effective.callback_token),
        "callback_aes_key_set": bool(effective.callback_aes_key),
        "sync_interval_minutes": effective.sync_interval_minutes,
        "match_by_mobile": row.match_by_mobile,
        "match_by_email": row.match_by_email,
        "login_provisioning": row.login_provisioning,
        "push_back": effective.push_back,
        "configured": effective.configured,
        "overridden": config_module.overridden_fields(),
    }


class DingTalkConfigView(APIView):
    @extend_schema(summary="DingTalk settings (secrets never returned)", responses=dict)
    def get(self, request):
        return Response(_config_body())

    @extend_schema(summary="Change DingTalk settings", request=dict, responses=dict)
    def patch(self, request):
        data = request.data if isinstance(request.data, dict) else {}
        actions.update_settings(dict(data), actor=request.user)
        return Response(_config_body())


class SyncRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = SyncRun
        fields = [
            "id", "kind", "trigger", "status", "started", "finished", "duration",
            "api_calls", "rows_written", "counts", "errors",
        ]  # fmt: skip


class OutboxEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = OutboxEntry
        fields = [
            "id",
            "api",
            "target",
            "body",
            "status",
            "attempts",
            "next_attempt",
            "last_error",
            "created",
            "updated",
        ]


class OutboxListView(ListAPIView):
    """Push-back entries, newest first; ``?status=failed`` for the ones to look at."""

    serializer_class = OutboxEntrySerializer

    def get_queryset(self):
        queryset = OutboxEntry.objects.order_by("-id")
        wanted = self.request.query_params.get("status")
        return queryset.filter(status=wanted) if wanted else queryset


class OutboxRetryView(APIView):
    @extend_schema(summary="Retry a push-back entry", request=None, responses=OutboxEntrySerializer)
    def post(self, request, entry_id: int):
        entry = OutboxEntry.objects.filter(pk=entry_id).first()
        if entry is None:
            raise Http404
        return Response(OutboxEntrySerializer(actions.retry_outbox_entry(entry, actor=request.user)).data)


class ImportDingView(APIView):
    @extend_schema(summary="Start a full DingTalk sync (开始同步)", request=None, responses={202: dict})
    def post(self, request):
        if not config_module.current().configured:
            return Response(
                {"detail": "DingTalk AppKey and AppSecret are not configured.", "code": "not_configured"},
                status=status.HTTP_400_BAD_REQUEST,
            )
        try:
            run = actions.start_sync(actor=request.user, trigger="api")  # audited; one full sync at a time
        except ValidationError as exc:
            return Response({**exc.message_dict, "code": "sync_running"}, status=status.HTTP_409_CONFLICT)
        return Response({"task_id": run.task_id, "run_id": run.pk}, status=status.HTTP_202_ACCEPTED)


class SyncRunListView(ListAPIView):
    serializer_class = SyncRunSerializer
    queryset = SyncRun.objects.all()


class SyncRunDetailView(APIView):
    @extend_schema(summary="One DingTalk sync run", responses=SyncRunSerializer)
    def get(self, request, run_id: int):
        run = SyncRun.objects.filter(pk=run_id).first()
        if run is None:
            raise Http404
        return Response(SyncRunSerializer(run).data)


def _ids(payload: dict, *names) -> list:
    for name in names:
        for key, value in payload.items():
            if key.lower() == name.lower() and value:
                return value if isinstance(value, list) else [value]
    return []


class CallbackView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(summary="DingTalk event callback (signed and encrypted by DingTalk)", request=dict, responses=dict)
    def post(self, request):
        config = config_module.current()
        if not (config.callback_token and config.callback_aes_key and config.app_key):
            return Response({"detail": "DingTalk callbacks are not configured."}, status=status.HTTP_404_NOT_FOUND)
        params = request.query_params
        signature = params.get("msg_signature") or params.get("signature") or ""
        timestamp = params.get("timestamp") or params.get("timeStamp") or ""
        nonce = params.get("nonce") or ""
        ciphertext = request.data.get("encrypt") if isinstance(request.data, dict) else None
        try:
            if not isinstance(ciphertext, str):
                raise callback_crypto.CallbackCryptoError("no encrypt field")
            callback_crypto.verify(config.callback_token, timestamp, nonce, ciphertext, signature)
            payload = json.loads(callback_crypto.decrypt(config.callback_aes_key, config.app_key, ciphertext))
            if not isinstance(payload, dict):
                raise callback_crypto.CallbackCryptoError("payload is not an object")
        except (callback_crypto.CallbackCryptoError, ValueError) as exc:
            logger.warning("dingtalk callback refused: %s", exc)
            return Response({"detail": "Invalid signature or payload."}, status=status.HTTP_403_FORBIDDEN)
        self._dispatch(payload, ciphertext)
        return Response(
            callback_crypto.reply(config.callback_token, config.callback_aes_key, config.app_key, timestamp, nonce)
        )

    @staticmethod
    def _dispatch(payload: dict, ciphertext: str) -> None:
        event_type = str(_ids(payload, "EventType") and _ids(payload, "EventType")[0])
        userids = [str(u) for u in _ids(payload, "UserId", "UserIdList")] if event_type in USER_EVENTS else []
        dept_ids = [int(d) for d in _ids(payload, "DeptId")] if event_type in DEPT_EVENTS else []
        if not userids and not dept_ids:
            return  # check_url and events that change nothing the sync mirrors
        # DingTalk redelivers a push it thinks failed: the same ciphertext is handled once.
        key = "dingtalk:event:" + hashlib.sha256(ciphertext.encode()).hexdigest()
        if cache.add(key, 1, DEDUPE_SECONDS):
            tasks.sync_changes.delay(userids, dept_ids)


urlpatterns = [
    path("config/dingtalk/", DingTalkConfigView.as_view(), name="dingtalk-config"),
    path("task/import/ding/", ImportDingView.as_view(), name="dingtalk-import"),
    path("dingtalk/runs/", SyncRunListView.as_view(), name="dingtalk-run-list"),
    path("dingtalk/runs/<int:run_id>/", SyncRunDetailView.as_view(), name="dingtalk-run-detail"),
    path("dingtalk/outbox/", OutboxListView.as_view(), name="dingtalk-outbox-list"),
    path("dingtalk/outbox/<int:entry_id>/retry/", OutboxRetryView.as_view(), name="dingtalk-outbox-retry"),
    path("dingtalk/callback/", CallbackView.as_view(), name="dingtalk-callback"),
]
