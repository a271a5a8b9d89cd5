"""``manage.py worker_heartbeat --max-age 60``: the Celery worker's liveness probe."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from apps.core import heartbeat


class Command(BaseCommand):
    help = "Exit 0 if the Celery worker wrote its heartbeat within --max-age seconds, else 1."

    def add_arguments(self, parser):
        parser.add_argument("--max-age", type=float, default=60.0, help="seconds (default 60)")

    def handle(self, *args, max_age: float, **options):
        seconds = heartbeat.age()
        if seconds is None:
            raise CommandError(f"no worker heartbeat at {heartbeat.heartbeat_path()}")
        if seconds > max_age:
            raise CommandError(f"worker heartbeat is {seconds:.0f}s old (max {max_age:.0f}s)")
        self.stdout.write(f"worker heartbeat {seconds:.1f}s old")
