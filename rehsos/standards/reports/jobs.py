"""Standards reports made by a background job (``rehsos worker``), with progress on the
job's page and the file kept with the job (downloadable from the jobs page).

``start_report`` checks the request and the permission and queues the job;
``write_report`` (the handler, registered in ``rehsos/standards/tasks.py``) checks the
permission and the scope again against the job's creator — a user who lost the right
meanwhile gets a failed job, not a file — and builds the report in the language asked
for."""

from __future__ import annotations

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from rehsos.core.errors import NotFound, ValidationFailed
from rehsos.core.jobs import Progress, start_job
from rehsos.core.models import Job
from rehsos.core.permissions import require
from rehsos.standards import selectors_compare as compare
from rehsos.standards.models import Assessment, Catalogue

KIND = "standards.report"
REPORTS = ("facility", "national")
FORMATS = ("pdf", "xlsx")
LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)


def language_of(value: str | None, default: str | None = None) -> str:
    """``id`` or ``en`` (a longer tag such as ``en-us`` counts as its language)."""
    for candidate in (value, default, settings.LANGUAGE_CODE):
        if candidate:
            short = candidate.split("-")[0].lower()
            if short in LANGUAGES:
                return short
    return LANGUAGES[0]


def _validate(*, user, report: str, fmt: str, lang: str, facility: str, catalogue: str, kind):
    problems = {}
    if report not in REPORTS:
        problems["report"] = _("Choose facility or national.")
    if fmt not in FORMATS:
        problems["format"] = _("Choose pdf or xlsx.")
    if lang and lang not in LANGUAGES:
        problems["lang"] = _("Choose id or en.")
    if kind and kind not in Assessment.Kind.values:
        problems["kind"] = _("Choose self or external.")
    if catalogue and not Catalogue.objects.filter(code=catalogue).exists():
        problems["catalogue"] = _("No catalogue has this code.")
    centre = None
    if report == "facility":
        if not facility:
            problems["centre"] = _("Choose a centre.")
        else:
            try:
                centre = compare.facility_for_user(user, facility)
            except NotFound:
                problems["centre"] = _("No such centre in your scope.")
    if problems:
        raise ValidationFailed(fields=problems)
    return centre


def start_report(
    *,
    user,
    report: str,
    fmt: str,
    lang: str | None = None,
    facility: str = "",
    catalogue: str = "",
    kind: str = "",
) -> Job:
    """Queue a facility or national standards report as PDF or XLSX in ``lang``
    (default: the user's language)."""
    require(user, "standards.report")
    lang = lang or ""
    centre = _validate(
        user=user,
        report=report,
        fmt=fmt,
        lang=lang,
        facility=facility,
        catalogue=catalogue,
        kind=kind,
    )
    lang = language_of(lang, getattr(user, "language", None))
    with translation.override(lang):
        if report == "facility":
            title = _("Standards report: %(centre)s (%(format)s)") % {
                "centre": centre.name,
                "format": fmt.upper(),
            }
        else:
            title = _("National standards report (%(format)s)") % {"format": fmt.upper()}
    params = {
        "report": report,
        "format": fmt,
        "lang": lang,
        "facility": centre.code if centre else "",
        "catalogue": catalogue,
        "kind": kind,
    }
    return start_job(KIND, user=user, title=title, params=params)


def write_report(job: Job, progress: Progress) -> dict:
    """The job handler."""
    params = job.params
    lang = language_of(params.get("lang"))
    with translation.override(lang):
        return _write(job, progress, params, lang)


def _write(job: Job, progress: Progress, params: dict, lang: str) -> dict:
    from rehsos.standards.reports import facility as facility_data
    from rehsos.standards.reports import national as national_data
    from rehsos.standards.reports import pdf, xlsx

    user = job.created_by
    if user is None:
        raise ValidationFailed(_("The user who asked for this report no longer exists."))
    require(user, "standards.report")
    report, fmt = params.get("report"), params.get("format")
    if report not in REPORTS or fmt not in FORMATS:
        raise ValidationFailed(_("Unknown report or format."))
    catalogue = (
        Catalogue.objects.filter(code=params["catalogue"]).first()
        if params.get("catalogue")
        else None
    )
    steps = 4 if report == "facility" else 9
    progress.total = steps

    def step(message: str) -> None:
        progress.advance(1, message)

    if report == "facility":
        centre = compare.facility_for_user(user, params.get("facility", ""))
        step(_("Collecting the scores"))
        data = facility_data.facility_report(centre, catalogue=catalogue)
        step(_("Writing the file"))
        content = pdf.facility_pdf(data) if fmt == "pdf" else xlsx.facility_xlsx(data)
        stem = f"standards-{slugify(centre.code)}"
    else:
        data = national_data.national_report(
            user, catalogue=catalogue, kind=params.get("kind") or None, progress=step
        )
        step(_("Writing the file"))
        content = pdf.national_pdf(data) if fmt == "pdf" else xlsx.national_xlsx(data)
        stem = "standards-national"
    progress.note(_("Saving the file"))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    name = f"{job.public_id}/{stem}-{lang}-{stamp}.{fmt}"
    job.result_file.save(name, ContentFile(content), save=False)
    progress.done = progress.total or progress.done
    summary = _("%(report)s written as %(format)s (%(size)s kB).") % {
        "report": data.title,
        "format": fmt.upper(),
        "size": f"{len(content) / 1024:,.0f}",
    }
    return {
        "report": report,
        "format": fmt,
        "lang": lang,
        "bytes": len(content),
        "file": job.result_file.name,
        "summary": summary,
    }
