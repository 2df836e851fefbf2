"""API of the standards app: assessments (self-assessments and external audits),
their answers, evidence and findings, submitting and reopening; and the schedules.

Answers are saved one criterion at a time with ``PUT …/answers/{code}``, carrying the
client's ``revision`` (it grows with every change of that criterion's answer on the
client): an older revision, or the same revision with other content, answers 409
with the stored answer in ``current``; the same request twice changes nothing.
"""

import datetime
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from rehsos.core.api import Problem, choices_schema
from rehsos.core.errors import NotFound, ValidationFailed
from rehsos.core.pagination import keyset_page
from rehsos.core.permissions import requires, scoped
from rehsos.facilities.models import Facility
from rehsos.standards import scoring
from rehsos.standards import selectors_assessments as selectors
from rehsos.standards import services_assessments as services
from rehsos.standards import services_schedules as schedules
from rehsos.standards.models import Answer, Assessment, Catalogue, Evidence, Finding, Schedule
from rehsos.standards.views_assessments import evidence_file_response

AssessmentKind = Annotated[Assessment.Kind, choices_schema(Assessment.Kind, "AssessmentKind")]
AssessmentStatus = Annotated[
    Assessment.Status, choices_schema(Assessment.Status, "AssessmentStatus")
]
EvidenceKind = Annotated[Evidence.Kind, choices_schema(Evidence.Kind, "EvidenceKind")]
FindingKind = Annotated[Finding.Kind, choices_schema(Finding.Kind, "FindingKind")]

router = Router(tags=["standards: assessments"])


class StandardsAssessmentOut(Schema):
    public_id: UUID
    facility: str = Field(..., description="The centre's code.")
    facility_name: str
    catalogue: str = Field(..., description="The catalogue's code.")
    catalogue_version: int
    kind: AssessmentKind
    status: AssessmentStatus
    title: str
    started_on: datetime.date
    visit_on: datetime.date | None
    submitted_at: datetime.datetime | None
    lead: str | None = Field(None, description="The lead assessor's username.")
    assessors: list[str]
    score: Decimal | None = Field(None, description="Stored on submit: weighted score in %.")
    passed: bool | None = Field(None, description="Stored on submit: no critical criterion failed.")
    row_version: int = Field(..., description="Send it back with PATCH (409 if stale).")
    follows: UUID | None = Field(None, description="The earlier assessment it repeats.")


class StandardsAssessmentPage(Schema):
    items: list[StandardsAssessmentOut]
    next: str | None = Field(None, description="Pass as `after` for the next page.")


class AnswerOut(Schema):
    criterion: str
    rating: int | None
    not_applicable: bool
    justification: str
    comment: str
    revision: int
    answered_at: datetime.datetime | None
    answered_by: str | None


class EvidenceOut(Schema):
    id: int
    criterion: str
    kind: EvidenceKind
    name: str
    content_type: str
    size: int
    sha256: str
    caption: str
    valid_from: datetime.date
    uploaded_by: str | None
    uploaded_at: datetime.datetime
    url: str = Field(..., description="Download it here (same permission as the assessment).")


class FindingOut(Schema):
    id: int
    kind: FindingKind
    criterion: str | None
    text: str
    created_by: str | None
    created_at: datetime.datetime


class DomainScoreOut(Schema):
    domain: str
    percent: Decimal | None
    possible: Decimal
    earned: Decimal
    criteria: int
    applicable: int
    not_applicable: int
    unrated: int
    met: int
    critical_failed: list[str]
    failed: bool


class ScoreOut(Schema):
    percent: Decimal | None
    met_percent: Decimal | None
    met: int
    applicable: int
    not_applicable: int
    unrated: int
    critical_failed: list[str]
    passed: bool
    domains: list[DomainScoreOut]


class MissingOut(Schema):
    code: str
    domain: str
    text: str
    critical: bool


