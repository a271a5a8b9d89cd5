"""Drop directory_group_path_like (PostgreSQL): migration 0003 made it by hand, but the path
field's db_index already gives Django's own directory_group_path_<hash>_like, the same
(path varchar_pattern_ops) index, so every group write maintained it twice."""

from django.db import migrations


def drop_path_pattern_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS directory_group_path_like")


def create_path_pattern_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS directory_group_path_like ON directory_group (path varchar_pattern_ops)"
        )


class Migration(migrations.Migration):
    dependencies = [("directory", "0008_drop_covered_indexes")]

    operations = [migrations.RunPython(drop_path_pattern_index, create_path_pattern_index)]
