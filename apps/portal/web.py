"""Shared view plumbing: every portal page is login-only and rendered with the branding."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.shortcuts import render

from apps.accounts.web.branding import current_branding
from apps.core.exceptions import DomainError
from apps.directory.scope import resolve_scope


def _can_manage(user) -> bool:
    """Administrators and sub-administrators get a link to the console (cached scope)."""
    return bool(user and user.is_authenticated) and resolve_scope(user).can_manage


def render_page(request, template: str, context: dict | None = None, *, status: int = 200):
    """``context`` plus the login-page branding (name, logo, primary colour) and the active tab.
    An htmx request for a partial gets the template's ``partial`` block when it asks for one."""
    context = {"branding": current_branding(), "can_manage": _can_manage(request.user), **(context or {})}
    return render(request, template, context, status=status)


def errors_into_form(form, exc: Exception) -> None:
    """An action's ValidationError/DomainError as inline field errors (unknown fields go to
    the form's top: no input is silently dropped)."""
    if isinstance(exc, DomainError):
        field = exc.field if exc.field in form.fields else None
        form.add_error(field, exc.message)
        return
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for field, messages in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
        return
    form.add_error(None, getattr(exc, "messages", [str(exc)]))
