"""``manage.py arkid_export [--output FILE]``: the whole directory as JSON (a backup)."""

from __future__ import annotations

import json
import os

from django.core.management.base import BaseCommand

from apps.ops.backup import export_directory


class Command(BaseCommand):
    help = "Export users, groups, group types, memberships, apps, permissions and grants as JSON."

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", help="file to write (created with mode 600); default: stdout")

    def handle(self, *args, output: str | None = None, **options):
        document = export_directory()
        if output is None:
            self.stdout.write(json.dumps(document, ensure_ascii=False))
            return
        # The file holds password hashes: readable by its owner only, from the first byte.
        fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document, handle, ensure_ascii=False, indent=1)
        counts = ", ".join(f"{len(v)} {k}" for k, v in document.items() if isinstance(v, list))
        self.stderr.write(f"exported {counts} to {output}")
