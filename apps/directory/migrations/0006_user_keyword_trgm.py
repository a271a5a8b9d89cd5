"""Trigram indexes for the user keyword search (PostgreSQL only).

The keyword filter (``apps.directory.queries.users.KEYWORD_FIELDS``), the console's user
picker and the colleague search are substring matches, ``UPPER(col::text) LIKE UPPER('%kw%')``,
which a btree cannot serve: every search scanned all users. A GIN ``gin_trgm_ops`` index on
each searched expression lets PostgreSQL combine them (BitmapOr) for the OR of the fields.
Every field of the OR needs one, or the planner falls back to the scan.

pg_trgm is a trusted extension (PostgreSQL 13+: a database owner may create it). Where it
cannot be created the migration leaves the search as it was instead of failing the upgrade.
SQLite has no equivalent; the embedded default keeps scanning.
"""

from django.db import migrations, transaction

FIELDS = ("username", "name", "email", "private_email", "mobile", "employee_number")


def _index(field: str) -> str:
    return f"directory_user_{field}_trgm"


def create_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic():  # a savepoint: a refused extension must not abort the migration
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except Exception:  # noqa: BLE001 - no privilege or no contrib package: keep the scan
        return
    for field in FIELDS:
        # The expression Django's icontains produces on PostgreSQL, so the planner matches it.
        expression = f'UPPER("{field}"::text) gin_trgm_ops'
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {_index(field)} ON directory_user USING gin ({expression})")


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for field in FIELDS:
        schema_editor.execute(f"DROP INDEX IF EXISTS {_index(field)}")


class Migration(migrations.Migration):
    dependencies = [("directory", "0005_user_last_active_index")]

    operations = [migrations.RunPython(create_trigram_indexes, drop_trigram_indexes)]
