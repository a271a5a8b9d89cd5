"""Celery tasks of the console (found by autodiscovery in each installed app's ``tasks``)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="console.run_user_import")
def run_user_import(job_id: int) -> None:
    from apps.console.accounts.imports import run_job

    run_job(job_id)
