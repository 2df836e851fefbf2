"""Registry endpoints under /api/v1/: persons, identifiers, consent, households, rights.

Search (GET /persons) lives in api_search.py on the same router."""

import datetime
from uuid import UUID

from django.http import HttpResponse
from django.urls import reverse
from ninja import Field, Schema, Status
from ninja.responses import Response

from rehsos.core.access import log_access
from rehsos.core.errors import Conflict
from rehsos.core.permissions import requires
from rehsos.registry import selectors
from rehsos.registry.api_search import router
from rehsos.registry.models import Person
from rehsos.registry.services import consent as consent_services
from rehsos.registry.services import households as household_services
from rehsos.registry.services import persons as person_services
from rehsos.registry.services import rights

__all__ = ["router"]


class PersonIn(Schema):
    full_name: str
    sex: str
    birth_date: datetime.date | None = None
    birth_date_precision: str = "exact"
    other_names: list[str] = []
    birth_place: str = ""
    nik: str = ""
    kk_number: str = ""
    mother_name: str = ""
    village: str = Field(..., description="Kemendagri village code, e.g. 31.75.03.1001")
    address: str = ""
    phone: str = ""
    education: str = ""
    marital_status: str = ""
    religion: str = ""
    wg_seeing: int | None = None
    wg_hearing: int | None = None
    wg_walking: int | None = None
    wg_cognition: int | None = None
    wg_selfcare: int | None = None
    wg_communication: int | None = None
    source_system: str = ""
    source_id: str = ""
    confirm: bool = Field(False, description="Save despite warnings and likely duplicates")


class PersonPatch(Schema):
    version: int
    full_name: str | None = None
    sex: str | None = None
    birth_date: datetime.date | None = None
    birth_date_precision: str | None = None
    other_names: list[str] | None = None
    birth_place: str | None = None
    nik: str | None = None
    kk_number: str | None = None
    mother_name: str | None = None
    village: str | None = None
    address: str | None = None
    phone: str | None = None
    education: str | None = None
    marital_status: str | None = None
    religion: str | None = None
    wg_seeing: int | None = None
    wg_hearing: int | None = None
    wg_walking: int | None = None
    wg_cognition: int | None = None
    wg_selfcare: int | None = None
    wg_communication: int | None = None


class PersonOut(Schema):
    public_id: UUID
    version: int
    full_name: str
    other_names: list[str]
    sex: str
    birth_date: datetime.date | None
    birth_date_precision: str
    birth_place: str
    nik_masked: str
    kk_masked: str
    mother_name: str
    village: str
    province_code: str
    address: str
    phone: str
    education: str
    marital_status: str
    religion: str
    washington_group: dict
    has_disability: bool | None
    allowed_purposes: list[str]
    facility: str | None
    erased: bool


def person_out(person: Person) -> dict:
    return {
        "public_id": person.public_id,
        "version": person.version,
        "full_name": person.full_name,
        "other_names": person.other_names,
        "sex": person.sex,
        "birth_date": person.birth_date,
        "birth_date_precision": person.birth_date_precision,
        "birth_place": person.birth_place,
        "nik_masked": person_services.masked_identifier(person, "nik"),
        "kk_masked": person_services.masked_identifier(person, "kk"),
        "mother_name": person.mother_name,
        "village": person.village_id,
        "province_code": person.province_code,
        "address": person.address,
        "phone": person.phone,
        "education": person.education,
        "marital_status": person.marital_status,
        "religion": person.religion,
        "washington_group": {f: getattr(person, f) for f in person_services.WG_FIELDS},
        "has_disability": person.has_disability,
        "allowed_purposes": sorted(consent_services.allowed_purposes(person)),
        "facility": person.facility.code if person.facility_id else None,
        "erased": person.erased_at is not None,
    }


@router.post("/persons", response={201: PersonOut}, summary="Register a person")
@requires("persons.register")
def register(request, payload: PersonIn):
    data = payload.dict(exclude={"confirm"})
    person = person_services.register_person(request.auth, data, confirmed=payload.confirm)
    log_access(request, person, purpose="registration")
    return Status(201, person_out(person))


