"""apps.oidc.storage's hand-written statements against the ORM they replace: the token rows
written with one precompiled INSERT are the rows ``save()`` writes, and the joined read of a
refresh token returns what the ORM reads."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.utils import timezone
from oauth2_provider.models import AccessToken, Grant, IDToken, RefreshToken

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


def values(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def issued_pair(app, user, value: str) -> RefreshToken:
    expires = timezone.now() + dt.timedelta(hours=1)
    access = AccessToken(user=user, application=app, expires=expires, scope="openid")
    access.token = uuid.uuid4().hex
    access.save()
    refresh = RefreshToken(user=user, application=app, access_token=access)
    refresh.token = value
    refresh.save()
    return refresh


def test_the_joined_refresh_token_read_is_what_the_orm_reads(rp, bob, django_assert_num_queries):
    refresh = issued_pair(rp[0].oauth_client, bob, "r1")
    orm = RefreshToken.objects.select_related("access_token", "user").get(pk=refresh.pk)
    with django_assert_num_queries(1):
        found = storage.refresh_token_for_grant(refresh.token_checksum)
        assert values(found) == values(orm)
        assert values(found.access_token) == values(orm.access_token)
        assert values(found.user) == values(orm.user)


def test_the_joined_read_prefers_the_live_token_and_gives_none_for_a_missing_row(rp, bob):
    app = rp[0].oauth_client
    revoked = issued_pair(app, bob, "same")
    RefreshToken.objects.filter(pk=revoked.pk).update(revoked=timezone.now(), access_token=None)
    live = issued_pair(app, bob, "same")
    assert storage.refresh_token_for_grant(live.token_checksum).pk == live.pk
    RefreshToken.objects.filter(pk=live.pk).update(revoked=timezone.now(), access_token=None)
    found = storage.refresh_token_for_grant(live.token_checksum)
    assert found.pk == live.pk  # the most recently revoked
    assert found.access_token is None
    assert storage.refresh_token_for_grant("0" * 64) is None


def test_nothing_refers_to_a_grant():
    """storage.delete_grant deletes the row with one DELETE: right only while no row of
    another table can point at a grant (the ORM would otherwise cascade)."""
    assert Grant._meta.related_objects == ()


def test_delete_grant_says_whether_there_was_one(rp, bob):
    app = rp[0].oauth_client
    expires = timezone.now() + dt.timedelta(minutes=1)
    Grant.objects.create(user=bob, code="c1", application=app, expires=expires, redirect_uri="https://rp", scope="")
    assert storage.delete_grant("c1", app.pk + 1) == 0  # another client's code
    assert storage.delete_grant("c1", app.pk) == 1
    assert storage.delete_grant("c1", app.pk) == 0
    assert not Grant.objects.exists()
