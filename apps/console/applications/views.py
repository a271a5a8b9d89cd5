"""The Apps area: list, create, edit, delete apps, their interface details and one-time secrets.

Reads go through :mod:`apps.permissions.queries.apps` (an app outside a sub-administrator's
scope is a 404), writes through :mod:`apps.permissions.actions.apps` (which validates, audits
and, for a sub-administrator creating an app, gives them a manager group for it).

A protocol secret (OAuth client secret, LDAP service secret) is rendered in the response to
the POST that issued it and nowhere else: it is not stored, not put in the session, and the
page is sent ``Cache-Control: no-store``.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect
from django.utils.cache import add_never_cache_headers
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods, require_POST

from apps.console.applications.forms import AppForm, errors_into_app_form, initial_for
from apps.console.web import (
    console_view,
    first_submission,
    keyword_of,
    paginate,
    query_without,
    render_console,
    sort_queryset,
    submission_token,
)
from apps.core.exceptions import DomainError
from apps.permissions import protocols
from apps.permissions.actions import apps as app_actions
from apps.permissions.models import AppProtocol
from apps.permissions.queries import apps as app_queries

SECTION = "apps"
CREATE_PERM = "system_app_create"
SORTS = {"name": "name", "uid": "uid", "created": "id"}
# What a rotation sends per protocol, from its stored config (the rest stays as it is).
ROTATABLE = ("oauth_app", "ldap_app")


def _configs(app) -> dict[str, dict]:
    return {p.name: p.config for p in AppProtocol.objects.filter(app=app).order_by("name")}


def _render(request, template: str, context: dict, status: int = 200):
    return render_console(request, f"console/applications/{template}", context, section=SECTION, status=status)


@require_http_methods(["GET"])
@console_view()
def list_view(request):
    keyword = keyword_of(request.GET)
    apps = app_queries.manageable_apps(request.user)
    if keyword:
        apps = apps.filter(Q(name__icontains=keyword) | Q(uid__icontains=keyword.lower()))
    apps, sort = sort_queryset(apps, request.GET, SORTS, "name")
    page = paginate(app_queries.for_display(apps), request.GET)
    labels = {key: handler.label for key in protocols.known_names() if (handler := protocols.handler_for(key))}
    rows = [(app, [labels[p.name] for p in app.protocols.all() if p.name in labels]) for app in page]
    context = {
        "page": page,
        "rows": rows,
        "q": keyword,
        "sort": sort,
        "sort_query": query_without(request.GET, "sort", "page"),
        "pager_query": query_without(request.GET, "page"),
        "can_create": request.scope.holds(CREATE_PERM),
    }
    return _render(request, "list.html", context)


@require_http_methods(["GET", "POST"])
@console_view(CREATE_PERM)
def create_view(request):
    if request.method == "POST":
        if not first_submission(request):  # a reload of the page that showed the new app
            messages.warning(
                request, pgettext("console apps", "That form was already sent: no second app was created.")
            )
            return redirect("console-apps")
        form = AppForm(request.POST)
        if form.is_valid():
            try:
                app, one_time = app_actions.create_app(
                    actor=request.user, protocols=form.protocols(set()), **form.app_fields()
                )
            except (ValidationError, DomainError) as exc:
                errors_into_app_form(form, exc)
            else:
                return _secret_or_redirect(
                    request, app, one_time, pgettext("console apps", "App %(name)s created.") % {"name": app.name}
                )
        return _render(request, "form.html", _create_context(request, form), status=400)
    return _render(request, "form.html", _create_context(request, AppForm()))


def _create_context(request, form) -> dict:
    return {"form": form, "creating": True, "submission": submission_token(request)}


@require_http_methods(["GET", "POST"])
@console_view()
def edit_view(request, uid: str):
    app = app_queries.access_app(request.user, uid)
    configs = _configs(app)
    if request.method == "POST":
        form = AppForm(request.POST, initial={"uid": app.uid}, editing=True)
        if form.is_valid():
            try:
                app, one_time = app_actions.update_app(
                    app, actor=request.user, fields=form.app_fields(), protocols=form.protocols(set(configs))
                )
            except (ValidationError, DomainError) as exc:
                errors_into_app_form(form, exc)
            else:
                return _secret_or_redirect(
                    request, app, one_time, pgettext("console apps", "App %(name)s saved.") % {"name": app.name}
                )
        return _render(request, "form.html", {"form": form, "app": app}, status=400)
    form = AppForm(initial=initial_for(app, configs), editing=True)
    return _render(request, "form.html", {"form": form, "app": app})


def interface_details(app, configs: dict) -> list[dict]:
    """Per protocol: its label, the public facts (endpoints, client id, bind DN) and whether
    it has a secret that can be rotated. Built by the protocol handlers (URLs from
    ``ARKID_BASE_URL``, never from the request)."""
    sections = []
    for key in protocols.known_names():
        handler = protocols.handler_for(key)
        if handler is None or key not in configs:
            continue
        detail = handler.detail(app, configs[key])
        facts = []
        if detail.get("client_id"):
            facts.append(
                {"key": "client_id", "name": pgettext("console apps", "Client ID"), "value": detail["client_id"]}
            )
        if detail.get("bind_dn"):
            facts.append({"key": "bind_dn", "name": pgettext("console apps", "Bind DN"), "value": detail["bind_dn"]})
        facts += detail.get("more_detail", [])
        has_secret = key == "ldap_app" or (key == "oauth_app" and detail.get("client_type") != "public")
        sections.append(
            {"key": key, "label": handler.label, "facts": facts, "rotatable": key in ROTATABLE and has_secret}
        )
    return sections


@require_http_methods(["GET"])
@console_view()
def detail_view(request, uid: str):
    app = app_queries.access_app(request.user, uid)
    return _render(request, "detail.html", _detail_context(app))


def _detail_context(app, one_time: dict | None = None) -> dict:
    configs = _configs(app)
    return {
        "app": app,
        "configs": configs,
        "oauth": configs.get("oauth_app"),
        "sections": interface_details(app, configs),
        "one_time": one_time or {},
        "access_perm_uid": app.access_perm_uid,
    }


def _secret_or_redirect(request, app, one_time: dict, message: str):
    """Secrets issued by this request are shown now, once; otherwise back to the app's page."""
    secrets = {key: shown for key, shown in one_time.items() if shown.get("client_secret") or shown.get("secret")}
    if not secrets:
        messages.success(request, message)
        return redirect("console-app-detail", uid=app.uid)
    context = _detail_context(app, secrets)
    context["flash"] = message
    response = _render(request, "detail.html", context)
    add_never_cache_headers(response)  # no-store: the back button must not bring it back
    return response


@require_POST
@console_view()
def rotate_view(request, uid: str, protocol: str):
    app = app_queries.access_app(request.user, uid)
    configs = _configs(app)
    rotatable = {section["key"] for section in interface_details(app, configs) if section["rotatable"]}
    if protocol not in rotatable:  # not used by the app, or without a secret (a public client)
        raise Http404("No secret to rotate.")
    config = {**configs[protocol], "rotate_secret": True}
    try:
        app, one_time = app_actions.update_app(app, actor=request.user, fields={}, protocols={protocol: config})
    except (ValidationError, DomainError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect("console-app-detail", uid=app.uid)
    return _secret_or_redirect(
        request, app, one_time, pgettext("console apps", "A new secret was issued; the old one no longer works.")
    )


@require_POST
@console_view()
def delete_view(request, uid: str):
    app = app_queries.access_app(request.user, uid)
    app_actions.delete_app(app, actor=request.user)
    messages.success(request, pgettext("console apps", "App %(name)s deleted.") % {"name": app.name})
    return redirect("console-apps")
