from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from apps.core.models import TimestampedModel


def digest(raw_key: str) -> str:
    """Tokens are 160+ random bits, so a plain SHA-256 is the right at-rest hash: it cannot
    be brute-forced and keeps every authenticated request to one indexed lookup."""
    return hashlib.sha256(raw_key.encode()).hexdigest()


def new_key() -> str:
    return secrets.token_hex(20)  # 40 hex characters, the shape ArkID v1 clients expect


class ApiToken(TimestampedModel):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    key_digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)  # shown in token lists so a user can tell them apart
    expires = models.DateTimeField()
    revoked = models.DateTimeField(null=True, blank=True)
    last_used = models.DateTimeField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-created"], name="accounts_token_user")]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user_id})"

    @property
    def is_valid(self) -> bool:
        return self.revoked is None and self.expires > timezone.now()


class Invitation(TimestampedModel):
    """A single-use, expiring link for an admin-created account to set its password."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations")
    inviter = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    key_digest = models.CharField(max_length=64, unique=True)
    # True when created for a not-yet-activated account: only such an invitation may activate it.
    activates = models.BooleanField(default=False)
    expires = models.DateTimeField()
    accepted = models.DateTimeField(null=True, blank=True)

    @property
    def is_usable(self) -> bool:
        return self.accepted is None and self.expires > timezone.now()


class Lockout(models.Model):
    """A lock the brute-force guard imposed (the live counters are in the cache): the list
    administrators see and clear. Expired rows are harmless and purged with the tokens."""

    class Scope(models.TextChoices):
        ACCOUNT = "account", "account"
        IP = "ip", "IP"

    scope = models.CharField(max_length=16, choices=Scope.choices)
    key = models.CharField(max_length=128)  # "user:<pk>", "unknown:<fingerprint>" or the IP
    label = models.CharField(max_length=254)  # what an administrator recognises: identifier or IP
    failures = models.PositiveIntegerField(default=0)
    until = models.DateTimeField()
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="accounts_lockout_scope_key")]

    def __str__(self) -> str:
        return f"{self.scope}:{self.label} until {self.until:%Y-%m-%d %H:%M}"
