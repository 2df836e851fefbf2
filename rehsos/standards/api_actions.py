"""API of the standards app: improvement actions, their evidence, the yearly
attestation, and the dashboards' figures (under /api/v1/standards/actions and
/api/v1/standards/dashboard)."""

import datetime
from decimal import Decimal
from uuid import UUID

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from rehsos.core.api import Problem
from rehsos.core.errors import Conflict, NotFound, ValidationFailed
from rehsos.core.pagination import keyset_page
from rehsos.core.permissions import requires
from rehsos.standards import selectors_actions as selectors
from rehsos.standards import selectors_dashboard as dashboards
from rehsos.standards import services_actions as services
from rehsos.standards.models import Action, ActionEvidence, Attestation

router = Router(tags=["standards: actions and dashboards"])


# --- schemas ----------------------------------------------------------------------


class ActionOut(Schema):
    public_id: UUID
    version: int
    facility: str = Field(..., description="The centre's code.")
    title: str
    description: str
    criterion: str | None = Field(None, description="The criterion's code.")
    criterion_id: int | None
    critical: bool
    finding_id: int | None = Field(None, description="The audit finding it answers.")
    owner: str | None = Field(None, description="The owner's username.")
    due_on: datetime.date
    overdue: bool
    cost_estimate: int | None = Field(None, description="Whole rupiah.")
    funding: str
    agreement: UUID | None = Field(None, description="The partner agreement's public id.")
    status: str
    closed_on: datetime.date | None
    closing_note: str
    evidence: int = Field(..., description="Number of evidence files.")


class ActionPage(Schema):
    items: list[ActionOut]
    next: str | None = Field(None, description="Pass as `after` for the next page.")


class ActionQuery(Schema):
    facility: str | None = Field(None, max_length=40, description="A centre's code.")
    status: str | None = Field(
        None, max_length=12, description="open, in_progress, done, cancelled or active."
    )
    overdue: bool = False
    funding: str | None = Field(None, max_length=8)
    owner: str | None = Field(None, max_length=150, description="A username.")
    q: str | None = Field(None, max_length=100)
    after: str | None = Field(None, max_length=300)
    limit: int = Field(50, ge=1, le=settings.REHSOS_API_PAGE_MAX)


class ActionIn(Schema):
    facility: str = Field(..., max_length=40, description="The centre's code.")
    title: str = Field(..., max_length=services.TITLE_MAX)
    description: str = Field("", max_length=10000)
    criterion_id: int | None = Field(
        None, description="A criterion of a version the centre was assessed against."
    )
    owner: str | None = Field(
        None, max_length=150, description="Username of a user of the centre or a national user."
    )
    due_on: datetime.date
    cost_estimate: int | None = Field(None, ge=0, description="Whole rupiah.")
    funding: Action.Funding = Action.Funding.OWN
    agreement: UUID | None = Field(None, description="Required for partner funding.")


class ActionPatch(Schema):
    version: int = Field(..., description="The action's version you read (409 if stale).")
    title: str | None = Field(None, max_length=services.TITLE_MAX)
    description: str | None = Field(None, max_length=10000)
    criterion_id: int | None = None
    owner: str | None = Field(None, max_length=150, description='"" removes the owner.')
    due_on: datetime.date | None = None
    cost_estimate: int | None = Field(None, ge=0)
    funding: Action.Funding | None = None
    agreement: UUID | None = None


class ActionStatusIn(Schema):
    version: int = Field(..., description="The action's version you read (409 if stale).")
    status: str = Field(..., max_length=12, description="in_progress, done or cancelled.")
    note: str = Field(
        "", max_length=4000, description="How it was closed (done) or why (cancelled)."
    )
    closed_on: datetime.date | None = Field(None, description="Default: today.")


class ActionEvidenceOut(Schema):
    id: int
    original_name: str
    content_type: str
    size: int
    sha256: str
    caption: str
    valid_from: datetime.date
    uploaded_at: datetime.datetime
    uploaded_by: str | None


class AttestationIn(Schema):
    facility: str = Field(..., max_length=40)
    statement: str = Field(..., max_length=4000)


class AttestationOut(Schema):
    facility: str
    year: int
    statement: str
    attested_by: str
    attested_at: datetime.datetime
    open_actions: int
    overdue_actions: int


