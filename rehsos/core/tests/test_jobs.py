"""Background jobs: start_job and run_job, progress, the export jobs and their
files, the job pages with their HTMX progress bar, the API and the command line."""

import csv
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.conf import settings
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django_tasks_db.models import DBTaskResult
from openpyxl import load_workbook

from rehsos.core import jobs
from rehsos.core.errors import ValidationFailed
from rehsos.core.exports import start_export
from rehsos.core.jobs import Progress, execute_job, job_handler, start_job
from rehsos.core.logfilters import AccessFilters, AuditFilters
from rehsos.core.models import ApiToken, Job
from rehsos.core.roles import Role
from rehsos.core.tests.factories import FacilityFactory, UserFactory
from rehsos.core.tests.logins import verified_client

JAKARTA = ZoneInfo("Asia/Jakarta")
CALLS: list[str] = []


@job_handler("test.count")
def count_to(job, progress):
    CALLS.append(str(job.public_id))
    progress.total = job.params["n"]
    for _ in range(job.params["n"]):
        progress.advance(1, "counting")
    return {"counted": job.params["n"]}


@job_handler("test.refuse")
def refuse(job, progress):
    raise ValidationFailed("The centre code is not known.")


@job_handler("test.crash")
def crash(job, progress):
    progress.advance(2)
    raise RuntimeError("Siti Aminah")  # stands for personal data in an exception message


