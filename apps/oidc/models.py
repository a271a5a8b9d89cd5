"""OAuth 2.0 / OIDC storage: DOT's Application swapped for ours (1:1 with ``permissions.App``),
the ID token signing keys, and the digests of redeemed authorization codes.

DOT keeps its own Grant, AccessToken, RefreshToken and IDToken models; access and refresh
tokens are stored as SHA-256 checksums only (``COMPLIANT_BCP_RFC9700_TOKEN_STORAGE``).
Pending authorization codes are DOT's (single use, 60 seconds); once redeemed, only their
SHA-256 digest is kept, to recognise a replay (``RedeemedCode``).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from oauth2_provider.models import AbstractApplication

from apps.core.crypto import EncryptedTextField


class Application(AbstractApplication):
    """An OAuth client. Created, changed and deleted only through the ``oauth_app`` protocol
    of a ``permissions.App`` (apps.oidc.protocol), whose access permission decides who may
    use it."""

    ES256_ALGORITHM = "ES256"
    ALGORITHM_TYPES = (
        (AbstractApplication.RS256_ALGORITHM, _("RSA with SHA-2 256")),
        (ES256_ALGORITHM, _("ECDSA P-256 with SHA-2 256")),
    )

    # Redeclared (abstract fields may be overridden) to add ES256 and drop "none" and HS256:
    # an HS256 ID token needs the client secret in clear, which we never keep.
    algorithm = models.CharField(max_length=5, choices=ALGORITHM_TYPES, default=AbstractApplication.RS256_ALGORITHM)
    app = models.OneToOneField("permissions.App", on_delete=models.CASCADE, related_name="oauth_client")
    backchannel_logout_uri = models.URLField(max_length=1024, blank=True)
    # DOT allows one grant type per client; an ArkID client may allow several (space
    # separated DOT names). ``authorization_grant_type`` keeps the first, for DOT's own code.
    grant_types = models.TextField(blank=True, default="")

    class Meta(AbstractApplication.Meta):
        swappable = "OAUTH2_PROVIDER_APPLICATION_MODEL"

    def allows_grant_type(self, *grant_types) -> bool:
        allowed = set(self.grant_types.split()) or {self.authorization_grant_type}
        return not allowed.isdisjoint(grant_types)

    @property
    def jwk_key(self):
        from apps.oidc import keys

        return keys.active_key(self.algorithm).jwk


class SigningKey(models.Model):
    """One ID token signing key. The private key is encrypted at rest; a retired key stays
    published in the JWKS until every ID token it signed has expired."""

    kid = models.CharField(max_length=64, unique=True)
    algorithm = models.CharField(max_length=5)
    private_pem = EncryptedTextField()
    created = models.DateTimeField(auto_now_add=True)
    retired = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["algorithm", "retired"], name="oidc_key_alg_retired")]

    def __str__(self) -> str:
        return f"{self.algorithm} {self.kid}"


class RedeemedCode(models.Model):
    """An authorization code already exchanged, kept until it would have expired anyway so a
    replay can be recognised and the tokens issued from the code revoked (RFC 6749 4.1.2)."""

    code_digest = models.CharField(max_length=64, unique=True)
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="+")
    # Plain ids: DOT's token tables depend on this app's first migration, not the reverse.
    access_token_id = models.BigIntegerField(null=True)
    token_family = models.UUIDField(null=True)
    expires = models.DateTimeField(db_index=True)
