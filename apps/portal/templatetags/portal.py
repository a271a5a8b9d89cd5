"""Template helpers of the portal."""

from django import template

from apps.accounts.web.branding import safe_logo

register = template.Library()


@register.filter
def safe_url(value: str) -> str:
    """Only http(s) or same-site URLs reach ``href``/``src`` (an app's home URL or logo is
    admin input: a ``javascript:`` URL must not become a link)."""
    return safe_logo(value)


@register.filter
def initial(value: str) -> str:
    return (value or "?").strip()[:1].upper() or "?"
