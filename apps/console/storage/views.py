"""``/console/storage/``: edit the file storage settings, test the connection.

"Test" checks the values in the form (with the saved secret key when the field is left
empty) without saving them; "Save" validates and saves. Both are apps.storage actions
(audited ``storage.tested`` / ``storage.config_updated``). The secret key is never sent back
to the browser."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from apps.console.config.web import render_settings
from apps.console.storage.forms import StorageForm
from apps.console.web import console_view
from apps.portal.web import errors_into_form
from apps.storage.actions import EDITABLE, build_config, test_connection, update_storage_config
from apps.storage.models import StorageConfig

PERM = "system_config_write"


def _initial(config: StorageConfig) -> dict:
    return {field: getattr(config, field) for field in EDITABLE if field != "secret_key"}


@sensitive_post_parameters("secret_key")
@console_view(PERM)
@require_http_methods(["GET", "POST"])
def storage_view(request):
    saved = StorageConfig.load()
    form = StorageForm(request.POST if request.method == "POST" else None, initial=_initial(saved))
    test_result = None
    if request.method == "POST" and form.is_valid():
        try:
            if request.POST.get("action") == "test":
                reason = test_connection(build_config(form.cleaned_data, saved), actor=request.user)
                test_result = {"ok": not reason, "reason": reason}
            else:
                update_storage_config(form.cleaned_data, actor=request.user)
                messages.success(request, _("The storage settings were saved."))
                return redirect("console-storage")
        except ValidationError as exc:
            errors_into_form(form, exc)
    context = {"form": form, "secret_set": bool(saved.secret_key), "test_result": test_result, "saved": saved}
    status = 400 if form.errors else 200
    # One of the Settings pages (same menu entry and tabs), though it lives in its own package.
    return render_settings(request, "console/storage/index.html", context, page="storage", status=status)
