"""LDAP: the server's address and base DN (deployment settings, read-only here) and the apps'
service accounts (``cn=<app uid>,ou=apps,<base>``).

A service account belongs to an app's ``ldap_app`` protocol (``apps.ldap_server``), so every
change goes through the permissions app's ``update_app``: adding the protocol issues the
account and its secret, ``rotate_secret`` a new secret, removing it deletes the account; all
audited. The secret is in the POST response only, never stored readable or shown again. Only
apps the actor manages are listed or changed (a sub-administrator holding the settings power
stays within their apps).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from apps.console.config.forms import ServiceAccountForm
from apps.console.config.web import PERM, render_settings
from apps.console.views import managed_apps
from apps.console.web import console_view, keyword_of, paginate, query_without, sort_queryset
from apps.core.exceptions import DomainError
from apps.ldap_server.models import ServiceAccount
from apps.ldap_server.service_accounts import bind_dn
from apps.permissions.actions.apps import update_app
from apps.portal.web import errors_into_form

PROTOCOL = "ldap_app"
SORTS = {"app": "app__name", "uid": "app__uid", "created": "created", "updated": "updated"}


def server_facts() -> list[dict]:
    base = settings.LDAP_BASE_DN
    return [
        {"id": "ldap-url", "label": _("LDAP address"), "value": settings.LDAP_URL},
        {"id": "ldap-base-dn", "label": _("Base DN"), "value": base},
        {"id": "ldap-people-dn", "label": _("User base DN"), "value": f"ou=people,{base}"},
        {"id": "ldap-dept-dn", "label": _("Department base DN"), "value": f"ou=dept,{base}"},
        {"id": "ldap-group-dn", "label": _("Other groups' base DN"), "value": f"ou=group,{base}"},
        {"id": "ldap-apps-dn", "label": _("Service accounts' base DN"), "value": f"ou=apps,{base}"},
    ]


def _accounts(request):
    apps = managed_apps(request.scope)
    accounts = ServiceAccount.objects.filter(app__in=apps).select_related("app")
    keyword = keyword_of(request.GET)
    if keyword:
        accounts = accounts.filter(Q(app__name__icontains=keyword) | Q(app__uid__icontains=keyword))
    return sort_queryset(accounts, request.GET, SORTS, "app")


def _page(request, *, form=None, issued=None, status: int = 200):
    accounts, sort = _accounts(request)
    page = paginate(accounts, request.GET)
    for account in page.object_list:
        account.bind_dn = bind_dn(account.app.uid)
    context = {
        "facts": server_facts(),
        "page": page,
        "sort": sort,
        "q": keyword_of(request.GET),
        "keep": query_without(request.GET, "page"),
        "keep_sort": query_without(request.GET, "page", "sort"),
        "form": form or ServiceAccountForm(),
        "issued": issued,
    }
    response = render_settings(request, "console/config/ldap.html", context, page="ldap", status=status)
    if issued:
        response["Cache-Control"] = "no-store"  # the secret must not linger in a cache or history
    return response


def _managed_app(request, uid: str):
    """The app ``uid`` if the actor manages it; else None (out of scope reads as missing)."""
    return managed_apps(request.scope).filter(uid=uid).first()


def _issued(app, one_time: dict) -> dict | None:
    shown = one_time.get(PROTOCOL) or {}
    return {"app": app, **shown} if shown.get("secret") else None


@require_GET
@console_view(PERM)
def ldap_view(request):
    return _page(request)


@require_POST
@console_view(PERM)
def create_view(request):
    form = ServiceAccountForm(request.POST)
    if form.is_valid():
        app = _managed_app(request, form.cleaned_data["app"].strip())
        if app is None:
            form.add_error("app", _("No app you manage has this uid."))
        elif ServiceAccount.objects.filter(app=app).exists():
            form.add_error("app", _("This app already has a service account; rotate its secret instead."))
        else:
            options = {"access_holders_only": form.cleaned_data["access_holders_only"]}
            try:
                app, one_time = update_app(app, actor=request.user, fields={}, protocols={PROTOCOL: options})
            except (ValidationError, DomainError) as exc:
                errors_into_form(form, exc)
            else:
                return _page(request, issued=_issued(app, one_time))
    return _page(request, form=form, status=400)


def _account_or_404(request, uid: str) -> ServiceAccount:
    account = ServiceAccount.objects.filter(app__in=managed_apps(request.scope), app__uid=uid).first()
    if account is None:
        raise Http404
    return account


@require_POST
@console_view(PERM)
def rotate_view(request, uid: str):
    account = _account_or_404(request, uid)
    options = {"rotate_secret": True, "access_holders_only": account.access_holders_only}
    app, one_time = update_app(account.app, actor=request.user, fields={}, protocols={PROTOCOL: options})
    return _page(request, issued=_issued(app, one_time))


@require_POST
@console_view(PERM)
def delete_view(request, uid: str):
    account = _account_or_404(request, uid)
    update_app(account.app, actor=request.user, fields={}, protocols={PROTOCOL: None})
    messages.success(request, _("The service account of %(app)s was deleted.") % {"app": account.app.name})
    return redirect("console-config-ldap")
