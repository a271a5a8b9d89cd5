"""Signals the directory sends so upper layers can react without the directory importing them.

Both are sent on transaction commit, so listeners never act on a change that was rolled back.

- ``password_changed(sender=User, user=user)``: accounts revokes the user's API tokens.
- ``user_deleted(sender=User, user_id=..., username=...)``: the row is gone by then, so
  listeners get the old primary key and username rather than the instance.
"""

from __future__ import annotations

from django.dispatch import Signal

password_changed = Signal()
user_deleted = Signal()
