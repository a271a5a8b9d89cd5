"""Shared plumbing of the console (管理后台): who may enter, how pages are rendered, paged,
sorted and searched. Every console page is a view decorated with :func:`console_view`.

The console holds no rules of its own: it asks :mod:`apps.directory.scope` what the actor
manages and calls the apps' actions, which enforce the same scope as the API, so a
sub-administrator sees and changes exactly what the API would let them.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

from apps.directory.scope import ManageScope, resolve_scope
from apps.portal.web import render_page

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
KEYWORD_MAX = 100
SUBMISSIONS_KEY = "console_submissions"
SUBMISSIONS_KEPT = 20  # forms open at once per session that can still be sent


def console_view(perm: str | None = None) -> Callable:
    """Decorate a console view: signed in (else ``/login/?next=``), an administrator or a
    sub-administrator (else a 403 page), and, with ``perm``, holding that system permission
    (administrators hold all). The resolved scope is ``request.scope``."""

    def decorate(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            scope = resolve_scope(request.user)
            if not scope.can_manage or (perm and not scope.holds(perm)):
                return render_page(request, "console/forbidden.html", {"scope": scope}, status=403)
            request.scope = scope
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def render_console(request, template: str, context: dict | None = None, *, section: str = "", status: int = 200):
    """A console page (or an htmx fragment of one) with the navigation for ``section``."""
    from apps.console.nav import nav_for  # the nav reverses every area's URLs: import late

    scope: ManageScope = getattr(request, "scope", None) or resolve_scope(request.user)
    context = {"nav": nav_for(scope, section), "section": section, "scope": scope, **(context or {})}
    return render_page(request, template, context, status=status)


def keyword_of(params: Mapping) -> str:
    return (params.get("q") or "").strip()[:KEYWORD_MAX]


def paginate(queryset, params: Mapping, per_page: int = PAGE_SIZE) -> Page:
    """One server-side page; ``page`` out of range gives the nearest page, ``size`` is capped."""
    try:
        size = min(max(int(params.get("size") or per_page), 1), MAX_PAGE_SIZE)
    except ValueError:
        size = per_page
    return Paginator(queryset, size).get_page(params.get("page"))


def sort_queryset(
    queryset: QuerySet, params: Mapping, allowed: Mapping[str, str], default: str
) -> tuple[QuerySet, str]:
    """Order by ``?sort=<key>`` or ``?sort=-<key>`` where ``key`` is one of ``allowed`` (a map
    of public keys to model fields, so arbitrary fields cannot be probed); ``id`` breaks ties
    so pages are stable. Returns the queryset and the sort key actually applied."""
    requested = (params.get("sort") or default).strip()
    descending = requested.startswith("-")
    key = requested.lstrip("-")
    if key not in allowed:
        descending, key = default.startswith("-"), default.lstrip("-")
    field = allowed[key]
    order = f"-{field}" if descending else field
    tie = "-id" if descending else "id"
    return queryset.order_by(order, tie), ("-" if descending else "") + key


def query_without(params: Mapping, *names: str) -> str:
    """The current query string minus ``names`` (for pager and sort links keeping filters)."""
    from urllib.parse import urlencode

    pairs = params.lists() if hasattr(params, "lists") else ((k, [v]) for k, v in params.items())
    kept = [(k, v) for k, values in pairs if k not in names for v in values if v not in ("", None)]
    return urlencode(kept)


def submission_token(request) -> str:
    """A one-time token for a form whose POST must not run twice. Reloading a page that a
    POST answered re-sends the POST (the page that shows a new app's secret once cannot be
    a redirect: the secret is never stored), which would create the app a second time."""
    token = secrets.token_urlsafe(16)
    pending = request.session.get(SUBMISSIONS_KEY, [])[-(SUBMISSIONS_KEPT - 1) :]
    request.session[SUBMISSIONS_KEY] = [*pending, token]
    return token


def first_submission(request) -> bool:
    """Whether this POST's ``submission`` token is fresh, using it up. False when the form was
    already sent (or is older than the last SUBMISSIONS_KEPT forms); a POST without a token
    (a script) is let through: the token guards against reloads, not attacks (CSRF does)."""
    token = request.POST.get("submission")
    if not token:
        return True
    pending = request.session.get(SUBMISSIONS_KEY, [])
    if token not in pending:
        return False
    request.session[SUBMISSIONS_KEY] = [t for t in pending if t != token]
    return True
