"""``manage.py dingtalk_sync``: a full sync in the foreground, with a summary."""

from django.core.management.base import BaseCommand, CommandError

from apps.dingtalk.models import SyncRun
from apps.dingtalk.sync import run_sync


class Command(BaseCommand):
    help = "Sync the directory from DingTalk now (full), and print what changed."

    def handle(self, *args, **opts):
        run = run_sync(trigger="command")
        counts = ", ".join(f"{k} {v}" for k, v in sorted(run.counts.items())) or "-"
        self.stdout.write(
            f"run {run.pk}: {run.status} in {run.duration}s, {run.api_calls} API calls, "
            f"{run.rows_written} write statements; {counts}"
        )
        for error in run.errors[:20]:
            self.stdout.write(("warning: " if error.get("warning") else "error: ") + error["message"])
        if run.status != SyncRun.Status.SUCCEEDED:
            raise CommandError(f"sync {run.status}")
