from django.db import migrations

# (key, name, root uid): the root uids keep ArkID v1's node uids d_root, g_role and g_label.
BUILTIN_TYPES = [
    ("department", "部门", "root"),
    ("role", "角色", "role"),
    ("label", "标签", "label"),
]


def create_builtin_types(apps, schema_editor):
    GroupType = apps.get_model("directory", "GroupType")
    Group = apps.get_model("directory", "Group")
    for order, (key, name, root_uid) in enumerate(BUILTIN_TYPES):
        group_type, _ = GroupType.objects.get_or_create(key=key, defaults={"name": name, "is_builtin": True, "order": order})
        if group_type.root_id is None:
            root = Group.objects.create(uid=root_uid, name=name, type=group_type, path="", depth=0)
            root.path = f"/{root.pk}/"
            root.save(update_fields=["path"])
            group_type.root = root
            group_type.save(update_fields=["root"])


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial")]

    operations = [
        migrations.RunPython(create_builtin_types, migrations.RunPython.noop),
    ]