@pytest.fixture(autouse=True)
def files(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    CALLS.clear()
    return tmp_path


@pytest.fixture(autouse=True)
def english():
    """The command line speaks the default language; these assertions read English."""
    with translation.override("en"):
        yield


@pytest.fixture
def admin_client(national_admin):
    client = verified_client(national_admin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the assertions read English
    return client


def started(kind, user, params=None, *, capture):
    with capture(execute=True):
        return start_job(kind, user=user, title=f"Test {kind}", params=params or {})


# ---- start_job and run_job ---------------------------------------------------------------


def test_start_job_queues_one_task_after_the_commit(
    social_worker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        job = start_job("test.count", user=social_worker, title="Count", params={"n": 3})
        assert DBTaskResult.objects.count() == 0  # nothing before the commit
    assert len(callbacks) == 1
    callbacks[0]()

    job.refresh_from_db()
    task = DBTaskResult.objects.get()
    assert task.task_path == "rehsos.core.tasks.run_job"
    assert task.args_kwargs == {"args": [str(job.public_id)], "kwargs": {}}
    assert task.status == "READY"
    assert (job.status, job.attempts, job.task_id) == ("queued", 1, str(task.id))
    assert job.created_by == social_worker


def test_an_unknown_kind_is_refused_before_anything_is_written(social_worker):
    with pytest.raises(LookupError):
        start_job("nothing.such", user=social_worker, title="x")
    assert Job.objects.count() == 0


def test_run_job_runs_the_handler_and_records_progress_and_result(
    social_worker, django_capture_on_commit_callbacks
):
    job = started("test.count", social_worker, {"n": 4}, capture=django_capture_on_commit_callbacks)

    assert execute_job(str(job.public_id)) == {"job": str(job.public_id), "status": "done"}

    job.refresh_from_db()
    assert job.status == "done"
    assert (job.done, job.total, job.percent) == (4, 4, 100)
    assert job.result == {"counted": 4}
    assert job.message == "Finished"
    assert job.error == ""
    assert job.started_at <= job.finished_at


def test_running_a_finished_job_again_does_nothing(
    social_worker, django_capture_on_commit_callbacks
):
    job = started("test.count", social_worker, {"n": 2}, capture=django_capture_on_commit_callbacks)
    execute_job(str(job.public_id))
    job.refresh_from_db()
    finished_at = job.finished_at

    assert execute_job(str(job.public_id)) == {"job": str(job.public_id), "status": "done"}

    job.refresh_from_db()
    assert [str(job.public_id)] == CALLS
    assert job.finished_at == finished_at


def test_a_domain_error_fails_the_job_with_its_message(
    social_worker, django_capture_on_commit_callbacks
):
    job = started("test.refuse", social_worker, capture=django_capture_on_commit_callbacks)
    assert execute_job(str(job.public_id))["status"] == "failed"
    job.refresh_from_db()
    assert (job.status, job.error) == ("failed", "The centre code is not known.")


def test_an_unexpected_error_fails_the_job_and_logs_no_message(
    social_worker, django_capture_on_commit_callbacks, caplog
):
    job = started("test.crash", social_worker, capture=django_capture_on_commit_callbacks)
    execute_job(str(job.public_id))
    job.refresh_from_db()
    assert job.status == "failed"
    assert job.error == "Unexpected error: RuntimeError: Siti Aminah"
    assert job.done == 2
    assert "RuntimeError" in caplog.text
    assert "Siti Aminah" not in caplog.text


def test_progress_is_written_at_most_every_half_second(
    social_worker, monkeypatch, django_assert_num_queries
):
    job = Job.objects.create(kind="test.count", title="t", created_by=social_worker, attempts=1)
    clock = [100.0]
    monkeypatch.setattr(jobs.time, "monotonic", lambda: clock[0])
    progress = Progress(job)
    with django_assert_num_queries(1):
        progress.total = 1000
    with django_assert_num_queries(0):
        for _ in range(200):
            progress.advance(1, "rows")
    clock[0] += 0.6
    with django_assert_num_queries(1):
        progress.advance(1)
    job.refresh_from_db()
    assert (job.done, job.total, job.message, job.percent) == (201, 1000, "rows", 20)
    assert job.heartbeat_at is not None


# ---- exports -----------------------------------------------------------------------------


@pytest.fixture
def changes(national_admin):
    """Two centres, one renamed: three audit entries at known times (and no others).
    The admin reads English: a job speaks its creator's language."""
    national_admin.language = "en"
    national_admin.save()
    LogEntry.objects.all().delete()  # the personas' own creation
    with set_actor(national_admin):
        plain = FacilityFactory(code="sentra-a", name="Sentra A")
        tricky = FacilityFactory(code="sentra-b", name="=HYPERLINK(1)")
        plain.name = "Sentra A Baru"
        plain.save()
    entries = list(LogEntry.objects.order_by("id"))
    for minute, entry in enumerate(entries):
        LogEntry.objects.filter(pk=entry.pk).update(
            timestamp=datetime(2025, 4, 1, 9, minute, tzinfo=JAKARTA)
        )
    return {"plain": plain, "tricky": tricky, "entries": entries}


def run_export(user, log, fmt, filters, capture) -> Job:
    with capture(execute=True):
        job = start_export(user=user, log=log, fmt=fmt, filters=filters)
    execute_job(str(job.public_id))
    job.refresh_from_db()
    assert job.status == "done", job.error
    return job


def test_the_audit_export_writes_a_csv(national_admin, changes, django_capture_on_commit_callbacks):
    job = run_export(
        national_admin, "audit", "csv", AuditFilters(), django_capture_on_commit_callbacks
    )
    raw = job.result_file.read()
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM, for Excel
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    plain, tricky = changes["plain"], changes["tricky"]
    assert rows[0] == [
        "Time",
        "Action",
        "Record type",
        "Record id",
        "Record",
        "User",
        "Changes",
        "IP address",
    ]
    assert rows[1] == [
        "2025-04-01T09:02:00+07:00",
        "update",
        "facilities.facility",
        str(plain.pk),
        "Sentra A Baru",
        "admin.nasional",
        "Name: Sentra A → Sentra A Baru",
        "",
    ]
    assert rows[2][:5] == [
        "2025-04-01T09:01:00+07:00",
        "create",
        "facilities.facility",
        str(tricky.pk),
        "'=HYPERLINK(1)",  # quoted: a spreadsheet must not run it
    ]
    assert rows[3][4] == "Sentra A"
    assert len(rows) == 4
    assert job.result == {
        "rows": 3,
        "format": "csv",
        "file": job.result_file.name,
        "summary": "3 rows written to CSV.",
    }
    assert (job.done, job.total) == (3, 3)
    assert job.result_file.name.startswith(f"jobs/{job.public_id}/audit-log-")
    assert job.title == "Audit trail export (CSV)"


def test_the_audit_export_writes_an_xlsx_with_the_filters(
    national_admin, changes, django_capture_on_commit_callbacks
):
    job = run_export(
        national_admin,
        "audit",
        "xlsx",
        AuditFilters(action="create"),
        django_capture_on_commit_callbacks,
    )
    sheet = load_workbook(job.result_file.path).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][:3] == ["Time", "Action", "Record type"]
    assert [r[1] for r in rows[1:]] == ["create", "create"]
    assert rows[1][0] == datetime(2025, 4, 1, 9, 1)  # local wall-clock time
    assert rows[1][4] == "=HYPERLINK(1)"  # text, not a formula
    assert sheet.cell(row=2, column=5).data_type == "s"
    assert rows[2][4] == "Sentra A"
    assert len(rows) == 3


def test_the_access_log_export(
    national_admin, social_worker, person_in_handayani, django_capture_on_commit_callbacks
):
    from rehsos.core.access import log_access

    national_admin.language = "en"
    national_admin.save()
    log_access(None, person_in_handayani, user=social_worker, via="rehsos show-person")
    job = run_export(
        national_admin,
        "access",
        "csv",
        AccessFilters(user="peksos.handayani"),
        django_capture_on_commit_callbacks,
    )
    rows = list(csv.reader(io.StringIO(job.result_file.read().decode("utf-8-sig"))))
    assert rows[0][1:] == [
        "User",
        "Record type",
        "Record id",
        "Channel",
        "Page or endpoint",
        "Purpose",
        "IP address",
    ]
    assert rows[1][1:] == [
        "peksos.handayani",
        "registry.person",
        str(person_in_handayani.public_id),
        "cli",
        "rehsos show-person",
        "",
        "",
    ]
    assert len(rows) == 2


def test_an_export_speaks_its_creators_language(national_admin, django_capture_on_commit_callbacks):
    national_admin.language = "id"
    national_admin.save()
    job = run_export(
        national_admin, "access", "csv", AccessFilters(), django_capture_on_commit_callbacks
    )
    header = next(csv.reader(io.StringIO(job.result_file.read().decode("utf-8-sig"))))
    with translation.override("id"):
        expected = [gettext("Time"), gettext("User"), gettext("Record type")]
    assert header[:3] == expected
    assert expected[1] != "User"  # Indonesian, not the English source


def test_an_export_is_checked_again_when_it_runs(
    national_admin, changes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = start_export(user=national_admin, log="audit", fmt="csv", filters=AuditFilters())
    national_admin.role = Role.SOCIAL_WORKER
    national_admin.save()
    execute_job(str(job.public_id))
    job.refresh_from_db()
    assert job.status == "failed"
    assert job.error == "You do not have permission to do this."
    assert not job.result_file


def test_start_export_refuses_a_user_without_the_action(social_worker):
    from rehsos.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        start_export(user=social_worker, log="audit", fmt="csv", filters=AuditFilters())
    with pytest.raises(ValidationFailed) as error:
        start_export(user=None, log="audit", fmt="pdf", filters=AuditFilters())
    assert error.value.fields == {"format": "Choose csv or xlsx."}
    assert Job.objects.count() == 0


# ---- the pages ---------------------------------------------------------------------------


def test_exporting_from_the_page_queues_a_job_and_opens_its_page(
    admin_client, changes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("core:audit_export"), {"format": "xlsx", "action": "update"}
        )
    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("core:job", args=[job.public_id])
    assert job.kind == "audit.export"
    assert job.params == {"log": "audit", "format": "xlsx", "filters": {"action": "update"}}
    assert DBTaskResult.objects.filter(id=job.task_id).exists()


def test_a_bad_export_request_goes_back_with_the_filters(admin_client, db):
    response = admin_client.post(
        reverse("core:audit_export"), {"format": "pdf", "action": "update"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("core:audit") + "?action=update"
    assert Job.objects.count() == 0


def test_the_progress_partial_polls_while_the_job_runs_and_stops_when_done(
    admin_client, national_admin, django_capture_on_commit_callbacks
):
    job = started(
        "test.count", national_admin, {"n": 5}, capture=django_capture_on_commit_callbacks
    )
    Job.objects.filter(pk=job.pk).update(status="running", done=2, total=5, message="counting")

    page = admin_client.get(reverse("core:job", args=[job.public_id])).content.decode()
    partial = admin_client.get(reverse("core:job_progress", args=[job.public_id]))
    html = partial.content.decode()
    assert 'hx-trigger="every 1s"' in page
    assert f'hx-get="/jobs/{job.public_id}/progress"' in html
    assert 'hx-trigger="every 1s"' in html
    assert 'aria-valuenow="40"' in html
    assert "2 of 5" in html
    assert "<html" not in html  # a partial, not a page

    Job.objects.filter(pk=job.pk).update(status="queued")
    execute_job(str(job.public_id))
    done = admin_client.get(reverse("core:job_progress", args=[job.public_id])).content.decode()
    assert "hx-trigger" not in done
    assert 'data-status="done"' in done
    assert 'aria-valuenow="100"' in done


def test_the_file_is_offered_to_its_creator_and_national_admins_only(
    national_admin, changes, social_worker, client, django_capture_on_commit_callbacks
):
    other_admin = UserFactory(username="admin.dua", role=Role.NATIONAL_ADMIN)
    job = run_export(
        national_admin, "audit", "csv", AuditFilters(), django_capture_on_commit_callbacks
    )
    owner = verified_client(national_admin)
    page = owner.get(reverse("core:job", args=[job.public_id])).content.decode()
    assert f'href="/jobs/{job.public_id}/download"' in page
    download = owner.get(reverse("core:job_download", args=[job.public_id]))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith('attachment; filename="audit-log-')
    assert b"".join(download.streaming_content).startswith(b"\xef\xbb\xbf")

    assert (
        verified_client(other_admin)
        .get(reverse("core:job_download", args=[job.public_id]))
        .status_code
        == 200
    )

    client.force_login(social_worker)
    for name in ("core:job", "core:job_progress", "core:job_download"):
        assert client.get(reverse(name, args=[job.public_id])).status_code == 404


def test_the_job_list_shows_my_jobs_and_all_jobs_to_national_admins(
    client, admin_client, national_admin, social_worker, facility_head
):
    mine = Job.objects.create(kind="test.count", title="Mine", created_by=social_worker)
    Job.objects.create(kind="test.count", title="Theirs", created_by=facility_head)
    client.force_login(social_worker)
    response = client.get(reverse("core:jobs"))
    assert [j.pk for j in response.context["jobs"]] == [mine.pk]
    everyone = admin_client.get(reverse("core:jobs"))
    assert [j.title for j in everyone.context["jobs"]] == ["Theirs", "Mine"]


def test_the_job_list_runs_a_fixed_number_of_queries(
    admin_client, national_admin, django_assert_num_queries
):
    users = [UserFactory(username=f"pemilik{i}", role=Role.NATIONAL_ADMIN) for i in range(5)]
    Job.objects.bulk_create(
        Job(kind="test.count", title=f"Job {i}", created_by=users[i % 5], done=i, total=60)
        for i in range(60)
    )
    admin_client.get(reverse("core:jobs"))
    # session, user, OTP device, the page of jobs (with their creators joined), and the
    # session's save (a savepoint, its update and release: sessions slide on every request).
    with django_assert_num_queries(7):
        response = admin_client.get(reverse("core:jobs"))
    assert len(response.context["jobs"]) == 50
    assert response.context["next_cursor"]


# ---- the API -----------------------------------------------------------------------------


def bearer(user) -> dict:
    _token, raw = ApiToken.issue(user, "jobs tests")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}", "HTTP_ACCEPT_LANGUAGE": "en"}


def test_the_api_queues_an_export_and_reports_its_progress(
    client, national_admin, changes, django_capture_on_commit_callbacks
):
    auth = bearer(national_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/exports",
            {"log": "audit", "format": "csv", "filters": {"action": "update"}},
            content_type="application/json",
            **auth,
        )
    assert response.status_code == 202
    body = response.json()
    job = Job.objects.get()
    assert body["id"] == str(job.public_id)
    assert body["status"] == "queued"
    assert body["url"] == f"http://testserver/api/v1/jobs/{job.public_id}"
    assert body["page"] == f"http://testserver/jobs/{job.public_id}/"
    assert body["file"] is None

    execute_job(str(job.public_id))
    progress = client.get(f"/api/v1/jobs/{job.public_id}", **auth).json()
    assert progress["status"] == "done"
    assert (progress["done"], progress["total"], progress["percent"]) == (1, 1, 100)
    assert progress["result"]["rows"] == 1
    assert progress["file"] == f"http://testserver/api/v1/jobs/{job.public_id}/file"
    download = client.get(f"/api/v1/jobs/{job.public_id}/file", **auth)
    assert download.status_code == 200
    text = b"".join(download.streaming_content).decode("utf-8-sig")
    assert "Name: Sentra A → Sentra A Baru" in text


def test_the_api_hides_other_peoples_jobs(client, social_worker, facility_head):
    theirs = Job.objects.create(kind="test.count", title="Theirs", created_by=facility_head)
    response = client.get(f"/api/v1/jobs/{theirs.public_id}", **bearer(social_worker))
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"log": "audit", "filters": {"date_from": "soon"}}, ["filters.date_from"]),
        ({"log": "audit", "filters": {"colour": "red"}}, ["filters.colour"]),
        ({"log": "access", "filters": {"action": "update"}}, ["filters.action"]),
        ({"log": "everything"}, ["log"]),
        ({"log": "audit", "format": "pdf"}, ["format"]),
    ],
)
def test_the_api_names_each_bad_export_field(client, national_admin, body, fields):
    response = client.post(
        "/api/v1/exports", body, content_type="application/json", **bearer(national_admin)
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == fields
    assert Job.objects.count() == 0


# ---- the command line --------------------------------------------------------------------


def test_export_log_without_a_worker_says_the_job_is_queued(
    national_admin, changes, capsys, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("export_log", "audit", "--format", "xlsx", "--action", "create")
    job = Job.objects.get()
    out = capsys.readouterr().out
    assert f"Job {job.public_id} is queued: Audit trail export (XLSX)." in out
    assert f"rehsos job {job.public_id} --wait" in out
    assert job.created_by is None
    assert job.params["filters"] == {"action": "create"}
    assert DBTaskResult.objects.get().status == "READY"


def test_export_log_wait_draws_one_progress_line_then_prints_the_path(
    changes, capsys, monkeypatch, django_capture_on_commit_callbacks
):
    from rehsos.core.management.commands import job as job_command

    def worker_runs(seconds):  # the first wait is when a worker picks the job up
        execute_job(str(Job.objects.get().public_id))

    monkeypatch.setattr(job_command.time, "sleep", worker_runs)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("export_log", "audit", "--wait")
    job = Job.objects.get()
    out = capsys.readouterr().out
    assert "\r[..........] queued, waiting for a worker" in out
    assert "\r[##########] 100% 3/3 rows" in out
    assert out.rstrip().endswith(job.result_file.path)


def test_export_log_wait_gives_up_after_its_timeout(db, capsys, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(CommandError, match="is still queued"),
    ):
        call_command("export_log", "access", "--wait", "--timeout", "0")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["audit", "--channel", "api"], "--channel does not apply to the audit log."),
        (["audit", "--user", "a", "--channel", "api"], "--user, --channel do not apply to"),
        (["access", "--from", "2025-13-01"], "--from: Enter a valid date."),
        (["audit", "--action", "explode"], "--action: Select a valid choice."),
        (["audit", "--as", "nobody"], "There is no user named nobody."),
    ],
)
def test_export_log_names_each_bad_option(db, args, message):
    with pytest.raises(CommandError, match=message.replace(".", r"\.")):
        call_command("export_log", *args)
    assert Job.objects.count() == 0


