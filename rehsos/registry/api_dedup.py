"""Duplicate review and merges under /api/v1/:

* ``GET /duplicates`` — pairs in the user's scope (pending by default), most likely first;
* ``GET /duplicates/{id}`` — one pair, both records side by side (NIK masked);
* ``POST /duplicates/{id}/decision`` — same / different / unsure;
* ``POST /merges`` — merge two records, choosing each field; 409 on a stale version;
* ``POST /merges/{id}/undo`` — undo a merge exactly;
* ``POST /duplicates/runs`` — start a deduplication run in the background.
"""

import datetime
from typing import Literal
from uuid import UUID

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from rehsos.core.access import log_access
from rehsos.core.errors import Conflict
from rehsos.core.jobs import start_job
from rehsos.core.pagination import keyset_page
from rehsos.core.permissions import requires
from rehsos.registry import selectors
from rehsos.registry.dedup import explain, queue
from rehsos.registry.models import MatchPair, Merge, Person
from rehsos.registry.services import merge as merge_services
from rehsos.registry.services.persons import masked_identifier

router = Router(tags=["duplicates"])

DEDUP_JOB = "registry.dedup"


class RecordOut(Schema):
    public_id: UUID
    version: int
    full_name: str
    other_names: list[str]
    sex: str
    birth_date: datetime.date | None
    nik_masked: str
    mother_name: str
    village: str
    facility: str | None
    source_system: str
    source_id: str


class ReasonOut(Schema):
    field: str
    level: str
    weight: float
    direction: str
    text: str


class PairOut(Schema):
    id: int
    probability: float
    weight: float
    cluster: str
    decision: str
    decided_at: datetime.datetime | None
    found_at: datetime.datetime
    reasons: list[ReasonOut]
    left: RecordOut
    right: RecordOut


class PairPage(Schema):
    items: list[PairOut]
    next: str | None


def record_out(person: Person) -> dict:
    return {
        "public_id": person.public_id,
        "version": person.version,
        "full_name": person.full_name,
        "other_names": person.other_names,
        "sex": person.sex,
        "birth_date": person.birth_date,
        "nik_masked": masked_identifier(person, "nik"),
        "mother_name": person.mother_name,
        "village": person.village_id,
        "facility": person.facility.code if person.facility_id else None,
        "source_system": person.source_system,
        "source_id": person.source_id,
    }


def pair_out(pair: MatchPair) -> dict:
    return {
        "id": pair.pk,
        "probability": pair.probability,
        "weight": pair.weight,
        "cluster": pair.cluster,
        "decision": pair.decision,
        "decided_at": pair.decided_at,
        "found_at": pair.found_at,
        "reasons": explain.describe(pair.explanation),
        "left": record_out(pair.left),
        "right": record_out(pair.right),
    }


class PairFilter(Schema):
    decision: Literal["pending", "same", "different", "unsure"] = "pending"
    limit: int = Field(50, ge=1, le=200)
    after: str | None = Field(None, max_length=300, description="The `next` of the last page.")


@router.get("/duplicates", response=PairPage, summary="Candidate duplicate pairs to review")
@requires("persons.review_duplicates")
def list_pairs(request, filters: Query[PairFilter]):
    pairs = queue.pairs_visible_to(request.auth, decision=filters.decision).select_related(
        "left__facility", "right__facility"
    )
    page = keyset_page(
        pairs,
        order=("probability", "id"),
        after=filters.after,
        limit=filters.limit,
        descending=True,
    )
    log_access(
        request,
        [person for pair in page.items for person in (pair.left, pair.right)],
        purpose="duplicate review",
    )
    return {"items": [pair_out(pair) for pair in page.items], "next": page.next_cursor}


@router.get("/duplicates/{int:pair_id}", response=PairOut, summary="One candidate pair")
@requires("persons.review_duplicates")
def get_pair(request, pair_id: int):
    pair = queue.pair_for(request.auth, pair_id)
    log_access(request, [pair.left, pair.right], purpose="duplicate review")
    return pair_out(pair)


class DedupDecisionIn(Schema):
    decision: Literal["same", "different", "unsure"]


