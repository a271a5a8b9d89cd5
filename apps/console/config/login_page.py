"""The login page's branding: logo URL, company name and primary colour, with a live preview.

The preview is an htmx GET of the form's current values (no save, nothing written), rendered
with the same checks the login page applies: a colour that is not plain hex falls back to the
default and shows the form's error, a logo that is not http(s) or a site path is left out.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from apps.accounts.web.branding import DEFAULT_COLOUR, Branding, css_colour, safe_logo
from apps.console.config.forms import LoginPageForm
from apps.console.config.web import PERM, render_settings
from apps.console.web import console_view, render_console
from apps.directory.actions.organization import update_organization
from apps.directory.models import Organization
from apps.portal.web import errors_into_form

FIELDS = tuple(LoginPageForm.base_fields)


def _stored() -> dict:
    org = Organization.objects.filter(pk=1).first() or Organization()  # reading creates no row
    return {**{field: getattr(org, field) for field in FIELDS}, "color": css_colour(org.color)}


def preview_of(form: LoginPageForm) -> Branding:
    """What the login page would show with the form's values (valid or not)."""
    data = form.cleaned_data if form.is_valid() else {}
    name = data.get("name") or (form.data.get("name") or "").strip()[:255] or "ArkID"
    colour = css_colour(data["color"]) if "color" in data else DEFAULT_COLOUR
    logo = data["icon"] if "icon" in data else safe_logo(form.data.get("icon", ""))
    return Branding(name=name, logo=logo, colour=colour)


@require_http_methods(["GET", "POST"])
@console_view(PERM)
def login_page_view(request):
    if request.method == "POST":
        form = LoginPageForm(request.POST)
        if form.is_valid():
            try:
                update_organization(form.cleaned_data, actor=request.user)
            except ValidationError as exc:
                errors_into_form(form, exc)
            else:
                messages.success(request, _("Login page saved."))
                return redirect("console-config-login-page")
        status = 400
    else:
        form, status = LoginPageForm(initial=_stored()), 200
    preview = preview_of(form) if form.is_bound else preview_of(LoginPageForm(_stored()))
    context = {"form": form, "preview": preview}
    return render_settings(request, "console/config/login_page.html", context, page="login_page", status=status)


@require_GET
@console_view(PERM)
def preview_view(request):
    """The preview fragment for the values typed so far (htmx, as the administrator types)."""
    form = LoginPageForm(request.GET)
    context = {"preview": preview_of(form), "form": form}
    return render_console(request, "console/config/_login_preview.html", context, section="config")