class AttestationQuery(Schema):
    facility: str = Field(..., max_length=40)


class DomainOut(Schema):
    domain: str
    label: str
    self_percent: Decimal | None
    self_failed: bool | None
    external_percent: Decimal | None
    external_failed: bool | None


class GapOut(Schema):
    code: str
    criterion_id: int | None
    actions: list[UUID]
    covered: bool


class CentreDashboardOut(Schema):
    facility: str
    name: str
    is_model: bool
    latest_assessment: UUID | None
    latest_kind: str | None
    met: int | None
    applicable: int | None
    met_percent: Decimal | None
    score_percent: Decimal | None
    self_percent: Decimal | None
    external_percent: Decimal | None
    domains: list[DomainOut]
    critical_gaps: list[GapOut]
    actions_by_status: dict[str, int]
    overdue: int
    due_within_14_days: int
    open_cost_by_funding: dict[str, int]
    open_unestimated_by_funding: dict[str, int]
    attestation_year: int
    attested: bool
    attestation_due: bool
    last_audit_on: datetime.date | None


class CentreRowOut(Schema):
    facility: str
    name: str
    province: str
    kind: str
    clusters: list[str]
    is_model: bool
    latest_kind: str
    met: int
    applicable: int
    met_percent: Decimal | None
    score_percent: Decimal | None
    critical_gaps: int | None
    uncovered_gaps: int | None
    open_actions: int
    overdue: int
    last_audit_on: datetime.date | None


class TotalsOut(Schema):
    centres: int
    assessed: int
    met: int
    applicable: int
    met_percent: Decimal | None
    critical_gaps: int
    uncovered_gaps: int
    open_actions: int
    overdue: int


class ActionsNationalOut(Schema):
    models: list[CentreRowOut]
    model_totals: TotalsOut
    centres: list[CentreRowOut]
    totals: TotalsOut
    page: int
    pages: int
    sort: str


class NationalQuery(Schema):
    province: str | None = Field(None, max_length=2)
    kind: str | None = Field(None, max_length=16)
    cluster: str | None = Field(None, max_length=8)
    sort: str = Field(
        "name",
        max_length=12,
        description="name, province, met, gaps, overdue, open, audit; "
        "a leading '-' sorts descending.",
    )
    page: int = Field(1, ge=1, description="100 centres a page.")


# --- conversions ------------------------------------------------------------------


def action_out(action: Action, today: datetime.date, evidence: int | None = None) -> dict:
    return {
        "public_id": action.public_id,
        "version": action.version,
        "facility": action.facility.code,
        "title": action.title,
        "description": action.description,
        "criterion": action.criterion.code if action.criterion_id else None,
        "criterion_id": action.criterion_id,
        "critical": bool(action.criterion_id and action.criterion.critical),
        "finding_id": action.finding_id,
        "owner": action.owner.get_username() if action.owner_id else None,
        "due_on": action.due_on,
        "overdue": selectors.is_overdue(action, today),
        "cost_estimate": int(action.cost_estimate) if action.cost_estimate is not None else None,
        "funding": action.funding,
        "agreement": action.agreement.public_id if action.agreement_id else None,
        "status": action.status,
        "closed_on": action.closed_on,
        "closing_note": action.closing_note,
        "evidence": evidence if evidence is not None else action.evidence.count(),
    }


def _jsonable(data: dict) -> dict:
    return {k: (str(v) if isinstance(v, UUID | datetime.date) else v) for k, v in data.items()}


def evidence_out(evidence: ActionEvidence) -> dict:
    return {
        "id": evidence.pk,
        "original_name": evidence.original_name,
        "content_type": evidence.content_type,
        "size": evidence.size,
        "sha256": evidence.sha256,
        "caption": evidence.caption,
        "valid_from": evidence.valid_from,
        "uploaded_at": evidence.uploaded_at,
        "uploaded_by": evidence.uploaded_by.get_username() if evidence.uploaded_by_id else None,
    }


def attestation_out(row: Attestation) -> dict:
    return {
        "facility": row.facility.code,
        "year": row.year,
        "statement": row.statement,
        "attested_by": row.attested_by.get_username(),
        "attested_at": row.attested_at,
        "open_actions": row.open_actions,
        "overdue_actions": row.overdue_actions,
    }


