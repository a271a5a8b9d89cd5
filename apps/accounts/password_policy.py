"""The configurable password policy (v1's ``PasswordComplexityConfig``) as a Django validator.

Listed in ``AUTH_PASSWORD_VALIDATORS`` after Django's own (minimum length 8, common
passwords, similarity to the user's attributes, all-numeric), so every place that sets a
password — admin, import, change, reset, registration — applies it.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from apps.accounts import config

_WORD_SPLIT = re.compile(r"[\s\W_]+")


def _special(ch: str) -> bool:
    return not ch.isalnum() and not ch.isspace()


# (policy field, counter, message for one, message for several)
RULES = (
    ("min_upper", str.isupper, "at least %(n)d uppercase letter", "at least %(n)d uppercase letters"),
    ("min_lower", str.islower, "at least %(n)d lowercase letter", "at least %(n)d lowercase letters"),
    ("min_letter", str.isalpha, "at least %(n)d letter", "at least %(n)d letters"),
    ("min_digit", str.isdigit, "at least %(n)d digit", "at least %(n)d digits"),
    ("min_special", _special, "at least %(n)d special character", "at least %(n)d special characters"),
)


def problems(password: str, policy) -> list[str]:
    """Each rule of ``policy`` that ``password`` breaks, as a translated phrase."""
    found = []
    if len(password) < policy.min_length:
        found.append(
            ngettext("at least %(n)d character", "at least %(n)d characters", policy.min_length)
            % {"n": policy.min_length}
        )
    for field, counter, one, many in RULES:
        need = getattr(policy, field)
        if need and sum(1 for ch in password if counter(ch)) < need:
            found.append(ngettext(one, many, need) % {"n": need})
    words = [w for w in _WORD_SPLIT.split(password) if w]
    if policy.min_word and len(words) < policy.min_word:
        found.append(ngettext("at least %(n)d word", "at least %(n)d words", policy.min_word) % {"n": policy.min_word})
    return found


class ConfiguredPolicyValidator:
    """Applies the administrator's policy (``config/``'s ``password_config``)."""

    def validate(self, password: str, user=None) -> None:
        found = problems(password, config.password_policy())
        if found:
            raise ValidationError(
                _("The password must contain %(rules)s.") % {"rules": ", ".join(found)}, code="password_policy"
            )

    def get_help_text(self) -> str:
        found = problems("", config.password_policy())
        return _("The password must contain %(rules)s.") % {"rules": ", ".join(found)} if found else ""
