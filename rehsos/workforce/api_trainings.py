"""Trainings and their participants under /api/v1/workforce/trainings.

Training events are read by every reader of the workforce; their participants only
within the reader's scope. The summary (completion, mean score gain) is an aggregate
over all participants."""

import datetime
from uuid import UUID

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from rehsos.core.api import Problem
from rehsos.core.errors import Conflict, ValidationFailed
from rehsos.core.pagination import keyset_page
from rehsos.core.permissions import requires
from rehsos.partners.models import Partner
from rehsos.workforce import selectors
from rehsos.workforce.api_base import WorkforcePageQuery, facility_field, jsonable, number
from rehsos.workforce.models import Training
from rehsos.workforce.services import trainings as services

router = Router(tags=["workforce: trainings"])


class SummaryOut(Schema):
    participants: int
    completed: int
    passed: int
    failed: int
    absent: int
    completion: float | None = Field(..., description="% who completed or passed")
    scored: int = Field(..., description="Participants with both a pre- and a post-test")
    mean_pre: float | None
    mean_post: float | None
    mean_gain: float | None = Field(..., description="Mean of post − pre over `scored`")


class TrainingOut(Schema):
    public_id: UUID
    version: int
    title: str
    kind: str
    provider: str
    partner: str | None = Field(None, description="The partner's code.")
    facility: str | None = Field(None, description="Code of the centre where it is held.")
    starts_on: datetime.date
    ends_on: datetime.date
    hours: int | None
    competencies: str


class TrainingDetail(TrainingOut):
    summary: SummaryOut


class TrainingPage(Schema):
    items: list[TrainingOut]
    next: str | None = None


class TrainingIn(Schema):
    title: str = Field(..., max_length=300)
    kind: str = Field(..., max_length=12, description="course, workshop, tot, study_visit, online")
    provider: str = Field("", max_length=200)
    partner: str | None = Field(None, max_length=40, description="The partner's code.")
    facility: str | None = Field(None, max_length=40, description="Where it is held (code).")
    starts_on: datetime.date
    ends_on: datetime.date
    hours: int | None = None
    competencies: str = Field("", max_length=300)


class TrainingPatch(Schema):
    version: int = Field(..., description="The version you read (409 if stale).")
    title: str | None = Field(None, max_length=300)
    kind: str | None = Field(None, max_length=12)
    provider: str | None = Field(None, max_length=200)
    partner: str | None = Field(None, max_length=40)
    facility: str | None = Field(None, max_length=40)
    starts_on: datetime.date | None = None
    ends_on: datetime.date | None = None
    hours: int | None = None
    competencies: str | None = Field(None, max_length=300)


class TrainingQuery(WorkforcePageQuery):
    q: str | None = Field(None, max_length=100)
    year: int | None = Field(None, ge=1990, le=2100)


class TrainingParticipantOut(Schema):
    id: int
    staff: UUID
    name: str
    facility: str
    result: str
    pre_score: float | None
    score: float | None


class EnrolIn(Schema):
    staff: list[UUID] = Field(..., max_length=200, description="Public ids of staff in scope.")


class ResultIn(Schema):
    result: str = Field(..., max_length=12)
    pre_score: float | None = Field(None, ge=0, le=100)
    score: float | None = Field(None, ge=0, le=100)


def training_out(t: Training) -> dict:
    return {
        "public_id": t.public_id,
        "version": t.version,
        "title": t.title,
        "kind": t.kind,
        "provider": t.provider,
        "partner": t.partner.code if t.partner_id else None,
        "facility": t.facility.code if t.facility_id else None,
        "starts_on": t.starts_on,
        "ends_on": t.ends_on,
        "hours": t.hours,
        "competencies": t.competencies,
    }


def summary_out(training: Training) -> dict:
    s = selectors.training_summary(training)
    return {
        "participants": s.participants,
        "completed": s.completed,
        "passed": s.passed,
        "failed": s.failed,
        "absent": s.absent,
        "completion": number(s.completion),
        "scored": s.scored,
        "mean_pre": number(s.mean_pre),
        "mean_post": number(s.mean_post),
        "mean_gain": number(s.mean_gain),
    }


def participant_out(p) -> dict:
    return {
        "id": p.pk,
        "staff": p.staff.public_id,
        "name": p.staff.name,
        "facility": p.staff.facility.code,
        "result": p.result,
        "pre_score": number(p.pre_score),
        "score": number(p.score),
    }


