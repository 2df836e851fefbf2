"""Background jobs: my jobs (all jobs for national admins), one job's page with
a progress bar that HTMX refreshes every second until the job ends, and its file."""

import posixpath

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from rehsos.core import selectors
from rehsos.core.errors import ValidationFailed
from rehsos.core.permissions import can, requires

PAGE_SIZE = 50


@requires("jobs.view_own")
@require_GET
def job_list(request: HttpRequest) -> HttpResponse:
    after = request.GET.get("after") or None
    try:
        page = selectors.jobs_page(user=request.user, after=after, limit=PAGE_SIZE)
    except ValidationFailed:
        page = selectors.jobs_page(user=request.user, after=None, limit=PAGE_SIZE)
    return render(
        request,
        "core/jobs/list.html",
        {
            "jobs": page.items,
            "next_cursor": page.next_cursor,
            "is_first_page": not after,
            "sees_all": can(request.user, "jobs.view_all"),
        },
    )


@requires("jobs.view_own")
@require_GET
def job_detail(request: HttpRequest, job_id) -> HttpResponse:
    job = selectors.job_for_user(request.user, job_id)
    return render(request, "core/jobs/detail.html", {"job": job})


@requires("jobs.view_own")
@require_GET
def job_progress(request: HttpRequest, job_id) -> HttpResponse:
    """The progress partial; while the job runs it asks to be fetched again in a second."""
    job = selectors.job_for_user(request.user, job_id)
    return render(request, "core/jobs/_progress.html", {"job": job})


@requires("jobs.view_own")
@require_GET
def job_download(request: HttpRequest, job_id) -> FileResponse:
    job = selectors.job_for_user(request.user, job_id)
    if not job.result_file:
        raise Http404
    try:
        handle = job.result_file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(
        handle, as_attachment=True, filename=posixpath.basename(job.result_file.name)
    )
