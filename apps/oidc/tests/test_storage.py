"""apps.oidc.storage's hand-written statements against the ORM they replace: the token rows
written with one precompiled INSERT are the rows ``save()`` writes, and the joined read of a
refresh token returns what the ORM reads."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.utils import timezone
from oauth2_provider.models import AccessToken, IDToken, RefreshToken

from apps.oidc import storage

pytestmark = pytest.mark.django_db
SKIPPED = {"id", "created", "updated", "token", "token_checksum", "jti", "token_family"}  # unique or per-row


def stored_row(model, pk: int) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {model._meta.db_table} WHERE id = %s", [pk])  # noqa: S608
        names = [col[0] for col in cursor.description]
        row = dict(zip(names, cursor.fetchone(), strict=True))
    return {name: value for name, value in row.items() if name not in SKIPPED}


def twins(make):
    """One instance inserted by storage.insert, one by save(); their stored rows."""
    fast, orm = make(), make()
    storage.insert(fast)
    orm.save()
    assert fast.pk is not None and fast._state.adding is False
    return fast, orm


def test_token_rows_are_the_rows_save_writes(rp, bob):
    app = rp[0].oauth_client
    expires = timezone.now() + dt.timedelta(hours=1)

    def id_token():
        return IDToken(user=bob, jti=uuid.uuid4(), application=app, expires=expires, scope="openid email")

    fast_id, orm_id = twins(id_token)
    assert stored_row(IDToken, fast_id.pk) == stored_row(IDToken, orm_id.pk)

    def access_token():
        token = AccessToken(user=bob, application=app, expires=expires, scope="openid", resource=["https://api"])
        token.token = uuid.uuid4().hex
        return token

    fast_at, orm_at = twins(access_token)
    assert stored_row(AccessToken, fast_at.pk) == stored_row(AccessToken, orm_at.pk)
    assert AccessToken.objects.get(pk=fast_at.pk).token_checksum == fast_at.token_checksum

    def refresh_token():
        token = RefreshToken(user=bob, application=app, token_family=uuid.uuid4(), access_token=None)
        token.token = uuid.uuid4().hex
        return token

    fast_rt, orm_rt = twins(refresh_token)
    assert stored_row(RefreshToken, fast_rt.pk) == stored_row(RefreshToken, orm_rt.pk)
