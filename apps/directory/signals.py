"""Signals the directory sends so upper layers can react without the directory importing them.

Both are sent on transaction commit, so listeners never act on a change that was rolled back.

- ``password_changed(sender=User, user=user)``: accounts revokes the user's API tokens.
- ``user_deleted(sender=User, user_id=..., username=...)``: the row is gone by then, so
  listeners get the old primary key and username rather than the instance.
- ``tree_changed(sender=Group, reason=...)``: memberships changed, or a group moved or was
  deleted. Unlike the others it is sent twice, at once and again on commit (see
  :func:`send_tree_changed`): permission caches must be stale neither inside the writing
  transaction nor after a concurrent reader cached pre-commit data.
"""

from __future__ import annotations

from django.db import transaction
from django.dispatch import Signal

password_changed = Signal()
user_deleted = Signal()
tree_changed = Signal()


def send_tree_changed(reason: str) -> None:
    from apps.directory.models import Group

    tree_changed.send(sender=Group, reason=reason)
    transaction.on_commit(lambda: tree_changed.send(sender=Group, reason=reason))
