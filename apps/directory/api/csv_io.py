"""CSV export and import of users (v1): ``migration/user/csv/export/`` and ``…/import/``."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import StreamingHttpResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.audit.actions import record_event
from apps.audit.models import Action
from apps.core.permissions import IsArkidManager
from apps.directory import csv_io
from apps.directory.queries import users as user_queries


class UserExportView(APIView):
    """Filters as in the user list, from the query string or (POST) a JSON body; a
    sub-administrator exports the users in their scope."""

    permission_classes = [IsArkidManager]

    @extend_schema(summary="Export users as CSV", request=None, responses={(200, "text/csv"): bytes})
    def get(self, request):
        return self._export(request, dict(request.query_params.items()))

    @extend_schema(summary="Export users as CSV", request=None, responses={(200, "text/csv"): bytes})
    def post(self, request):
        body = request.data if isinstance(request.data, dict) else {}
        filters = {**dict(request.query_params.items()), **body}
        return self._export(request, filters)

    def _export(self, request, filters: dict):
        users = user_queries.list_users(request.user, filters)
        record_event(Action.USERS_EXPORTED, actor=request.user, detail={"count": users.count(), "filters": filters})
        response = StreamingHttpResponse(csv_io.export_lines(users), content_type="text/csv; charset=utf-8")
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        response["Content-Disposition"] = f'attachment; filename="users-{stamp}.csv"'
        return response


class UserImportView(APIView):
    @extend_schema(summary="Import users from CSV (multipart: users, node_uid?)", request=None, responses={200: dict})
    def post(self, request):
        upload = request.FILES.get("users")
        if upload is None:
            raise ValidationError({"users": [_("Upload the CSV file in the field 'users'.")]})
        if upload.size > csv_io.MAX_FILE_BYTES:
            limit = csv_io.MAX_FILE_BYTES // (1024 * 1024)
            raise ValidationError({"users": [_("The file is larger than %(mb)d MB.") % {"mb": limit}]})
        group = None
        node_uid = (request.data.get("node_uid") or "").strip()
        if node_uid:
            group = user_queries.resolve_node_uids([node_uid], field="node_uid")[0]
        user_queries.require_access_to_all_users(request.user)  # an import may create or change anyone
        try:
            summary = csv_io.import_users(upload.read(), actor=request.user, group=group, file_name=upload.name)
        except csv_io.ImportRejected as exc:
            body = {"rows": exc.rows[: csv_io.MAX_REPORTED_ROWS], "error_count": len(exc.rows)}
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        return Response(summary)


urlpatterns = [
    path("migration/user/csv/export/", UserExportView.as_view(), name="user-csv-export"),
    path("migration/user/csv/import/", UserImportView.as_view(), name="user-csv-import"),
]
