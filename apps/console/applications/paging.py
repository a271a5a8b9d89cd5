"""A pager without a total count, for lists whose COUNT(*) costs more than the page itself.

Who holds a permission is one SQL condition over every user (grants, denials, group
subtrees; for a sub-administrator also their scope): at 100k users its COUNT(*) evaluates
that condition on every row, while the page (``ORDER BY id LIMIT 21``) stops as soon as it
has found 21 holders. So these pages fetch one row more than they show to learn whether
there is a next page, and say "page N" instead of "page N of M" (bench/bench_console_apps.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from apps.console.web import MAX_PAGE_SIZE, PAGE_SIZE

MAX_PAGE = 10_000  # deeper than anyone pages by hand; keeps OFFSET bounded


@dataclass
class PeekPage:
    object_list: list
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    def previous_page_number(self) -> int:
        return self.number - 1

    def next_page_number(self) -> int:
        return self.number + 1

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)


def _positive(value, default: int, ceiling: int) -> int:
    try:
        return min(max(int(value), 1), ceiling)
    except (TypeError, ValueError):
        return default


def peek_paginate(queryset, params: Mapping, per_page: int = PAGE_SIZE) -> PeekPage:
    """One page (``?page``, ``?size`` <= 100) of an ordered queryset, in one query."""
    size = _positive(params.get("size"), per_page, MAX_PAGE_SIZE)
    number = _positive(params.get("page"), 1, MAX_PAGE)
    start = (number - 1) * size
    rows = list(queryset[start : start + size + 1])
    if not rows and number > 1:  # past the end (a stale link): the first page, not an empty one
        return peek_paginate(queryset, {**params, "page": 1}, per_page)
    return PeekPage(object_list=rows[:size], number=number, has_next=len(rows) > size)
