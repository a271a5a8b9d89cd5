from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.crypto import EncryptedTextField
from apps.core.models import TimestampedModel


def digest(raw_key: str) -> str:
    """Tokens are 160+ random bits, so a plain SHA-256 is the right at-rest hash: it cannot
    be brute-forced and keeps every authenticated request to one indexed lookup."""
    return hashlib.sha256(raw_key.encode()).hexdigest()


def new_key() -> str:
    return secrets.token_hex(20)  # 40 hex characters, the shape ArkID v1 clients expect


class ApiToken(TimestampedModel):
    # No index of its own: accounts_token_user (user, -created) serves every lookup by user.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, db_index=False, related_name="api_tokens"
    )
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


class SingletonModel(models.Model):
    """One row (pk 1) per installation; ``load()`` never writes, ``save`` pins the pk."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def load(cls):
        return cls.objects.filter(pk=1).first() or cls(pk=1)


class AccountConfig(SingletonModel):
    """v1's ``account_config``: which login and registration methods are open, plus our MFA policy."""

    class MfaPolicy(models.TextChoices):
        OPTIONAL = "optional", _("Optional")
        ADMINS = "admins", _("Required for administrators")
        ALL = "all", _("Required for everyone")

    allow_register = models.BooleanField(default=False)
    allow_email = models.BooleanField(default=False)  # login/registration/recovery by email code
    allow_mobile = models.BooleanField(default=False)  # ... by SMS code
    register_group_uid = models.CharField(max_length=255, blank=True)  # where self-registered users land
    mfa_policy = models.CharField(max_length=16, choices=MfaPolicy.choices, default=MfaPolicy.OPTIONAL)
    updated = models.DateTimeField(auto_now=True)


class PasswordPolicy(SingletonModel):
    """v1's ``PasswordComplexityConfig``; enforced by ``apps.accounts.password_policy``."""

    min_length = models.PositiveSmallIntegerField(default=8)
    min_upper = models.PositiveSmallIntegerField(default=0)
    min_lower = models.PositiveSmallIntegerField(default=0)
    min_letter = models.PositiveSmallIntegerField(default=0)
    min_digit = models.PositiveSmallIntegerField(default=0)
    min_special = models.PositiveSmallIntegerField(default=0)
    min_word = models.PositiveSmallIntegerField(default=0)  # words separated by spaces or punctuation
    updated = models.DateTimeField(auto_now=True)


class SmsConfig(SingletonModel):
    """SMS sender: Aliyun (``dysmsapi``) or the development log sender."""

    class Vendor(models.TextChoices):
        NONE = "", _("Not configured")
        ALIYUN = "aliyun", _("Aliyun SMS")
        LOG = "log", _("Development: write to the log")

    vendor = models.CharField(max_length=16, choices=Vendor.choices, blank=True, default="")
    access_key = models.CharField(max_length=128, blank=True)
    access_secret = EncryptedTextField(blank=True)
    signature = models.CharField(max_length=64, blank=True)
    template_code = models.CharField(max_length=64, blank=True)  # one template with a ${code} variable
    endpoint = models.CharField(max_length=255, blank=True, default="https://dysmsapi.aliyuncs.com/")
    updated = models.DateTimeField(auto_now=True)

    @property
    def is_configured(self) -> bool:
        if self.vendor == self.Vendor.LOG:
            return True
        return self.vendor == self.Vendor.ALIYUN and all(
            (self.access_key, self.access_secret, self.signature, self.template_code)
        )


class EmailConfig(SingletonModel):
    """SMTP sender (or the development log sender)."""

    class Security(models.TextChoices):
        STARTTLS = "starttls", "STARTTLS"
        SSL = "ssl", "SSL/TLS"
        NONE = "none", _("None (local relay only)")

    class Vendor(models.TextChoices):
        NONE = "", _("Not configured")
        SMTP = "smtp", "SMTP"
        LOG = "log", _("Development: write to the log")

    vendor = models.CharField(max_length=16, choices=Vendor.choices, blank=True, default="")
    host = models.CharField(max_length=255, blank=True)
    port = models.PositiveIntegerField(default=587)
    security = models.CharField(max_length=16, choices=Security.choices, default=Security.STARTTLS)
    access_key = models.CharField(max_length=254, blank=True)  # SMTP user (v1 name)
    access_secret = EncryptedTextField(blank=True)  # SMTP password (v1 name)
    from_address = models.EmailField(blank=True)
    nickname = models.CharField(max_length=64, default="ArkID")
    updated = models.DateTimeField(auto_now=True)

    @property
    def is_configured(self) -> bool:
        if self.vendor == self.Vendor.LOG:
            return True
        return self.vendor == self.Vendor.SMTP and bool(self.host and (self.from_address or self.access_key))


class VerificationCode(models.Model):
    """A code sent to an email address or mobile, then the short-lived token it is swapped for.

    Both are stored only as keyed hashes. The code is single use and allows a few guesses;
    the token (what ``ucenter/register/`` and friends take, v1's ``sms_token`` /
    ``email_token``) is single use too.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        SMS = "sms", _("SMS")

    channel = models.CharField(max_length=8, choices=Channel.choices)
    purpose = models.CharField(max_length=32)
    address = models.CharField(max_length=254)  # normalised: lower-case email or E.164 mobile
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE)
    code_digest = models.CharField(max_length=64)
    attempts = models.PositiveSmallIntegerField(default=0)
    expires = models.DateTimeField()
    verified = models.DateTimeField(null=True, blank=True)
    token_digest = models.CharField(max_length=64, blank=True, db_index=True)
    token_expires = models.DateTimeField(null=True, blank=True)
    consumed = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["channel", "address", "purpose", "-created"], name="accounts_code_lookup")]

    def __str__(self) -> str:
        return f"{self.channel}:{self.purpose} for {self.address}"


class TotpDevice(models.Model):
    """A user's authenticator app (RFC 6238, 30 s, 6 digits). The secret is encrypted at rest;
    ``last_step`` refuses a code that was already used (replay within its window)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="totp_device")
    secret = EncryptedTextField()
    confirmed = models.DateTimeField(null=True, blank=True)
    last_step = models.BigIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"TOTP of {self.user_id}"


class RecoveryCode(models.Model):
    """One-time codes for a lost authenticator, stored as SHA-256 (they are long and random)."""

    # No index of its own: accounts_recovery_lookup (user, digest) serves every lookup by user.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, db_index=False, related_name="recovery_codes"
    )
    digest = models.CharField(max_length=64)
    used = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "digest"], name="accounts_recovery_lookup")]

    def __str__(self) -> str:
        return f"recovery code of {self.user_id}"


class UserSession(models.Model):
    """A browser session, recorded at login so users can list and end their sessions (the
    session store itself cannot be searched by user). The store stays the authority: a row
    whose session is gone is stale and is not listed."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="browser_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    created = models.DateTimeField(auto_now_add=True)
    expires = models.DateTimeField()
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=255, blank=True)

    def __str__(self) -> str:
        return f"session of {self.user_id} from {self.ip}"
