"""Paging the audit log without counting the whole table.

The shape stays ArkID v1's ``{count, next, previous, results}`` plus ``count_is_estimate``.
Pages are read with LIMIT page_size + 1, so ``next`` is known without the count; the count
itself is exact when the last page is reached and otherwise comes from
:func:`apps.audit.queries.count_events` (capped or estimated). Any page number is accepted
while it still has rows, even past an estimated count.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from apps.audit import queries
from apps.core.pagination import PageNumberPagination

# Counting up to this many rows is fast on any index; beyond it the count is an estimate.
COUNT_CAP = 10_000


class AuditLogPagination(PageNumberPagination):
    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        size = self.get_page_size(request)
        self.number = self._page_number(request)
        offset = (self.number - 1) * size
        rows = list(queryset[offset : offset + size + 1])
        self.has_next = len(rows) > size
        rows = rows[:size]
        if self.number > 1 and not rows:
            raise NotFound(_("Invalid page."))
        if self.has_next:
            narrowed = bool(getattr(view, "event_filter", None) and view.event_filter.narrows)
            count, self.count_is_estimate = queries.count_events(queryset, narrowed=narrowed, cap=COUNT_CAP)
            # An estimate must not claim fewer rows than the pages already seen.
            self.count = max(count, offset + len(rows) + 1)
        else:  # the last page: the exact count comes for free
            self.count, self.count_is_estimate = offset + len(rows), False
        return rows

    def _page_number(self, request) -> int:
        raw = request.query_params.get(self.page_query_param) or "1"
        if raw == "last":
            raise NotFound(_("Invalid page."))  # would need the exact count this class avoids
        try:
            number = int(raw)
        except ValueError:
            raise NotFound(_("Invalid page.")) from None
        if number < 1:
            raise NotFound(_("Invalid page."))
        return number

    def get_next_link(self):
        if not self.has_next:
            return None
        return replace_query_param(self.request.build_absolute_uri(), self.page_query_param, self.number + 1)

    def get_previous_link(self):
        if self.number <= 1:
            return None
        url = self.request.build_absolute_uri()
        if self.number == 2:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, self.number - 1)

    def get_paginated_response(self, data):
        return Response(
            {
                "count": self.count,
                "count_is_estimate": self.count_is_estimate,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["properties"]["count_is_estimate"] = {
            "type": "boolean",
            "description": f"True when count is a cap ({COUNT_CAP}) or the table's estimated size.",
        }
        return response
