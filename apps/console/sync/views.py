"""Account sync (账号同步): DingTalk settings, "sync now" with live progress, the history of
runs and the push-back outbox.

Who: holders of ``system_account_sync`` (administrators hold all) start syncs, read the
history and the outbox and retry push-backs; the settings (AppSecret, callback keys) are the
administrators' only, as in the API (``config/dingtalk/``). Writes go through
:mod:`apps.dingtalk.actions`, which validate and audit.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from apps.console.sync.forms import DingTalkSettingsForm
from apps.console.web import console_view, paginate, query_without, render_console
from apps.dingtalk import actions
from apps.dingtalk import config as config_module
from apps.dingtalk.models import OutboxEntry, SyncRun
from apps.portal.web import errors_into_form

PERM = "system_account_sync"
SECTION = "sync"
OUTBOX_FILTERS = {
    "open": (OutboxEntry.Status.PENDING, OutboxEntry.Status.FAILED),
    "failed": (OutboxEntry.Status.FAILED,),
    "pending": (OutboxEntry.Status.PENDING,),
    "done": (OutboxEntry.Status.DONE,),
}


def _settings_form(data=None) -> DingTalkSettingsForm:
    effective = config_module.current()
    initial = {
        "app_key": effective.app_key,
        "corp_id": effective.corp_id,
        "sync_interval_minutes": effective.sync_interval_minutes,
        "push_back": effective.push_back,
        "match_by_mobile": effective.match_by_mobile,
        "match_by_email": effective.match_by_email,
        "login_provisioning": effective.login_provisioning,
    }
    stored = {name: bool(getattr(effective, name)) for name in actions.SECRET_FIELDS}
    return DingTalkSettingsForm(
        data, initial=initial, stored_secrets=stored, overridden=config_module.overridden_fields()
    )


def _index(request, form=None, status: int = 200):
    scope = request.scope
    context = {
        "tab": "index",
        "configured": config_module.current().configured,
        "form": (form or _settings_form()) if scope.is_admin else None,
        "running": actions.running_full_sync(),
        "latest": SyncRun.objects.first(),
        "open_outbox": OutboxEntry.objects.filter(status__in=OUTBOX_FILTERS["open"]).count(),
        "failed_outbox": OutboxEntry.objects.filter(status=OutboxEntry.Status.FAILED).count(),
    }
    return render_console(request, "console/sync/index.html", context, section=SECTION, status=status)


@require_GET
@console_view(PERM)
def index_view(request):
    return _index(request)


@require_POST
@console_view(PERM)
def settings_view(request):
    if not request.scope.is_admin:
        return render_console(request, "console/forbidden.html", section=SECTION, status=403)
    form = _settings_form(request.POST)
    if form.is_valid():
        try:
            actions.update_settings(form.changes(), actor=request.user)
        except ValidationError as exc:
            errors_into_form(form, exc)
        else:
            messages.success(request, _("The DingTalk settings were saved."))
            return redirect("console-sync")
    return _index(request, form, status=400)


@require_POST
@console_view(PERM)
def start_view(request):
    try:
        run = actions.start_sync(actor=request.user, trigger="console")
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
        return redirect("console-sync")
    return redirect("console-sync-run", run_id=run.pk)


@require_GET
@console_view(PERM)
def runs_view(request):
    page = paginate(SyncRun.objects.order_by("-started", "-id"), request.GET)
    context = {"tab": "runs", "page": page, "extra_query": _pager_query(request)}
    return render_console(request, "console/sync/runs.html", context, section=SECTION)


def _run_or_404(run_id: int) -> SyncRun:
    run = SyncRun.objects.filter(pk=run_id).first()
    if run is None:
        raise Http404
    return run


@require_GET
@console_view(PERM)
def run_view(request, run_id: int):
    context = {"tab": "runs", "run": _run_or_404(run_id)}
    return render_console(request, "console/sync/run.html", context, section=SECTION)


@require_GET
@console_view(PERM)
def run_status_view(request, run_id: int):
    """The progress fragment; it polls itself every second while the run is running."""
    context = {"run": _run_or_404(run_id)}
    return render_console(request, "console/sync/_run_status.html", context, section=SECTION)


@require_GET
@console_view(PERM)
def outbox_view(request):
    shown = request.GET.get("status") or "open"
    if shown not in OUTBOX_FILTERS:
        shown = "open"
    entries = OutboxEntry.objects.filter(status__in=OUTBOX_FILTERS[shown]).order_by("-id")
    context = {
        "tab": "outbox",
        "page": paginate(entries, request.GET),
        "shown": shown,
        "filters": [(key, _outbox_filter_label(key)) for key in OUTBOX_FILTERS],
        "extra_query": _pager_query(request),
        "push_back": config_module.current().push_back,
    }
    return render_console(request, "console/sync/outbox.html", context, section=SECTION)


@require_POST
@console_view(PERM)
def outbox_retry_view(request, entry_id: int):
    entry = OutboxEntry.objects.filter(pk=entry_id).first()
    if entry is None:
        raise Http404
    try:
        actions.retry_outbox_entry(entry, actor=request.user)
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
    else:
        messages.success(request, _("Entry #%(id)d will be sent again at the next push-back tick.") % {"id": entry.pk})
    back = request.POST.get("status") if request.POST.get("status") in OUTBOX_FILTERS else "open"
    return redirect(f"{reverse('console-sync-outbox')}?status={back}")


def _outbox_filter_label(key: str) -> str:
    return {
        "open": _("Pending and failed"),
        "failed": _("Failed"),
        "pending": _("Pending"),
        "done": _("Sent"),
    }[key]


def _pager_query(request) -> str:
    kept = query_without(request.GET, "page")
    return f"{kept}&" if kept else ""
