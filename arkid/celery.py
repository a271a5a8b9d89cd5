import os

from celery import Celery, bootsteps

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "arkid.settings")

app = Celery("arkid")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class HeartbeatStep(bootsteps.StartStopStep):
    """Worker liveness: touch a file every few seconds from the consumer's timer.

    A consumer step, so it starts once the worker consumes and stops when the consumer
    restarts. The file logic is in apps/core/heartbeat.py (imported late: this module is
    imported before Django is set up); ``manage.py worker_heartbeat`` is the probe.
    """

    requires = {"celery.worker.consumer.tasks:Tasks"}

    def __init__(self, parent, **kwargs):
        super().__init__(parent, **kwargs)
        self.tref = None

    def start(self, parent):
        from apps.core import heartbeat

        heartbeat.beat()
        self.tref = parent.timer.call_repeatedly(heartbeat.interval(), heartbeat.beat)

    def stop(self, parent):
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None


app.steps["consumer"].add(HeartbeatStep)
