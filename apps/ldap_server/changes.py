"""The directory change feed that keeps the LDAP view fresh without rebuilding it.

Writers: receivers on the directory's models append one :class:`~apps.ldap_server.models.Change`
row per changed user or group, inside the writer's transaction, so a rolled-back change never
shows and a committed one always does. A membership change records both its user and group.
The directory's bulk writes that send no per-row signals (group moves, bulk membership adds)
send ``tree_changed``, recorded as a ``tree`` change. Users created with ``bulk_create`` (the
CSV import) send no signal either: each poll also looks for user primary keys above the
highest one seen (and creations of the last ``WINDOW``).

Reader: the server polls for rows above the last id it applied (one indexed query, every
``POLL_INTERVAL`` seconds), re-reads each named user or group in a worker thread and patches
the view with it on the event loop (:meth:`DirectoryView.put_user` / :meth:`put_group`); a
``tree`` row re-reads groups and memberships but keeps the user entries. When Redis is
configured, writers also publish on commit to ``arkid:ldap:changes`` and the server polls at
once on a message; the timer stays as the fallback. Rows older than ``RETENTION`` are pruned
by the server every minute and by every ``PRUNE_EVERY``-th writer.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

logger = logging.getLogger(__name__)

CHANNEL = "arkid:ldap:changes"
RETENTION = dt.timedelta(minutes=10)
POLL_INTERVAL = 0.25
PRUNE_EVERY = 1000  # writers prune old rows every this many changes
BATCH = 2000  # more pending rows than this in one poll: reload instead of applying each


@functools.cache
def _redis(url: str):
    import redis

    return redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)


def _notify() -> None:
    if not settings.REDIS_URL:
        return
    try:
        _redis(settings.REDIS_URL).publish(CHANNEL, b"1")
    except Exception:  # noqa: BLE001 - the poll timer still picks the change up
        logger.debug("LDAP change notification failed", exc_info=True)


def record(kind: str, object_id: int = 0) -> None:
    from apps.ldap_server.models import Change

    change = Change.objects.create(kind=kind, object_id=object_id or 0)
    transaction.on_commit(_notify)
    if change.pk % PRUNE_EVERY == 0:  # bounded even when no LDAP server runs to prune it
        prune()


def _user_changed(sender, instance, **kwargs) -> None:
    update_fields = kwargs.get("update_fields")
    if update_fields and set(update_fields) <= {"last_login", "last_active_time"}:
        return  # not part of the LDAP view (a password change is: it empties the bind cache)
    record("user", instance.pk)


def _group_changed(sender, instance, **kwargs) -> None:
    record("group", instance.pk)


def _membership_changed(sender, instance, **kwargs) -> None:
    record("user", instance.user_id)
    record("group", instance.group_id)


def _tree_changed(sender, reason="", **kwargs) -> None:
    # Sent twice, inside the writer's transaction and again on commit; both are recorded (the
    # first may be outside any transaction) and one poll applies a tree change only once.
    record("tree")


def connect() -> None:
    from apps.directory.models import Group, Membership, User
    from apps.directory.signals import tree_changed

    for signal in (post_save, post_delete):
        signal.connect(_user_changed, sender=User, dispatch_uid=f"ldap_user_{signal}")
        signal.connect(_group_changed, sender=Group, dispatch_uid=f"ldap_group_{signal}")
        signal.connect(_membership_changed, sender=Membership, dispatch_uid=f"ldap_membership_{signal}")
    tree_changed.connect(_tree_changed, dispatch_uid="ldap_tree")


def last_id() -> int:
    from apps.ldap_server.models import Change

    return Change.objects.order_by("-id").values_list("id", flat=True).first() or 0


class ChangeReader:
    """Reads pending changes (in a worker thread) and applies them to a view (on the loop).

    Ids come from a sequence, and a transaction that took a lower id can commit after one with
    a higher id was read; so each poll also re-reads the rows of the last ``WINDOW`` and keeps
    the ones not seen yet. Each user or group is re-read once however many rows name it."""

    WINDOW = dt.timedelta(seconds=30)

    def __init__(self, view):
        from apps.directory.models import User

        self.view = view
        self.after = last_id()
        self.seen: dict[int, dt.datetime] = {}
        self.max_user = User.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    def _bulk_created_users(self, since: dt.datetime) -> list[int]:
        """Users inserted with ``bulk_create`` (the CSV import), which sends no signal: new
        primary keys, plus the last ``WINDOW`` of creations for out-of-order commits. Both
        lookups use an index (pk, ``created``)."""
        from django.db.models import Q

        from apps.directory.models import User

        rows = list(User.objects.filter(Q(pk__gt=self.max_user) | Q(created__gte=since)).values_list("pk", "is_active"))
        if rows:
            self.max_user = max(self.max_user, max(pk for pk, _active in rows))
        return [pk for pk, active in rows if active and pk not in self.view.user_dn]

    def fetch(self) -> list[tuple]:
        """The updates to apply, with their data already read from the database."""
        from django.db.models import Q

        from apps.ldap_server import dit
        from apps.ldap_server.models import Change

        since = timezone.now() - self.WINDOW
        rows = [
            row
            for row in Change.objects.filter(Q(id__gt=self.after) | Q(created__gte=since))
            .order_by("id")
            .values_list("id", "kind", "object_id", "created")[: BATCH + 1]
            if row[0] not in self.seen
        ]
        self.seen = {pk: at for pk, at in self.seen.items() if at >= since}
        for pk, _kind, _obj, at in rows:
            self.seen[pk] = at
        if rows:
            self.after = max(self.after, rows[-1][0])
        if len(rows) > BATCH:
            return [("all", dit.fetch_all())]
        kinds = {row[1] for row in rows}
        updates: list[tuple] = []
        if "tree" in kinds:
            updates.append(("tree", dit.fetch_tree()))
        else:
            groups = dict.fromkeys(obj for _id, kind, obj, _at in rows if kind == "group")
            updates += [("group", dit.fetch_group(pk)) for pk in groups]
        users = dict.fromkeys(obj for _id, kind, obj, _at in rows if kind == "user")
        users.update(dict.fromkeys(self._bulk_created_users(since)))
        updates += [("user", dit.fetch_user(pk)) for pk in users]
        return updates

    def apply(self, updates: list[tuple]) -> None:
        """Patch the view; runs on the event loop, so no request sees a half-applied batch."""
        for kind, data in updates:
            if kind == "all":
                self.view.load(data)
            elif kind == "tree":
                self.view.put_tree(*data)
            elif kind == "group":
                self.view.put_group(*data)
            else:
                self.view.put_user(*data)


def prune() -> int:
    from apps.ldap_server.models import Change

    deleted, _ = Change.objects.filter(created__lt=timezone.now() - RETENTION).delete()
    return deleted
