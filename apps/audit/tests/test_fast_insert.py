"""record_event writes its event with one precompiled INSERT (apps.core.rows): the row must be
exactly the one the ORM's ``save()`` writes, masking and NUL replacement included, and a
listener on the event's save signals must still be called."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.db.models.signals import post_save

from apps.audit import actions
from apps.audit.models import Action, Event, Outcome
from apps.core import request_context

pytestmark = pytest.mark.django_db


def stored_row(pk: int) -> dict:
    """The row as the database holds it (text of JSON columns, stored timestamps), without the
    columns that differ between two events by design."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {Event._meta.db_table} WHERE id = %s", [pk])  # noqa: S608
        names = [col[0] for col in cursor.description]
        row = dict(zip(names, cursor.fetchone(), strict=True))
    for name in ("id", "uuid", "created"):
        row.pop(name)
    return row


EVENTS = [
    {"action": Action.USER_UPDATED, "actor_name": "admin", "target_name": "bob"},
    {
        "action": Action.OAUTH_CLIENT_AUTH_FAILED,
        "target_name": "a\x00b",
        "target_id": "c\x00",
        "actor_name": "d\x00",
        "detail": {"client_id": "a\x00b", "k\x00": ["x\x00"], "client_secret": "s3cret", "n": 3, "ok": True},
        "changes": {"new_password": ["x", "y"], "name": ["é", "ü"]},
        "outcome": Outcome.FAILURE,
    },
]


@pytest.mark.parametrize("kwargs", EVENTS)
def test_the_fast_insert_writes_the_row_the_orm_writes(kwargs, user):
    facts = request_context.RequestContext(request_id="req-1", ip="203.0.113.9", user_agent="UA/1")
    token = request_context.activate(facts)
    try:
        action = kwargs.pop("action")
        fast = actions.record_event(action, actor=user, **kwargs)
        via_orm = actions.build_event(action, actor=user, **kwargs)
        via_orm.save(force_insert=True)
    finally:
        request_context.reset(token)
    assert fast.pk is not None and fast.pk != via_orm.pk
    assert stored_row(fast.pk) == stored_row(via_orm.pk)
    saved = Event.objects.get(pk=fast.pk)
    assert saved.uuid == fast.uuid and saved.created == fast.created
    assert saved.actor_id == user.pk and saved.ip == "203.0.113.9"


def test_a_listener_on_the_event_save_signal_is_still_called():
    seen = []

    def listener(sender, instance, created, **kwargs):
        seen.append((instance.action, created))

    uid = f"test-{uuid.uuid4()}"
    post_save.connect(listener, sender=Event, dispatch_uid=uid)
    try:
        actions.record_event(Action.USER_UPDATED, actor_name="admin")
    finally:
        post_save.disconnect(sender=Event, dispatch_uid=uid)
    assert seen == [("user.updated", True)]
    assert Event.objects.get().action == "user.updated"
