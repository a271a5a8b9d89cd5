"""Signals other apps connect to (in their AppConfig.ready)."""

from django.dispatch import Signal

# Sent (sender=User, user=<user>) after an administrator ended every session and API token
# of ``user``. The OIDC provider connects to revoke the user's OAuth tokens too.
sessions_ended = Signal()