@router.post(
    "/duplicates/{int:pair_id}/decision",
    response=PairOut,
    summary="Decide: same, different, unsure",
)
@requires("persons.review_duplicates")
def decide(request, pair_id: int, payload: DedupDecisionIn):
    pair = queue.pair_for(request.auth, pair_id)
    merge_services.decide_pair(pair=pair, decision=payload.decision, by=request.auth)
    pair = queue.pair_for(request.auth, pair_id)
    log_access(request, [pair.left, pair.right], purpose="duplicate review")
    return pair_out(pair)


ChoiceName = Literal[tuple(merge_services.CHOICES)]  # type: ignore[valid-type]


class MergeIn(Schema):
    survivor: UUID = Field(..., description="The record that stays")
    merged: UUID = Field(..., description="The record merged into it")
    survivor_version: int = Field(..., description="The survivor's version you saw")
    merged_version: int = Field(..., description="The merged record's version you saw")
    chosen: dict[ChoiceName, Literal["survivor", "merged", "both"]] = Field(
        default_factory=dict,
        description="Where each field's value comes from; fields not named keep the "
        "survivor's. other_names may be 'both' (the default).",
    )


class MergeOut(Schema):
    id: int
    survivor: UUID
    merged: UUID
    at: datetime.datetime
    by: str
    chosen: dict[str, str]
    rows_moved: int
    rows_kept: int
    undone_at: datetime.datetime | None
    undone_by: str | None


def merge_out(merge: Merge) -> dict:
    return {
        "id": merge.pk,
        "survivor": merge.survivor.public_id,
        "merged": merge.merged.public_id,
        "at": merge.at,
        "by": merge.by.username,
        "chosen": {name: choice["from"] for name, choice in merge.chosen.items()},
        "rows_moved": sum(1 for entry in merge.moved if not entry.get("kept")),
        "rows_kept": sum(1 for entry in merge.moved if entry.get("kept")),
        "undone_at": merge.undone_at,
        "undone_by": merge.undone_by.username if merge.undone_by_id else None,
    }


def _live(user, public_id: UUID, field: str) -> Person:
    person, redirected = selectors.person_for(user, public_id)
    if redirected:
        raise Conflict(
            _("This record was already merged into another one."),
            code="already_merged",
            extra={"record": field, "now": str(person.public_id)},
        )
    return person


@router.post("/merges", response={201: MergeOut}, summary="Merge two records of one person")
@requires("persons.review_duplicates")
def create_merge(request, payload: MergeIn):
    survivor = _live(request.auth, payload.survivor, "survivor")
    merged = _live(request.auth, payload.merged, "merged")
    merge = merge_services.merge_persons(
        survivor=survivor,
        merged=merged,
        chosen=dict(payload.chosen),
        survivor_version=payload.survivor_version,
        merged_version=payload.merged_version,
        by=request.auth,
    )
    log_access(request, [survivor, merged], purpose="merge")
    return Status(201, merge_out(merge))


@router.get("/merges/{int:merge_id}", response=MergeOut, summary="One merge")
@requires("persons.review_duplicates")
def get_merge(request, merge_id: int):
    return merge_out(queue.merge_for(request.auth, merge_id))


@router.post("/merges/{int:merge_id}/undo", response=MergeOut, summary="Undo a merge exactly")
@requires("persons.review_duplicates")
def undo_merge(request, merge_id: int):
    merge = queue.merge_for(request.auth, merge_id)
    merge = merge_services.unmerge(merge=merge, by=request.auth)
    log_access(request, [merge.survivor, merge.merged], purpose="unmerge")
    return merge_out(merge)


class RunIn(Schema):
    threshold: float | None = Field(
        None, gt=0, le=1, description="Match probability from which a pair is queued for review"
    )


class DedupJobOut(Schema):
    public_id: UUID
    kind: str
    status: str


@router.post("/duplicates/runs", response={202: DedupJobOut}, summary="Look for duplicates now")
@requires("persons.run_dedup")
def start_run(request, payload: RunIn):
    params = {"threshold": payload.threshold} if payload.threshold is not None else {}
    job = start_job(
        DEDUP_JOB, user=request.auth, title=_("Looking for duplicate persons"), params=params
    )
    return Status(202, job)