def _refs(user, data: dict) -> dict:
    if "partner" in data:
        code = data["partner"]
        data["partner"] = Partner.objects.filter(code=code).first() if code else None
        if code and data["partner"] is None:
            raise ValidationFailed(fields={"partner": _("No such partner.")})
    if "facility" in data:
        data["facility"] = facility_field(user, data["facility"])
    return data


@router.get(
    "/workforce/trainings",
    response={200: TrainingPage, 403: Problem, 422: Problem},
    summary="Trainings, newest first",
)
@requires("workforce.view")
def list_trainings(request, query: Query[TrainingQuery]):
    rows = selectors.trainings(request.auth, q=query.q or "", year=query.year)
    page = keyset_page(
        rows, order=("starts_on", "id"), after=query.after, limit=query.limit, descending=True
    )
    return {"items": [training_out(t) for t in page.items], "next": page.next_cursor}


@router.post(
    "/workforce/trainings",
    response={201: TrainingDetail, 403: Problem, 422: Problem},
    summary="Add a training",
)
@requires("workforce.manage")
def create_training(request, payload: TrainingIn):
    """Staff scoped to a centre or province give the centre where it is held."""
    training = services.create_training(request.auth, **_refs(request.auth, payload.dict()))
    return Status(201, {**training_out(training), "summary": summary_out(training)})


@router.get(
    "/workforce/trainings/{public_id}",
    response={200: TrainingDetail, 403: Problem, 404: Problem},
    summary="A training with its summary (completion, mean score gain)",
)
@requires("workforce.view")
def get_training(request, public_id: UUID):
    training = selectors.training_for(request.auth, public_id)
    return {**training_out(training), "summary": summary_out(training)}


@router.patch(
    "/workforce/trainings/{public_id}",
    response={200: TrainingDetail, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Change a training (give the version you read)",
)
@requires("workforce.manage")
def patch_training(request, public_id: UUID, payload: TrainingPatch):
    training = selectors.training_for(request.auth, public_id)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    try:
        training = services.update_training(
            request.auth, training, version=version, **_refs(request.auth, data)
        )
    except Conflict as exc:
        current = Training.objects.select_related("partner", "facility").get(pk=training.pk)
        exc.extra = {**exc.extra, "current": jsonable(training_out(current))}
        raise
    return {**training_out(training), "summary": summary_out(training)}


@router.get(
    "/workforce/trainings/{public_id}/participants",
    response={200: list[TrainingParticipantOut], 403: Problem, 404: Problem},
    summary="The training's participants in your scope",
)
@requires("workforce.view")
def list_participants(request, public_id: UUID):
    training = selectors.training_for(request.auth, public_id)
    return [participant_out(p) for p in selectors.participants_in_scope(request.auth, training)]


@router.post(
    "/workforce/trainings/{public_id}/participants",
    response={201: list[TrainingParticipantOut], 403: Problem, 404: Problem, 422: Problem},
    summary="Enrol staff of your scope",
)
@requires("workforce.manage")
def enrol(request, public_id: UUID, payload: EnrolIn):
    user = request.auth
    training = selectors.training_for(user, public_id)
    wanted = {str(p) for p in payload.staff}
    staff = list(selectors.staff_in_scope(user).filter(public_id__in=wanted))
    missing = wanted - {str(s.public_id) for s in staff}
    if missing:
        raise ValidationFailed(
            fields={"staff": _("Not in your scope: %(ids)s.") % {"ids": ", ".join(sorted(missing))}}
        )
    rows = services.add_participants(user, training, staff)
    return Status(201, [participant_out(p) for p in rows])


@router.patch(
    "/workforce/participants/{int:pk}",
    response={200: TrainingParticipantOut, 403: Problem, 404: Problem, 422: Problem},
    summary="Record a participant's result and pre/post-test scores (0–100)",
)
@requires("workforce.manage")
def record_result(request, pk: int, payload: ResultIn):
    participant = selectors.participant_for(request.auth, pk)
    participant = services.record_result(request.auth, participant, **payload.dict())
    return participant_out(participant)


@router.delete(
    "/workforce/participants/{int:pk}",
    response={204: None, 403: Problem, 404: Problem, 422: Problem},
    summary="Remove a participant",
)
@requires("workforce.manage")
def remove_participant(request, pk: int):
    participant = selectors.participant_for(request.auth, pk)
    services.remove_participant(request.auth, participant)
    return Status(204, None)
