"""``manage.py arkid_import FILE``: restore an ``arkid_export`` file into an empty installation."""

from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from apps.ops.restore import RestoreError, restore_directory


class Command(BaseCommand):
    help = "Restore a directory exported with arkid_export into a freshly migrated, empty database."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the export file, or - for stdin")

    def handle(self, *args, file: str, **options):
        try:
            if file == "-":
                document = json.load(sys.stdin)
            else:
                with open(file, encoding="utf-8") as handle:
                    document = json.load(handle)
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror}") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise CommandError(f"{file} is not valid JSON: {exc}") from None
        try:
            counts = restore_directory(document)
        except RestoreError as exc:
            raise CommandError(f"nothing was imported: {exc}") from None
        self.stdout.write("imported " + ", ".join(f"{n} {name}" for name, n in counts.items()))