def _facility_field(user, code: str, field: str = "facility"):
    try:
        return selectors.facility_for(user, code)
    except NotFound as exc:  # bad input in a body or query names its field
        raise ValidationFailed(fields={field: str(exc.message)}) from exc


def _owner_field(value: str | None):
    """The owner as given: a username, "" for nobody; the service checks who may own."""
    if value is None or value == "":
        return None
    owner = get_user_model().objects.filter(username=value).first()
    if owner is None:
        raise ValidationFailed(fields={"owner": _("No user with this username.")})
    return owner


# --- actions ----------------------------------------------------------------------


@router.get(
    "/standards/actions",
    response={200: ActionPage, 403: Problem, 422: Problem},
    summary="Improvement actions in your scope, by due date",
)
@requires("standards.view")
def list_actions(request, query: Query[ActionQuery]):
    user = request.auth
    today = timezone.localdate()
    actions = selectors.actions_visible_to(user)
    if query.facility:
        actions = actions.filter(facility=_facility_field(user, query.facility))
    owner_id = None
    if query.owner:
        owner_id = _owner_field(query.owner).pk
    filters = selectors.ActionFilters(
        status=query.status or "",
        overdue=query.overdue,
        funding=query.funding or "",
        owner=owner_id,
        q=query.q or "",
    )
    if query.status and query.status != "active" and query.status not in Action.Status.values:
        raise ValidationFailed(
            fields={"status": _("Choose open, in_progress, done, cancelled or active.")}
        )
    actions = selectors.filter_actions(actions, filters, today).select_related(
        "facility", "criterion", "owner", "agreement"
    )
    page = keyset_page(actions, order=("due_on", "id"), after=query.after, limit=query.limit)
    counts = dict(
        ActionEvidence.objects.filter(action__in=[a.pk for a in page.items])
        .values("action_id")
        .annotate(n=Count("pk"))
        .values_list("action_id", "n")
        .order_by()
    )
    return {
        "items": [action_out(a, today, counts.get(a.pk, 0)) for a in page.items],
        "next": page.next_cursor,
    }


@router.post(
    "/standards/actions",
    response={201: ActionOut, 403: Problem, 404: Problem, 422: Problem},
    summary="Add an action to a centre's improvement plan",
)
@requires("standards.manage_actions")
def create_action(request, payload: ActionIn):
    """Partner funding needs `agreement` (signed or in force); the owner must be a user
    of the centre or a national user; the due date cannot be in the past."""
    user = request.auth
    facility = _facility_field(user, payload.facility)
    action = services.create_action(
        user=user,
        facility=facility,
        title=payload.title,
        description=payload.description,
        criterion=payload.criterion_id,
        owner=_owner_field(payload.owner),
        due_on=payload.due_on,
        cost_estimate=payload.cost_estimate,
        funding=payload.funding,
        agreement=payload.agreement,
    )
    action = selectors.action_for(user, action.public_id)
    return Status(201, action_out(action, timezone.localdate(), 0))


@router.get(
    "/standards/actions/attestations",
    response={200: list[AttestationOut], 403: Problem, 422: Problem},
    summary="A centre's yearly attestations, newest first",
)
@requires("standards.view")
def list_attestations(request, query: Query[AttestationQuery]):
    facility = _facility_field(request.auth, query.facility)
    return [attestation_out(row) for row in selectors.attestations_of(facility)]


@router.post(
    "/standards/actions/attestations",
    response={201: AttestationOut, 403: Problem, 422: Problem},
    summary="Attest this year that the centre's improvement plan is being kept (its head)",
)
@requires("standards.attest")
def attest(request, payload: AttestationIn):
    """Once a year per centre; a second attestation in the same year answers 422
    naming `year`. The open and overdue counts of the moment are recorded."""
    facility = _facility_field(request.auth, payload.facility)
    row = services.attest(user=request.auth, facility=facility, statement=payload.statement)
    return Status(201, attestation_out(row))


@router.get(
    "/standards/actions/{uuid:public_id}",
    response={200: ActionOut, 403: Problem, 404: Problem},
    summary="One improvement action",
)
@requires("standards.view")
def get_action(request, public_id: UUID):
    action = selectors.action_for(request.auth, public_id)
    return action_out(action, timezone.localdate())


