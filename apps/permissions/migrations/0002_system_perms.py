"""Seed ArkID v1's system permissions (same uids, so v1 clients keep working)."""

from __future__ import annotations

from django.db import migrations

SYSTEM_PERMS = [
    ("system_oneid_all", "all", "All system permissions"),
    ("system_user_create", "create", "Create users"),
    ("system_category_create", "create", "Create group categories"),
    ("system_app_create", "create", "Create apps"),
    ("system_log_read", "read", "Read the audit log"),
    ("system_config_write", "write", "Change the configuration"),
    ("system_account_sync", "sync", "Synchronise accounts"),
]


def seed(apps, schema_editor):
    Permission = apps.get_model("permissions", "Permission")
    for uid, action, name in SYSTEM_PERMS:
        Permission.objects.get_or_create(uid=uid, defaults={"name": name, "action": action, "kind": "system"})


def unseed(apps, schema_editor):
    apps.get_model("permissions", "Permission").objects.filter(uid__in=[p[0] for p in SYSTEM_PERMS]).delete()


class Migration(migrations.Migration):
    dependencies = [("permissions", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