class AssessmentDetailOut(StandardsAssessmentOut):
    summary: str
    answers: list[AnswerOut]
    findings: list[FindingOut]
    evidence: list[EvidenceOut]
    live_score: ScoreOut = Field(..., description="Computed now from the answers so far.")
    missing: list[MissingOut] = Field(..., description="Criteria neither rated nor N/A.")


class StandardsAssessmentIn(Schema):
    kind: AssessmentKind
    facility: str = Field(..., max_length=40, description="The centre's code.")
    catalogue: str = Field(..., max_length=40, description="The catalogue's code.")
    title: str = Field("", max_length=200)
    started_on: datetime.date | None = Field(None, description="Default: today.")
    visit_on: datetime.date | None = Field(None, description="External audits: the visit.")
    lead: str | None = Field(None, max_length=150, description="External: lead's username.")
    assessors: list[str] = Field(default_factory=list, max_length=50)
    follows: UUID | None = Field(None, description="The earlier assessment it repeats.")


class StandardsAssessmentPatch(Schema):
    row_version: int = Field(..., description="The `row_version` you read (409 if stale).")
    title: str | None = Field(None, max_length=200)
    visit_on: datetime.date | None = None
    summary: str | None = Field(None, max_length=4000)
    lead: str | None = Field(None, max_length=150, description="External audits only.")
    assessors: list[str] | None = Field(None, max_length=50)


class AnswerIn(Schema):
    rating: int | None = Field(None, description="A level of the criterion's scale; null: none.")
    not_applicable: bool = False
    justification: str = Field("", max_length=4000, description="Required when N/A.")
    comment: str = Field("", max_length=4000)
    revision: int = Field(..., ge=1, le=2_000_000_000, description="Grows with every change.")


class FindingIn(Schema):
    kind: FindingKind
    text: str = Field(..., max_length=4000)
    criterion: str | None = Field(None, max_length=20, description="A criterion's code.")


class StandardsReopenIn(Schema):
    reason: str = Field(..., max_length=4000)


class StandardsListQuery(Schema):
    kind: AssessmentKind | None = None
    status: AssessmentStatus | None = None
    facility: str | None = Field(None, max_length=40, description="A centre's code.")
    mine: bool = Field(False, description="Only those you are the lead or an assessor of.")
    after: str | None = Field(None, max_length=300, description="The `next` of the last page.")
    limit: int = Field(50, ge=1, le=settings.REHSOS_API_PAGE_MAX)


class ScheduleOut(Schema):
    id: int
    facility: str
    catalogue: str
    kind: AssessmentKind
    next_due: datetime.date
    interval_months: int
    assessor: str | None
    overdue: bool


class ScheduleIn(Schema):
    facility: str = Field(..., max_length=40)
    catalogue: str = Field(..., max_length=40)
    kind: AssessmentKind
    next_due: datetime.date
    interval_months: int = Field(12, ge=1, le=schedules.INTERVAL_MAX_MONTHS)
    assessor: str | None = Field(None, max_length=150, description="A username.")


class ScheduleUpdate(Schema):
    next_due: datetime.date
    interval_months: int = Field(12, ge=1, le=schedules.INTERVAL_MAX_MONTHS)
    assessor: str | None = Field(None, max_length=150)


# --- conversions ----------------------------------------------------------------------


def _name(user) -> str | None:
    return (user.get_full_name() or user.get_username()) if user else None


def assessment_out(a: Assessment) -> dict:
    return {
        "public_id": a.public_id,
        "facility": a.facility.code,
        "facility_name": a.facility.name,
        "catalogue": a.version.catalogue.code,
        "catalogue_version": a.version.number,
        "kind": a.kind,
        "status": a.status,
        "title": a.title,
        "started_on": a.started_on,
        "visit_on": a.visit_on,
        "submitted_at": a.submitted_at,
        "lead": a.lead.get_username() if a.lead_id else None,
        "assessors": [u.get_username() for u in a.assessors.all()],
        "score": a.score,
        "passed": a.passed,
        "row_version": a.row_version,
        "follows": a.follows.public_id if a.follows_id else None,
    }