def _redirect(request, person: Person, suffix: str = "") -> HttpResponse:
    response = HttpResponse(status=308)
    response["Location"] = reverse("api:person", args=[person.public_id]) + suffix
    return response


@router.get(
    "/persons/{public_id}",
    response={200: PersonOut},
    url_name="person",
    summary="A person's record (NIK masked)",
)
@requires("persons.view")
def get_person(request, public_id: UUID):
    person, redirected = selectors.person_for(request.auth, public_id)
    if redirected:
        return _redirect(request, person)
    log_access(request, person)
    return Status(200, person_out(person))


@router.patch("/persons/{public_id}", response={200: PersonOut}, summary="Edit with a row version")
@requires("persons.edit")
def edit_person(request, public_id: UUID, payload: PersonPatch):
    person, _redirected = selectors.person_for(request.auth, public_id)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    try:
        person = person_services.update_person(request.auth, person, data, version=version)
    except Conflict as exc:
        current = Person.objects.get(pk=person.pk)
        exc.extra = {**exc.extra, "current": _jsonable(person_out(current))}
        raise
    log_access(request, person, purpose="edit")
    return Status(200, person_out(person))


def _jsonable(data: dict) -> dict:
    return {k: (str(v) if isinstance(v, UUID | datetime.date) else v) for k, v in data.items()}


class IdentifiersOut(Schema):
    nik: str
    kk_number: str


@router.get(
    "/persons/{public_id}/identifiers",
    response=IdentifiersOut,
    summary="NIK and KK in clear (access-logged)",
)
@requires("persons.view_identifiers")
def identifiers(request, public_id: UUID):
    person, _redirected = selectors.person_for(request.auth, public_id)
    log_access(request, person, purpose="unmask identifiers")
    return {
        "nik": person_services.reveal_identifier(person, "nik"),
        "kk_number": person_services.reveal_identifier(person, "kk"),
    }


class EventOut(Schema):
    at: datetime.datetime
    kind: str
    actor: str | None
    data: dict


@router.get("/persons/{public_id}/timeline", response=list[EventOut], summary="Timeline")
@requires("persons.view")
def timeline(request, public_id: UUID):
    person, _redirected = selectors.person_for(request.auth, public_id)
    log_access(request, person, purpose="timeline")
    return [
        {"at": e.at, "kind": e.kind, "actor": e.actor.username if e.actor else None, "data": e.data}
        for e in selectors.timeline(person)
    ]


class ConsentIn(Schema):
    purpose: str
    lawful_basis: str
    given_by: str
    giver_name: str = ""
    scope: str = ""
    given_at: datetime.datetime | None = None


class ConsentOut(Schema):
    public_id: UUID
    purpose: str
    lawful_basis: str
    given_by: str
    giver_name: str
    scope: str
    given_at: datetime.datetime
    withdrawn_at: datetime.datetime | None


@router.get("/persons/{public_id}/consents", response=list[ConsentOut], summary="Consents")
@requires("persons.view")
def consents(request, public_id: UUID):
    person, _redirected = selectors.person_for(request.auth, public_id)
    log_access(request, person, purpose="consents")
    return list(person.consents.all())


@router.post("/persons/{public_id}/consents", response={201: ConsentOut}, summary="Record consent")
@requires("persons.manage_consent")
def give_consent(request, public_id: UUID, payload: ConsentIn):
    person, _redirected = selectors.person_for(request.auth, public_id)
    consent = consent_services.give_consent(request.auth, person, **payload.dict())
    return Status(201, consent)


class WithdrawIn(Schema):
    reason: str = ""


@router.post("/consents/{public_id}/withdraw", response=ConsentOut, summary="Withdraw consent")
@requires("persons.manage_consent")
def withdraw_consent(request, public_id: UUID, payload: WithdrawIn):
    consent = selectors.consent_for(request.auth, public_id)
    return consent_services.withdraw_consent(request.auth, consent, reason=payload.reason)


class HouseholdIn(Schema):
    kk_number: str = ""
    village: str
    address: str = ""


