"""CSV import pages (administrators only, as in the API): upload, the job's progress (an htmx
fragment polled every second until the job ends) and its downloadable error report."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_http_methods

from apps.console.accounts import imports
from apps.console.accounts.forms import ImportForm
from apps.console.web import console_view, is_htmx, render_console

SECTION = "accounts"


def _admin_only(request):
    from django.core.exceptions import PermissionDenied

    if not request.scope.is_admin:
        raise PermissionDenied


@require_http_methods(["GET", "POST"])
@console_view()
def import_view(request):
    _admin_only(request)
    form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
    if request.method == "POST" and form.is_valid():
        job = imports.start_import(request.user, form.cleaned_data["users"])
        return redirect("console-accounts-import-job", job=job.uuid)
    status = 400 if form.errors else 200
    return render_console(request, "console/accounts/import.html", {"form": form}, section=SECTION, status=status)


def _job_context(job) -> dict:
    return {"job": job, "step": imports.progress_step(job)}


@require_GET
@console_view()
def job_view(request, job):
    _admin_only(request)
    found = imports.get_job(request.user, job)
    template = "console/accounts/_import_status.html" if is_htmx(request) else "console/accounts/import_job.html"
    return render_console(request, template, {**_job_context(found), "form": ImportForm()}, section=SECTION)


@require_GET
@console_view()
def job_errors_view(request, job):
    _admin_only(request)
    found = imports.get_job(request.user, job)
    response = HttpResponse(imports.error_lines(found), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-errors-{found.uuid.hex[:8]}.csv"'
    return response