def evidence_out(request, e: Evidence, assessment: Assessment) -> dict:
    return {
        "id": e.pk,
        "criterion": e.answer.criterion.code,
        "kind": e.kind,
        "name": e.original_name,
        "content_type": e.content_type,
        "size": e.size,
        "sha256": e.sha256,
        "caption": e.caption,
        "valid_from": e.valid_from,
        "uploaded_by": _name(e.uploaded_by),
        "uploaded_at": e.uploaded_at,
        "url": request.build_absolute_uri(
            f"/api/v1/standards/assessments/{assessment.public_id}/evidence/{e.pk}/file"
        ),
    }


def finding_out(f: Finding) -> dict:
    return {
        "id": f.pk,
        "kind": f.kind,
        "criterion": f.criterion.code if f.criterion_id else None,
        "text": f.text,
        "created_by": _name(f.created_by),
        "created_at": f.created_at,
    }


def score_out(result: scoring.AssessmentScore) -> dict:
    return {
        "percent": result.percent,
        "met_percent": result.met_percent,
        "met": result.met,
        "applicable": result.applicable,
        "not_applicable": result.not_applicable,
        "unrated": result.unrated,
        "critical_failed": list(result.critical_failed),
        "passed": result.passed,
        "domains": [
            {
                "domain": d.domain,
                "percent": d.percent,
                "possible": d.possible,
                "earned": d.earned,
                "criteria": d.criteria,
                "applicable": d.applicable,
                "not_applicable": d.not_applicable,
                "unrated": d.unrated,
                "met": d.met,
                "critical_failed": list(d.critical_failed),
                "failed": d.failed,
            }
            for d in result.domains.values()
        ],
    }


def schedule_out(s: Schedule, today: datetime.date) -> dict:
    return {
        "id": s.pk,
        "facility": s.facility.code,
        "catalogue": s.catalogue.code,
        "kind": s.kind,
        "next_due": s.next_due,
        "interval_months": s.interval_months,
        "assessor": s.assessor.get_username() if s.assessor_id else None,
        "overdue": s.next_due < today,
    }


# --- lookups that name the field on failure -------------------------------------------


def _facility(user, code: str) -> Facility:
    facility = scoped(user, Facility.objects.filter(is_active=True, code=code)).first()
    if facility is None:
        raise ValidationFailed(fields={"facility": _("No such centre in your scope.")})
    return facility


def _catalogue(code: str) -> Catalogue:
    catalogue = Catalogue.objects.filter(code=code).first()
    if catalogue is None:
        raise ValidationFailed(fields={"catalogue": _("No such catalogue.")})
    return catalogue


def _users(usernames, field: str) -> list:
    names = list(dict.fromkeys(usernames or []))
    found = {u.get_username(): u for u in get_user_model().objects.filter(username__in=names)}
    unknown = [n for n in names if n not in found]
    if unknown:
        raise ValidationFailed(
            fields={field: _("No such user: %(names)s.") % {"names": ", ".join(unknown)}}
        )
    return [found[n] for n in names]


def _user(username: str | None, field: str):
    return _users([username], field)[0] if username else None


def _assessment(request, public_id: UUID) -> Assessment:
    return selectors.assessment_for(request.auth, public_id)


# --- assessments ----------------------------------------------------------------------


@router.get(
    "/standards/assessments",
    response={200: StandardsAssessmentPage, 403: Problem, 422: Problem},
    summary="Assessments in your scope, newest first",
)
@requires("standards.view")
def list_assessments(request, query: Query[StandardsListQuery]):
    rows = selectors.filtered(
        selectors.assessments_visible_to(request.auth).prefetch_related("assessors"),
        user=request.auth,
        kind=query.kind or "",
        status=query.status or "",
        facility=query.facility or "",
        mine=query.mine,
    )
    page = keyset_page(
        rows, order=("started_on", "id"), after=query.after, limit=query.limit, descending=True
    )
    return {"items": [assessment_out(a) for a in page.items], "next": page.next_cursor}