def test_export_log_as_a_user_applies_their_permissions(social_worker):
    with pytest.raises(CommandError, match="You do not have permission"):
        call_command("export_log", "audit", "--as", "peksos.handayani")


def test_the_job_command_shows_and_follows_a_job(
    social_worker, capsys, django_capture_on_commit_callbacks
):
    job = started("test.count", social_worker, {"n": 7}, capture=django_capture_on_commit_callbacks)
    call_command("job", str(job.public_id))
    assert "queued, waiting for a worker" in capsys.readouterr().out

    Job.objects.filter(pk=job.pk).update(
        status="running", done=5200, total=10000, heartbeat_at=timezone.now()
    )
    call_command("job", str(job.public_id))
    assert "[#####.....] 52% 5,200/10,000 rows\n" in capsys.readouterr().out

    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=5))
    call_command("job", str(job.public_id))
    assert "its worker stopped answering; the job will be queued again" in capsys.readouterr().out

    Job.objects.filter(pk=job.pk).update(
        status="failed", error="The worker stopped 3 times while this job was queued or running"
    )
    with pytest.raises(CommandError, match="failed: The worker stopped 3 times"):
        call_command("job", str(job.public_id), "--wait")


def test_a_finished_job_with_no_rows_shows_a_full_bar(db):
    from rehsos.core.management.commands.job import progress_line

    job = Job(kind="audit.export", title="Empty", status="done", done=0, total=0)
    assert progress_line(job) == "[##########] 100% 0/0 rows"
    counting = Job(kind="audit.export", title="Counting", status="running", message="Counting rows")
    assert progress_line(counting) == "[..........] 0 rows Counting rows"


def test_the_job_command_refuses_an_unknown_id(db):
    with pytest.raises(CommandError, match="not a job id"):
        call_command("job", "nope")
    with pytest.raises(CommandError, match="There is no job"):
        call_command("job", "6f1c1f5e-8d0a-4a43-9c8b-0c7f3b2a9e11")
