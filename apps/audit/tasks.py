from celery import shared_task

from apps.audit import actions


@shared_task(name="audit.purge_expired_events")
def purge_expired_events() -> int:
    return actions.purge_expired_events()
