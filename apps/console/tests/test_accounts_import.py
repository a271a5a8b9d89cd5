"""CSV import in the console: all or nothing with a per-row report, inline for small files,
through a Celery job (progress polled by htmx) for large ones; administrators only."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.audit.models import Action, Event
from apps.console.accounts import imports
from apps.console.models import ImportJob
from apps.directory.models import User

pytestmark = pytest.mark.django_db

IMPORT = "/console/accounts/import/"
BAD = "username,name,email\nnew1,New One,new1@example.com\nBad Name!,Two,not-an-email\nnew3,Three,new1@example.com\n"
GOOD = "username,name,email\nnew1,New One,new1@example.com\nnew2,Two,new2@example.com\ncarol,Carol Updated,\n"


def upload(client, text: str, name: str = "users.csv"):
    return client.post(IMPORT, {"users": SimpleUploadedFile(name, text.encode(), content_type="text/csv")})


def test_a_bad_row_imports_nothing_and_reports_each_error(admin_web):
    response = upload(admin_web, BAD)
    assert response.status_code == 302
    page = admin_web.get(response["Location"])
    job = page.context["job"]
    assert job.state == ImportJob.State.REJECTED and job.error_count == 2
    assert not User.objects.filter(username__startswith="new").exists()
    html = page.content.decode()
    assert "hx-trigger" not in html  # finished: no more polling
    assert "Import a corrected file" in html
    report = admin_web.get(f"{IMPORT}{job.uuid}/errors.csv").content.decode("utf-8-sig").splitlines()
    assert report[0] == "row,username,field,message"
    fields = {(line.split(",")[0], line.split(",")[2]) for line in report[1:]}
    assert {("3", "username"), ("3", "email"), ("4", "email")} <= fields
    assert job.payload == b""  # the upload is not kept


def test_a_fixed_file_imports_and_audits(admin_web):
    response = upload(admin_web, GOOD)
    job = admin_web.get(response["Location"]).context["job"]
    assert job.state == ImportJob.State.DONE
    assert job.summary == {"created": 2, "updated": 1, "unchanged": 0}
    assert User.objects.get(username="carol").name == "Carol Updated"
    assert Event.objects.filter(action=Action.USERS_IMPORTED.value).exists()
    assert Event.objects.filter(action=Action.USER_CREATED.value, target_name="new2").exists()


def test_a_file_level_error_is_reported(admin_web):
    job = admin_web.get(upload(admin_web, "name\nx\n")["Location"]).context["job"]
    assert job.state == ImportJob.State.REJECTED and "username column" in job.message


def test_a_missing_file_is_a_field_error(admin_web):
    response = admin_web.post(IMPORT, {})
    assert response.status_code == 400 and "users" in response.context["form"].errors


def test_sub_admins_may_not_import(boss_web):
    assert boss_web.get(IMPORT).status_code == 403
    assert upload(boss_web, GOOD).status_code == 403
    assert not User.objects.filter(username="new1").exists()


def test_nobody_sees_another_admins_job(admin_web, world):
    job = admin_web.get(upload(admin_web, BAD)["Location"]).context["job"]
    other = User.objects.create(username="root2", is_admin=True)
    other.set_password("Passw0rd!x")
    other.save()
    from apps.console.tests.conftest import sign_in

    assert sign_in("root2").get(f"{IMPORT}{job.uuid}/").status_code == 404


def test_a_large_file_runs_in_a_worker_and_the_page_polls(admin_web, monkeypatch, django_capture_on_commit_callbacks):
    queued = []
    monkeypatch.setattr(imports, "INLINE_MAX_BYTES", 10)
    monkeypatch.setattr("apps.console.tasks.run_user_import.delay", queued.append)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(admin_web, GOOD)
    job = ImportJob.objects.get()
    assert queued == [job.pk] and job.state == ImportJob.State.QUEUED
    waiting = admin_web.get(response["Location"]).content.decode()
    assert 'hx-trigger="every 1s"' in waiting
    from apps.console.tasks import run_user_import

    run_user_import(job.pk)  # what the worker runs
    status = admin_web.get(response["Location"], headers={"HX-Request": "true"})
    assert status.context["job"].state == ImportJob.State.DONE
    assert "hx-trigger" not in status.content.decode() and "Created 2" in status.content.decode()
    run_user_import(job.pk)  # a duplicate delivery does nothing
    assert User.objects.filter(username__in=["new1", "new2"]).count() == 2


def test_the_job_refuses_a_former_admin(admin_web, world):
    admin = world["admin"]
    job = ImportJob.objects.create(actor=admin, payload=GOOD.encode())
    User.objects.filter(pk=admin.pk).update(is_admin=False)
    imports.run_job(job.pk)
    job.refresh_from_db()
    assert job.state == ImportJob.State.REJECTED and not User.objects.filter(username="new1").exists()


def test_a_job_whose_worker_was_lost_is_reported_failed(admin_web, world):
    import datetime as dt

    from django.utils import timezone

    job = ImportJob.objects.create(actor=world["admin"], payload=GOOD.encode(), state=ImportJob.State.WRITING)
    ImportJob.objects.filter(pk=job.pk).update(updated=timezone.now() - imports.STALE_AFTER - dt.timedelta(seconds=1))
    page = admin_web.get(f"{IMPORT}{job.uuid}/")
    job.refresh_from_db()
    assert job.state == ImportJob.State.FAILED and job.payload == b""
    assert "worker was lost" in page.content.decode()
    recent = ImportJob.objects.create(actor=world["admin"], payload=GOOD.encode(), state=ImportJob.State.WRITING)
    admin_web.get(f"{IMPORT}{recent.uuid}/")
    recent.refresh_from_db()
    assert recent.state == ImportJob.State.WRITING  # still within its time: left alone
