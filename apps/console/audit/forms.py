"""The audit log's filter form (GET). Every filter is validated here and handed to
:func:`apps.audit.queries.list_events` as an ``EventFilter``; bad values are inline errors."""

from __future__ import annotations

import datetime as dt
import functools

from django import forms
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from apps.audit import queries
from apps.audit.models import Action, Outcome
from apps.core.dates import parse_moment

ALL_OF = ".*"  # "user.*": every action of that family
# The console translates action and outcome labels under these message contexts (its own
# catalogue), so the log API's labels, and its keyword search over them, stay as they are.
ACTION_CONTEXT = "audit action"
OUTCOME_CONTEXT = "audit outcome"


@functools.cache
def _msgids(enum) -> dict[str, str]:
    with translation.override(None):  # the untranslated labels: the catalogue's msgids
        return {value: str(label) for value, label in enum.choices}


def action_label(value: str) -> str:
    """The action's label in the active language; an action no longer known shows as itself."""
    msgid = _msgids(Action).get(value)
    return pgettext(ACTION_CONTEXT, msgid) if msgid else value


def outcome_label(value: str) -> str:
    msgid = _msgids(Outcome).get(value)
    return pgettext(OUTCOME_CONTEXT, msgid) if msgid else value


def _outcome_choices() -> list:
    return [(value, outcome_label(value)) for value in Outcome.values]


def action_choices() -> list:
    """Actions grouped by family (``user``, ``group``, ``auth``, ...), each group led by "all of
    this family"; the groups keep the enum's order of first appearance."""
    families: dict[str, list] = {}
    for value in Action.values:
        families.setdefault(value.split(".", 1)[0], []).append((value, action_label(value)))
    choices: list = [("", _("Any action"))]
    for family, members in families.items():
        everything = (f"{family}{ALL_OF}", _("All %(family)s events") % {"family": family})
        choices.append((family, [everything, *members]))
    return choices


def _moment(text: str, *, end: bool) -> dt.datetime:
    """A date (the whole day when ``end``) or a datetime-local value; a minute-precision upper
    bound includes that whole minute."""
    moment = parse_moment(text, end_of_day=end)
    if end and len(text.strip()) == len("2024-05-01T08:00"):
        moment += dt.timedelta(seconds=59, microseconds=999_999)
    return moment


class EventFilterForm(forms.Form):
    action = forms.ChoiceField(label=_("Action"), required=False, choices=action_choices)
    actor = forms.CharField(label=_("Actor (username)"), max_length=150, required=False)
    since = forms.CharField(
        label=_("From"), required=False, max_length=40, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    until = forms.CharField(
        label=_("Until"), required=False, max_length=40, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    q = forms.CharField(label=_("Text"), max_length=100, required=False)
    outcome = forms.ChoiceField(label=_("Outcome"), required=False, choices=[("", _("Any outcome")), *Outcome.choices])

    def _clean_moment(self, name: str, *, end: bool):
        text = self.cleaned_data.get(name) or ""
        if not text.strip():
            return None
        try:
            return _moment(text, end=end)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_since(self):
        return self._clean_moment("since", end=False)

    def clean_until(self):
        return self._clean_moment("until", end=True)

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", _("Must not be earlier than the start."))
        return data

    def to_filter(self) -> queries.EventFilter:
        data = self.cleaned_data
        wanted = data.get("action") or ""
        if wanted.endswith(ALL_OF):
            family = wanted[: -len(ALL_OF)] + "."
            actions = tuple(value for value in Action.values if value.startswith(family))
        else:
            actions = (wanted,) if wanted else ()
        actor = (data.get("actor") or "").strip().lower()
        return queries.EventFilter(
            actions=actions,
            actor_names=(actor,) if actor else (),
            since=data.get("since"),
            until=data.get("until"),
            keyword=(data.get("q") or "").strip(),
            outcome=data.get("outcome") or "",
        )