@router.patch(
    "/standards/actions/{uuid:public_id}",
    response={200: ActionOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Change an open action (owner, due date, cost, funding, …)",
)
@requires("standards.manage_actions")
def patch_action(request, public_id: UUID, payload: ActionPatch):
    """Only the fields sent are changed. A stale `version` answers 409 with the
    saved action under `current`."""
    user = request.auth
    action = selectors.action_for(user, public_id, write=True)
    sent = payload.dict(exclude_unset=True)
    sent.pop("version", None)
    changes = {}
    for name, value in sent.items():
        if name == "criterion_id":
            changes["criterion"] = value
        elif name == "owner":
            changes["owner"] = _owner_field(value)
        elif name in ("title", "due_on", "funding") and value is None:
            raise ValidationFailed(fields={name: _("This field cannot be empty.")})
        else:
            changes[name] = value
    try:
        action = services.update_action(
            user=user, action=action, version=payload.version, **changes
        )
    except Conflict as exc:
        current = selectors.action_for(user, public_id)
        exc.extra = {**exc.extra, "current": _jsonable(action_out(current, timezone.localdate()))}
        raise
    action = selectors.action_for(user, public_id)
    return action_out(action, timezone.localdate())


@router.post(
    "/standards/actions/{uuid:public_id}/status",
    response={200: ActionOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Move an action to in progress, done or cancelled",
)
@requires("standards.manage_actions")
def change_status(request, public_id: UUID, payload: ActionStatusIn):
    """Done needs at least one evidence file (422 naming `evidence`) and a `note` on
    how it was closed; cancelled needs the reason in `note`. Done and cancelled are
    final. A stale `version` answers 409."""
    user = request.auth
    action = selectors.action_for(user, public_id, write=True)
    try:
        services.change_status(
            user=user,
            action=action,
            status=payload.status,
            version=payload.version,
            note=payload.note,
            closed_on=payload.closed_on,
        )
    except Conflict as exc:
        current = selectors.action_for(user, public_id)
        exc.extra = {**exc.extra, "current": _jsonable(action_out(current, timezone.localdate()))}
        raise
    action = selectors.action_for(user, public_id)
    return action_out(action, timezone.localdate())


@router.get(
    "/standards/actions/{uuid:public_id}/evidence",
    response={200: list[ActionEvidenceOut], 403: Problem, 404: Problem},
    summary="The evidence files of an action",
)
@requires("standards.view")
def list_evidence(request, public_id: UUID):
    action = selectors.action_for(request.auth, public_id)
    rows = action.evidence.select_related("uploaded_by").order_by("-valid_from", "-pk")
    return [evidence_out(row) for row in rows]


@router.post(
    "/standards/actions/{uuid:public_id}/evidence",
    response={201: ActionEvidenceOut, 403: Problem, 404: Problem, 422: Problem},
    summary="Upload evidence (PDF, JPEG, PNG, DOCX or XLSX; multipart)",
)
@requires("standards.manage_actions")
def upload_evidence(
    request,
    public_id: UUID,
    file: File[UploadedFile],
    valid_from: Form[datetime.date],
    caption: Form[str] = "",
):
    """The type is decided by the file's content; a refused file answers 422 naming
    `file`. `valid_from` is the date the evidence shows, not the upload date."""
    action = selectors.action_for(request.auth, public_id, write=True)
    evidence = services.add_evidence(
        user=request.auth, action=action, upload=file, valid_from=valid_from, caption=caption
    )
    return Status(201, evidence_out(evidence))


@router.get(
    "/standards/actions/{uuid:public_id}/evidence/{int:pk}",
    response={200: None, 403: Problem, 404: Problem},
    summary="Download an evidence file (permission-checked)",
)
@requires("standards.view")
def download_evidence(request, public_id: UUID, pk: int):
    action = selectors.action_for(request.auth, public_id)
    evidence = selectors.evidence_for(request.auth, action, pk)
    try:
        handle = services.open_evidence(evidence)
    except FileNotFoundError:
        raise NotFound(_("The file is missing from the store; tell the administrator.")) from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=evidence.original_name,
        content_type=evidence.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- dashboards -------------------------------------------------------------------


def _percent(score) -> Decimal | None:
    return score.percent if score else None


@router.get(
    "/standards/dashboard/centres/{code}",
    response={200: CentreDashboardOut, 403: Problem, 404: Problem},
    summary="A centre's standards figures",
)
@requires("standards.view")
def centre_dashboard(request, code: str):
    facility = selectors.facility_for(request.auth, code)
    board = dashboards.centre_dashboard(request.auth, facility)
    latest = board.latest_score
    return {
        "facility": facility.code,
        "name": facility.name,
        "is_model": facility.is_model,
        "latest_assessment": board.latest.public_id if board.latest else None,
        "latest_kind": board.latest.kind if board.latest else None,
        "met": latest.met if latest else None,
        "applicable": latest.applicable if latest else None,
        "met_percent": latest.met_percent if latest else None,
        "score_percent": latest.percent if latest else None,
        "self_percent": _percent(board.self_score),
        "external_percent": _percent(board.external_score),
        "domains": [
            {
                "domain": row.domain,
                "label": row.label,
                "self_percent": row.self_score.percent if row.self_score else None,
                "self_failed": row.self_score.failed if row.self_score else None,
                "external_percent": row.external.percent if row.external else None,
                "external_failed": row.external.failed if row.external else None,
            }
            for row in board.domains
        ],
        "critical_gaps": [
            {
                "code": gap.code,
                "criterion_id": gap.criterion.pk if gap.criterion else None,
                "actions": [a.public_id for a in gap.actions],
                "covered": gap.covered,
            }
            for gap in board.gaps
        ],
        "actions_by_status": {row.status: row.count for row in board.by_status},
        "overdue": board.overdue,
        "due_within_14_days": board.due_soon,
        "open_cost_by_funding": {row.funding: int(row.total) for row in board.costs},
        "open_unestimated_by_funding": {row.funding: row.unestimated for row in board.costs},
        "attestation_year": board.attestation.year,
        "attested": board.attestation.current is not None,
        "attestation_due": board.attestation.due,
        "last_audit_on": board.last_audit_on,
    }


def _row_out(row: dashboards.CentreRow) -> dict:
    return {
        "facility": row.code,
        "name": row.name,
        "province": row.province_code,
        "kind": row.kind,
        "clusters": row.clusters,
        "is_model": row.is_model,
        "latest_kind": row.assessment_kind,
        "met": row.met,
        "applicable": row.applicable,
        "met_percent": row.met_percent,
        "score_percent": row.score_percent,
        "critical_gaps": row.critical_gaps,
        "uncovered_gaps": row.uncovered_gaps,
        "open_actions": row.open_actions,
        "overdue": row.overdue,
        "last_audit_on": row.last_audit_on,
    }


def _totals_out(totals: dashboards.Totals) -> dict:
    return {
        "centres": totals.centres,
        "assessed": totals.assessed,
        "met": totals.met,
        "applicable": totals.applicable,
        "met_percent": totals.met_percent,
        "critical_gaps": totals.critical_gaps,
        "uncovered_gaps": totals.uncovered_gaps,
        "open_actions": totals.open_actions,
        "overdue": totals.overdue,
    }


@router.get(
    "/standards/dashboard",
    response={200: ActionsNationalOut, 403: Problem, 422: Problem},
    summary="Standards figures of every centre in your scope (model centres first)",
)
@requires("standards.view")
def national_dashboard(request, query: Query[NationalQuery]):
    """Unknown filter values answer 422 naming the filter; `centres` is one page of
    100, sorted by `sort`, and `totals` cover every centre matching the filters."""
    filters = dashboards.clean_filters(
        province=query.province or "",
        kind=query.kind or "",
        cluster=query.cluster or "",
        sort=query.sort,
        page=query.page,
    )
    errors = {
        name: _("Unknown value.")
        for name in ("province", "kind", "cluster")
        if getattr(query, name) and not getattr(filters, name)
    }
    if query.sort.lstrip("-") not in dashboards.SORTS:
        errors["sort"] = _("Sort by one of: %(keys)s.") % {"keys": ", ".join(dashboards.SORTS)}
    if errors:
        raise ValidationFailed(fields=errors)
    board = dashboards.national_dashboard(request.auth, filters)
    return {
        "models": [_row_out(r) for r in board.models],
        "model_totals": _totals_out(board.model_totals),
        "centres": [_row_out(r) for r in board.page_rows],
        "totals": _totals_out(board.totals),
        "page": board.page,
        "pages": board.pages,
        "sort": filters.sort,
    }
