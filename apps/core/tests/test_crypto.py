from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.db import connection, models
from django.test.utils import isolate_apps

from apps.core.crypto import EncryptedTextField, decrypt, encrypt

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()


def test_round_trip_and_ciphertext_hides_the_plaintext(settings):
    settings.ENCRYPTION_KEYS = [KEY_A]
    token = encrypt("hunter2")
    assert "hunter2" not in token
    assert decrypt(token) == "hunter2"
    assert encrypt("hunter2") != token  # random IV: equal secrets do not look equal at rest


def test_rotation_new_key_first_old_key_still_decrypts(settings):
    settings.ENCRYPTION_KEYS = [KEY_A]
    old_token = encrypt("s3cret")

    settings.ENCRYPTION_KEYS = [KEY_B, KEY_A]  # rotate: the new key first, the old one kept
    assert decrypt(old_token) == "s3cret"
    new_token = encrypt("s3cret")

    settings.ENCRYPTION_KEYS = [KEY_B]  # the old key retired: re-encrypted values still read
    assert decrypt(new_token) == "s3cret"
    with pytest.raises(ValueError, match="cannot be decrypted with the configured keys"):
        decrypt(old_token)


def test_wrong_key_is_a_clear_error_not_garbage(settings):
    settings.ENCRYPTION_KEYS = [KEY_A]
    token = encrypt("s3cret")
    settings.ENCRYPTION_KEYS = [KEY_B]
    with pytest.raises(ValueError, match="cannot be decrypted with the configured keys"):
        decrypt(token)
    with pytest.raises(ValueError, match="cannot be decrypted"):
        decrypt("not a fernet token")


def test_without_keys_the_key_is_derived_from_the_secret_key(settings):
    settings.ENCRYPTION_KEYS = []
    settings.SECRET_KEY = "a" * 50
    token = encrypt("s3cret")
    assert decrypt(token) == "s3cret"
    settings.SECRET_KEY = "b" * 50
    with pytest.raises(ValueError, match="cannot be decrypted"):
        decrypt(token)


def test_a_malformed_configured_key_is_rejected(settings):
    settings.ENCRYPTION_KEYS = ["too-short"]
    with pytest.raises(ValueError, match="Fernet key"):
        encrypt("x")


@pytest.mark.django_db(transaction=True)
def test_encrypted_field_stores_ciphertext_and_reads_plaintext(settings):
    settings.ENCRYPTION_KEYS = [KEY_A]
    with isolate_apps("apps.core"):

        class Credential(models.Model):
            secret = EncryptedTextField(blank=True, null=True)

            class Meta:
                app_label = "core"

        with connection.schema_editor() as editor:
            editor.create_model(Credential)
        try:
            saved = Credential.objects.create(secret="client-secret-value")
            empty = Credential.objects.create(secret="")
            missing = Credential.objects.create(secret=None)
            with connection.cursor() as cursor:
                table = connection.ops.quote_name(Credential._meta.db_table)
                cursor.execute(f"SELECT secret FROM {table} WHERE id = %s", [saved.pk])  # noqa: S608
                (raw,) = cursor.fetchone()
            assert "client-secret-value" not in raw
            assert decrypt(raw) == "client-secret-value"
            assert Credential.objects.get(pk=saved.pk).secret == "client-secret-value"
            assert Credential.objects.get(pk=empty.pk).secret == ""
            assert Credential.objects.get(pk=missing.pk).secret is None

            settings.ENCRYPTION_KEYS = [KEY_B]
            with pytest.raises(ValueError, match="cannot be decrypted"):
                Credential.objects.get(pk=saved.pk)
        finally:
            with connection.schema_editor() as editor:
                editor.delete_model(Credential)