@router.post(
    "/standards/assessments",
    response={201: StandardsAssessmentOut, 403: Problem, 404: Problem, 422: Problem},
    summary="Start a self-assessment or create an external audit",
)
@requires("standards.view")
def create_assessment(request, payload: StandardsAssessmentIn):
    """`self` needs standards.self_assess for the centre; `external` needs
    standards.audit, a `lead` and optionally `assessors` (usernames of assessors). The
    catalogue's adopted version in force is used; it must apply to the centre."""
    user = request.auth
    facility = _facility(user, payload.facility)
    catalogue = _catalogue(payload.catalogue)
    follows = None
    if payload.follows:
        follows = selectors.assessments_visible_to(user).filter(public_id=payload.follows).first()
        if follows is None:
            raise ValidationFailed(fields={"follows": _("No such assessment in your scope.")})
    if payload.kind == Assessment.Kind.SELF:
        assessment = services.start_self_assessment(
            user=user,
            facility=facility,
            catalogue=catalogue,
            started_on=payload.started_on,
            title=payload.title,
            follows=follows,
        )
    else:
        assessment = services.create_audit(
            user=user,
            facility=facility,
            catalogue=catalogue,
            lead=_user(payload.lead, "lead"),
            assessors=_users(payload.assessors, "assessors"),
            visit_on=payload.visit_on,
            started_on=payload.started_on,
            title=payload.title,
            follows=follows,
        )
    return Status(201, assessment_out(_assessment(request, assessment.public_id)))


@router.get(
    "/standards/assessments/{public_id}",
    response={200: AssessmentDetailOut, 403: Problem, 404: Problem},
    summary="An assessment with its answers, findings, evidence and live score",
)
@requires("standards.view")
def get_assessment(request, public_id: UUID):
    a = _assessment(request, public_id)
    answers = Answer.objects.filter(assessment=a).select_related("criterion", "answered_by")
    answers = answers.order_by("criterion__order", "criterion__code")
    gaps = scoring.missing(a) if a.status == Assessment.Status.IN_PROGRESS else []
    return {
        **assessment_out(a),
        "summary": a.summary,
        "answers": [services.answer_data(x) for x in answers],
        "findings": [finding_out(f) for f in selectors.findings_of(a)],
        "evidence": [evidence_out(request, e, a) for e in selectors.evidence_of(a)],
        "live_score": score_out(scoring.score(a)),
        "missing": services.missing_data(gaps),
    }


