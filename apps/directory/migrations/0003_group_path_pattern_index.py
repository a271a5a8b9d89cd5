from django.db import migrations


def create_path_pattern_index(apps, schema_editor):
    # PostgreSQL's default collation cannot serve LIKE 'prefix%' from a plain btree; the
    # pattern-ops index makes "all descendants" an index range scan. SQLite's plain index
    # (from the field's db_index) is enough for the embedded default.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS directory_group_path_like "
            "ON directory_group (path varchar_pattern_ops)"
        )


def drop_path_pattern_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS directory_group_path_like")


class Migration(migrations.Migration):
    # Separate from 0002: PostgreSQL refuses CREATE INDEX on a table with pending
    # deferred-constraint triggers in the same transaction.
    dependencies = [("directory", "0002_builtin_group_types")]

    operations = [migrations.RunPython(create_path_pattern_index, drop_path_pattern_index)]