class MemberOut(Schema):
    person: UUID
    full_name: str
    relationship: str
    start: datetime.date
    end: datetime.date | None


class HouseholdOut(Schema):
    public_id: UUID
    kk_masked: str
    village: str
    address: str
    members: list[MemberOut]


def household_out(household) -> dict:
    from rehsos.registry import nik

    kk = ""
    if household.kk_sealed:
        from rehsos.registry.identifiers import unseal

        kk = nik.mask(unseal(household.kk_sealed))
    return {
        "public_id": household.public_id,
        "kk_masked": kk,
        "village": household.village_id,
        "address": household.address,
        "members": [
            {
                "person": m.person.public_id,
                "full_name": m.person.full_name,
                "relationship": m.relationship,
                "start": m.start,
                "end": m.end,
            }
            for m in household.memberships.select_related("person")
        ],
    }


@router.post("/households", response={201: HouseholdOut}, summary="Create a household (KK)")
@requires("persons.register")
def create_household(request, payload: HouseholdIn):
    household = household_services.create_household(request.auth, **payload.dict())
    return Status(201, household_out(household))


@router.get("/households/{public_id}", response=HouseholdOut, summary="A household")
@requires("persons.view")
def get_household(request, public_id: UUID):
    household = selectors.household_for(request.auth, public_id)
    data = household_out(household)
    log_access(
        request,
        [m.person for m in household.memberships.select_related("person")],
        purpose="household",
    )
    return data


class MemberIn(Schema):
    person: UUID
    relationship: str
    start: datetime.date | None = None


@router.post(
    "/households/{public_id}/members",
    response={201: HouseholdOut},
    summary="Add a member (ends their previous household)",
)
@requires("persons.edit")
def add_member(request, public_id: UUID, payload: MemberIn):
    household = selectors.household_for(request.auth, public_id)
    person, _redirected = selectors.person_for(request.auth, payload.person)
    household_services.add_member(
        request.auth, household, person, relationship=payload.relationship, start=payload.start
    )
    return Status(201, household_out(household))


@router.get("/persons/{public_id}/export", summary="Everything held on the person (UU PDP)")
@requires("persons.handle_requests")
def export(request, public_id: UUID):
    person, _redirected = selectors.person_for(request.auth, public_id)
    rights.record_export(request.auth, person)
    log_access(request, person, purpose="data-subject export")
    return Response(rights.export_person(person))


class CorrectionIn(Schema):
    changes: dict
    reason: str = ""


class RequestOut(Schema):
    public_id: UUID
    kind: str
    status: str
    reason: str
    details: dict


@router.post(
    "/persons/{public_id}/corrections", response={201: RequestOut}, summary="Request a correction"
)
@requires("persons.edit")
def request_correction(request, public_id: UUID, payload: CorrectionIn):
    person, _redirected = selectors.person_for(request.auth, public_id)
    req = rights.request_correction(
        request.auth, person, changes=payload.changes, reason=payload.reason
    )
    return Status(201, req)


class DecisionIn(Schema):
    accept: bool
    reason: str = ""


@router.post(
    "/requests/{public_id}/decision", response=RequestOut, summary="Decide a correction request"
)
@requires("persons.handle_requests")
def decide(request, public_id: UUID, payload: DecisionIn):
    req = selectors.request_for(request.auth, public_id)
    return rights.decide_correction(request.auth, req, accept=payload.accept, reason=payload.reason)


class ErasureIn(Schema):
    reason: str


@router.post(
    "/persons/{public_id}/erasure",
    response={200: RequestOut},
    summary="Erase or anonymise (refused under a legal hold)",
)
@requires("persons.handle_requests")
def erase(request, public_id: UUID, payload: ErasureIn):
    person, _redirected = selectors.person_for(request.auth, public_id)
    req = rights.request_erasure(request.auth, person, reason=payload.reason)
    if req.status == req.Status.REFUSED:
        raise Conflict(
            rights.refusal_message(req), code="legal_hold", extra={"request": str(req.public_id)}
        )
    return req