@router.patch(
    "/standards/assessments/{public_id}",
    response={200: StandardsAssessmentOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Change the title, visit date, summary or (audits) the team",
)
@requires("standards.view")
def patch_assessment(request, public_id: UUID, payload: StandardsAssessmentPatch):
    a = _assessment(request, public_id)
    team = {}
    if payload.lead is not None or payload.assessors is not None:
        if a.kind != Assessment.Kind.EXTERNAL:
            raise ValidationFailed(fields={"lead": _("A self-assessment has no assessors.")})
        team = {
            "lead": _user(payload.lead, "lead") if payload.lead is not None else a.lead,
            "assessors": _users(payload.assessors, "assessors")
            if payload.assessors is not None
            else list(a.assessors.all()),
        }
    fields = payload.model_fields_set
    services.update_assessment(
        assessment=a,
        user=request.auth,
        row_version=payload.row_version,
        title=payload.title if payload.title is not None else a.title,
        visit_on=payload.visit_on if "visit_on" in fields else a.visit_on,
        summary=payload.summary if payload.summary is not None else a.summary,
        **team,
    )
    return Status(200, assessment_out(_assessment(request, public_id)))


@router.put(
    "/standards/assessments/{public_id}/answers/{code}",
    response={200: AnswerOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Save one criterion's answer (idempotent, ordered by `revision`)",
)
@requires("standards.view")
def put_answer(request, public_id: UUID, code: str, payload: AnswerIn):
    """`rating` must be a level of the criterion's scale (four: 0 not met, 1 partly,
    2 met, 3 exceeds; yes/no: 0, 2) or null; `not_applicable: true` needs a
    `justification` and no rating. 409 `stale_answer` when the stored revision is
    newer (or the same with other content): `current` holds the stored answer."""
    a = _assessment(request, public_id)
    criterion = services.criterion_of(a, code)
    saved = services.save_answer(
        assessment=a,
        criterion=criterion,
        user=request.auth,
        rating=payload.rating,
        not_applicable=payload.not_applicable,
        justification=payload.justification,
        comment=payload.comment,
        revision=payload.revision,
    )
    return Status(200, services.answer_data(saved.answer, criterion))


@router.post(
    "/standards/assessments/{public_id}/answers/{code}/evidence",
    response={201: EvidenceOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Add a photo or document to a criterion's answer (multipart)",
)
@requires("standards.view")
def upload_evidence(
    request,
    public_id: UUID,
    code: str,
    file: File[UploadedFile],
    kind: Form[EvidenceKind],
    valid_from: Form[datetime.date],
    caption: Form[str] = "",
):
    """`photo`: JPEG or PNG; `document`: PDF, JPEG, PNG, DOCX or XLSX, at most
    REHSOS_ATTACHMENT_MAX_MB. The type is decided by the content. `valid_from` is the
    date the evidence shows the situation, not in the future."""
    a = _assessment(request, public_id)
    criterion = services.criterion_of(a, code)
    evidence = services.upload_evidence(
        assessment=a,
        criterion=criterion,
        user=request.auth,
        upload=file,
        kind=kind,
        valid_from=valid_from,
        caption=caption,
    )
    evidence = selectors.evidence_for(a, evidence.pk)
    return Status(201, evidence_out(request, evidence, a))


@router.get(
    "/standards/assessments/{public_id}/evidence/{attachment_id}/file",
    response={200: None, 403: Problem, 404: Problem},
    summary="Download an evidence file",
)
@requires("standards.view")
def download_evidence(request, public_id: UUID, attachment_id: int):
    a = _assessment(request, public_id)
    return evidence_file_response(request, selectors.evidence_for(a, attachment_id))


@router.delete(
    "/standards/assessments/{public_id}/evidence/{attachment_id}",
    response={204: None, 403: Problem, 404: Problem, 409: Problem},
    summary="Delete evidence (its uploader, while the assessment is in progress)",
)
@requires("standards.view")
def delete_evidence(request, public_id: UUID, attachment_id: int):
    a = _assessment(request, public_id)
    services.delete_evidence(evidence=selectors.evidence_for(a, attachment_id), user=request.auth)
    return Status(204, None)


@router.get(
    "/standards/assessments/{public_id}/findings",
    response={200: list[FindingOut], 403: Problem, 404: Problem},
    summary="The assessment's findings",
)
@requires("standards.view")
def list_findings(request, public_id: UUID):
    return [finding_out(f) for f in selectors.findings_of(_assessment(request, public_id))]


@router.post(
    "/standards/assessments/{public_id}/findings",
    response={201: FindingOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Add a finding: strength, advice or recommendation (a non-conformance)",
)
@requires("standards.view")
def add_finding(request, public_id: UUID, payload: FindingIn):
    a = _assessment(request, public_id)
    criterion = None
    if payload.criterion:
        try:
            criterion = services.criterion_of(a, payload.criterion)
        except NotFound as exc:
            raise ValidationFailed(fields={"criterion": str(exc.message)}) from exc
    finding = services.add_finding(
        assessment=a, user=request.auth, kind=payload.kind, text=payload.text, criterion=criterion
    )
    return Status(201, finding_out(finding))


@router.delete(
    "/standards/assessments/{public_id}/findings/{pk}",
    response={204: None, 403: Problem, 404: Problem, 409: Problem},
    summary="Delete a finding (its author or whoever submits)",
)
@requires("standards.view")
def delete_finding(request, public_id: UUID, pk: int):
    a = _assessment(request, public_id)
    services.delete_finding(finding=selectors.finding_for(a, pk), user=request.auth)
    return Status(204, None)


@router.post(
    "/standards/assessments/{public_id}/submit",
    response={200: StandardsAssessmentOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Submit the assessment (every criterion rated or N/A)",
)
@requires("standards.view")
def submit(request, public_id: UUID):
    """422 `unrated_criteria` lists the criteria still unrated in `missing` (code,
    domain, text) and in `errors` (field `answers`). On success the score is stored,
    recommendations become actions and the centre's schedule moves on."""
    a = _assessment(request, public_id)
    services.submit(a, user=request.auth)
    return Status(200, assessment_out(_assessment(request, public_id)))


@router.post(
    "/standards/assessments/{public_id}/reopen",
    response={200: StandardsAssessmentOut, 403: Problem, 404: Problem, 422: Problem},
    summary="Reopen a submitted assessment (national administrators, with a reason)",
)
@requires("standards.audit")
def reopen(request, public_id: UUID, payload: StandardsReopenIn):
    a = _assessment(request, public_id)
    services.reopen(a, user=request.auth, reason=payload.reason)
    return Status(200, assessment_out(_assessment(request, public_id)))


# --- schedules ------------------------------------------------------------------------


@router.get(
    "/standards/schedules",
    response={200: list[ScheduleOut], 403: Problem},
    summary="Assessment schedules in your scope, by next due date",
)
@requires("standards.view")
def list_schedules(request, due_within_days: int | None = Query(None, ge=0, le=3660)):
    rows = selectors.schedules_visible_to(request.auth)
    today = timezone.localdate()
    if due_within_days is not None:
        rows = rows.filter(next_due__lte=today + datetime.timedelta(days=due_within_days))
    return [schedule_out(s, today) for s in rows[:1000]]


@router.post(
    "/standards/schedules",
    response={201: ScheduleOut, 403: Problem, 404: Problem, 422: Problem},
    summary="Plan a recurring assessment of a centre",
)
@requires("standards.self_assess")
def create_schedule(request, payload: ScheduleIn):
    """Self-assessment schedules need standards.self_assess for the centre; external
    audit schedules also standards.audit. One per centre, catalogue and kind."""
    user = request.auth
    schedule = schedules.create_schedule(
        user=user,
        facility=_facility(user, payload.facility),
        catalogue=_catalogue(payload.catalogue),
        kind=payload.kind,
        next_due=payload.next_due,
        interval_months=payload.interval_months,
        assessor=_user(payload.assessor, "assessor"),
    )
    schedule = selectors.schedule_for(user, schedule.pk)
    return Status(201, schedule_out(schedule, timezone.localdate()))


@router.put(
    "/standards/schedules/{pk}",
    response={200: ScheduleOut, 403: Problem, 404: Problem, 422: Problem},
    summary="Change a schedule's next due date, interval or assessor",
)
@requires("standards.self_assess")
def update_schedule(request, pk: int, payload: ScheduleUpdate):
    user = request.auth
    schedule = schedules.update_schedule(
        schedule=selectors.schedule_for(user, pk),
        user=user,
        next_due=payload.next_due,
        interval_months=payload.interval_months,
        assessor=_user(payload.assessor, "assessor"),
    )
    return Status(200, schedule_out(schedule, timezone.localdate()))


@router.delete(
    "/standards/schedules/{pk}",
    response={204: None, 403: Problem, 404: Problem},
    summary="Delete a schedule",
)
@requires("standards.self_assess")
def delete_schedule(request, pk: int):
    schedules.delete_schedule(schedule=selectors.schedule_for(request.auth, pk), user=request.auth)
    return Status(204, None)
