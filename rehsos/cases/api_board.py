"""Read endpoints of the caseload pages: a case's timeline, a centre's board by stage,
and the case indicators (suppressed small cells for aggregate-only roles)."""

import datetime
from uuid import UUID

from ninja import Field, Query, Router, Schema
from pydantic import field_validator

from rehsos.cases import access, selectors
from rehsos.core.access import log_access
from rehsos.core.errors import ValidationFailed
from rehsos.core.permissions import requires
from rehsos.registry.models import Person

router = Router(tags=["case board"])


def _blank_is_missing(value):
    return None if isinstance(value, str) and not value.strip() else value


class TimelineParams(Schema):
    after: str | None = Field(None, max_length=300, description="The `next` of the last page.")
    limit: int = Field(50, ge=1, le=200)

    _blank = field_validator("after", mode="before")(_blank_is_missing)


class EntryOut(Schema):
    at: datetime.datetime
    source: str = Field(..., description="event, transition, service, assessment or stay")
    id: int
    label: str
    detail: str
    actor: str | None


class TimelineOut(Schema):
    items: list[EntryOut]
    next: str | None


def _actor(user) -> str | None:
    return (user.get_full_name() or user.get_username()) if user else None


@router.get("/cases/{public_id}/timeline", response=TimelineOut, summary="A case's timeline")
@requires("cases.view")
def case_timeline(request, public_id: UUID, params: Query[TimelineParams]):
    case = access.get_case(request, public_id, "cases.view")
    page = selectors.timeline(case, after=params.after, limit=params.limit)
    return {
        "items": [
            {
                "at": e.at,
                "source": e.source,
                "id": e.id,
                "label": e.label,
                "detail": e.detail,
                "actor": _actor(e.actor),
            }
            for e in page.items
        ],
        "next": page.next_cursor,
    }


class BoardParams(Schema):
    unit: str | None = Field(None, max_length=12, description="Centre id (heads: their own).")
    cluster: str | None = Field(None, max_length=8)
    stage: str | None = Field(None, max_length=40, description="A stage code of the default list")
    risk: str | None = Field(None, max_length=8)
    worker: str | None = Field(None, max_length=12, description="Social worker's user id")

    _blank = field_validator("unit", "cluster", "stage", "risk", "worker", mode="before")(
        _blank_is_missing
    )


class CardOut(Schema):
    public_id: UUID
    number: str
    name: str = Field(..., description="Initials only for a sensitive case you may not open")
    masked: bool
    cluster: str
    risk_level: str
    days_in_stage: int
    overdue: bool


class ColumnOut(Schema):
    stage: str
    name: str
    count: int
    cards: list[CardOut]


class UnitOut(Schema):
    id: int
    name: str


class BoardOut(Schema):
    unit: UnitOut
    columns: list[ColumnOut]


@router.get("/case-board", response=BoardOut, summary="A centre's open cases by stage")
@requires("cases.view")
def case_board(request, params: Query[BoardParams]):
    user = request.auth
    unit = selectors.board_unit(user, params.unit)
    if unit is None:
        raise ValidationFailed(fields={"unit": "Choose a centre in your scope."})
    filters = selectors.parse_filters(params.dict())
    columns = selectors.board(user, unit, filters=filters)
    shown = [
        Person(pk=card.case.person_id, public_id=card.case.person_public_id)
        for column in columns
        for card in column.cards
        if not card.masked
    ]
    if shown:
        log_access(request, shown, purpose="case board")
    return {
        "unit": {"id": unit.pk, "name": unit.name},
        "columns": [
            {
                "stage": column.stage.code,
                "name": str(column.stage),
                "count": column.count,
                "cards": [
                    {
                        "public_id": card.case.public_id,
                        "number": card.case.number,
                        "name": card.name,
                        "masked": card.masked,
                        "cluster": card.case.cluster,
                        "risk_level": card.case.risk_level,
                        "days_in_stage": card.days_in_stage,
                        "overdue": card.overdue,
                    }
                    for card in column.cards
                ],
            }
            for column in columns
        ],
    }


class IndicatorParams(Schema):
    unit: str | None = Field(None, max_length=12, description="Narrow to one centre in scope")
    province: str | None = Field(None, pattern=r"^\d{2}$", description="Province code, e.g. 31")

    _blank = field_validator("unit", "province", mode="before")(_blank_is_missing)


class CellOut(Schema):
    label: str
    value: int | None = Field(..., description="null when suppressed")
    hidden: str = Field("", description="small (1–4) or secondary (hidden so a small one stays so)")


class TableOut(Schema):
    rows: list[CellOut]
    total: CellOut


class StageTimeOut(Schema):
    n: int | None
    avg: float | None
    median: float | None
    hidden: bool


class StageTimesOut(Schema):
    stage: str
    done: StageTimeOut
    current: StageTimeOut


class IndicatorsOut(Schema):
    suppressed: bool = Field(..., description="Small cells are suppressed for your role")
    by_cluster: TableOut
    by_stage: TableOut
    by_unit: TableOut
    by_province: TableOut
    time_in_stage: list[StageTimesOut]
    completed: TableOut
    aftercare: TableOut
    overdue: TableOut


def _table(table) -> dict:
    cell = lambda c: {"label": c.label, "value": c.value, "hidden": c.hidden}  # noqa: E731
    return {"rows": [cell(c) for c in table.rows], "total": cell(table.total)}


@router.get("/case-indicators", response=IndicatorsOut, summary="Case indicators in your scope")
@requires("stats.view")
def case_indicators(request, params: Query[IndicatorParams]):
    user = request.auth
    unit = selectors.board_unit(user, params.unit) if params.unit else None
    figures = selectors.indicators(user, unit=unit, province=params.province)
    result = {
        key: _table(value)
        for key, value in figures.items()
        if key not in ("suppressed", "time_in_stage")
    }
    result["suppressed"] = figures["suppressed"]
    result["time_in_stage"] = [
        {"stage": row["stage"].code, "done": row["done"], "current": row["current"]}
        for row in figures["time_in_stage"]
    ]
    return result
