"""Centres under /api/v1/facilities: list and profile (every signed-in user), create
and merge (national administrators), edit, rename, capacity, rooms, contacts and
photos (``facilities.manage`` in scope). Edits carry the ``version`` read; a stale
one answers 409 with the saved record under ``current``."""

import datetime
import json
from decimal import Decimal
from uuid import UUID

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.urls import reverse
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from rehsos.core.api import Problem
from rehsos.core.errors import Conflict, NotFound, ValidationFailed
from rehsos.core.pagination import keyset_page
from rehsos.core.permissions import requires
from rehsos.facilities import selectors, services
from rehsos.facilities.models import Facility, FacilityName
from rehsos.facilities.views import photo_response

router = Router(tags=["centres"])


class NameOut(Schema):
    name: str
    valid_from: datetime.date | None
    valid_to: datetime.date | None = Field(..., description="The last day the name was used.")
    reason: str
    legal_basis: str


class ContactOut(Schema):
    position: str
    name: str
    phone: str | None = Field(..., description="null when your role may not see it")
    email: str | None = Field(..., description="null when your role may not see it")


class FacilityPhotoOut(Schema):
    id: int
    caption: str
    taken_on: datetime.date | None
    content_type: str
    size: int
    uploaded_at: datetime.datetime
    url: str


class FacilityItem(Schema):
    code: str
    public_id: UUID
    version: int
    name: str
    short_name: str
    kind: str
    owner: str
    province_code: str
    region: str = Field(..., description="The Kemendagri code of the centre's village.")
    clusters: list[str]
    settings_offered: list[str]
    capacity: int | None = Field(..., description="Residential places in all.")
    is_model: bool
    is_active: bool
    merged_into: str | None = Field(..., description="The code of the centre it joined.")


class FacilityPage(Schema):
    count: int = Field(..., description="Centres matching the filters, on all pages.")
    items: list[FacilityItem]
    next: str | None = Field(None, description="Pass as `after` for the next page.")


class FacilityOut(FacilityItem):
    owner_region: str | None
    owner_name: str
    address: str
    latitude: float | None
    longitude: float | None
    phone: str
    email: str
    capacity_by_cluster: dict[str, int]
    rooms: dict[str, int]
    names: list[NameOut]
    contacts: list[ContactOut]
    photos: list[FacilityPhotoOut]
    merged_from: list[str] = Field(..., description="Codes of the centres merged into this one.")


class FacilityListQuery(Schema):
    kind: str | None = Field(None, max_length=16)
    owner: str | None = Field(None, max_length=16)
    province: str | None = Field(None, max_length=2, description="Two-digit province code.")
    cluster: str | None = Field(None, max_length=8)
    model: bool | None = Field(None, description="true: national model centres only.")
    active: str = Field("active", max_length=10, description="active, inactive or all.")
    q: str | None = Field(None, max_length=100, description="Code, name or a former name.")
    after: str | None = Field(None, max_length=300, description="The `next` of the last page.")
    limit: int = Field(50, ge=1, le=settings.REHSOS_API_PAGE_MAX)


class _Profile(Schema):
    short_name: str = Field("", max_length=60)
    kind: str = Field(..., max_length=16)
    owner: str = Field(..., max_length=16)
    owner_region: str | None = Field(None, max_length=13, description="Province or regency.")
    owner_name: str = Field("", max_length=200)
    clusters: list[str] = Field(..., max_length=10)
    settings_offered: list[str] = Field(..., max_length=5)
    region: str = Field(..., max_length=13, description="The village's Kemendagri code.")
    address: str = Field("", max_length=300)
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    phone: str = Field("", max_length=40)
    email: str = Field("", max_length=254)
    is_model: bool = False
    is_active: bool = True


class FacilityIn(_Profile):
    code: str = Field(..., max_length=40)
    name: str = Field(..., max_length=200)
    founded_on: datetime.date | None = Field(None, description="When the name took effect.")
    legal_basis: str = Field("", max_length=200)


class FacilityPatch(Schema):
    version: int = Field(..., description="The version you read (409 if stale).")
    short_name: str | None = Field(None, max_length=60)
    kind: str | None = Field(None, max_length=16)
    owner: str | None = Field(None, max_length=16)
    owner_region: str | None = Field(None, max_length=13)
    owner_name: str | None = Field(None, max_length=200)
    clusters: list[str] | None = Field(None, max_length=10)
    settings_offered: list[str] | None = Field(None, max_length=5)
    region: str | None = Field(None, max_length=13)
    address: str | None = Field(None, max_length=300)
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    phone: str | None = Field(None, max_length=40)
    email: str | None = Field(None, max_length=254)
    is_model: bool | None = None
    is_active: bool | None = None


class RenameIn(Schema):
    name: str = Field(..., max_length=200)
    on: datetime.date = Field(..., description="The first day of the new name.")
    reason: str = Field(FacilityName.Reason.RENAMED, description="renamed or restructured")
    legal_basis: str = Field(..., max_length=200)
    short_name: str | None = Field(None, max_length=60, description="Omit to keep it.")
    version: int


class FacilityMergeIn(Schema):
    into: str = Field(..., max_length=40, description="The code of the centre it joins.")
    on: datetime.date = Field(..., description="The first day the centres work as one.")
    legal_basis: str = Field(..., max_length=200)
    version: int


class CapacityIn(Schema):
    places: dict[str, int | None] = Field(..., description='e.g. {"ANAK": 40, "PD": 20}')
    total: int | None = Field(None, description="Only without per-cluster figures.")
    version: int


class RoomsIn(Schema):
    rooms: dict[str, int | None] = Field(..., description='e.g. {"bedroom": 12}; 0 removes')
    version: int


class ContactIn(Schema):
    position: str = Field(..., max_length=120)
    name: str = Field(..., max_length=200)
    phone: str = Field("", max_length=40)
    email: str = Field("", max_length=254)


class ContactsIn(Schema):
    contacts: list[ContactIn] = Field(..., max_length=services.MAX_CONTACTS)
    version: int


def item_out(facility: Facility) -> dict:
    return {
        "code": facility.code,
        "public_id": facility.public_id,
        "version": facility.version,
        "name": facility.name,
        "short_name": facility.short_name,
        "kind": facility.kind,
        "owner": facility.owner,
        "province_code": facility.province_code,
        "region": facility.region_id,
        "clusters": list(facility.clusters or []),
        "settings_offered": list(facility.settings_offered or []),
        "capacity": facility.capacity,
        "is_model": facility.is_model,
        "is_active": facility.is_active,
        "merged_into": facility.merged_into.code if facility.merged_into_id else None,
    }


def facility_out(user, facility: Facility) -> dict:
    """A centre as :class:`FacilityOut` (``facility`` loaded by ``selectors.profile``)."""
    details = selectors.sees_contact_details(user, facility)
    return {
        **item_out(facility),
        "owner_region": facility.owner_region_id,
        "owner_name": facility.owner_name,
        "address": facility.address,
        "latitude": None if facility.latitude is None else float(facility.latitude),
        "longitude": None if facility.longitude is None else float(facility.longitude),
        "phone": facility.phone,
        "email": facility.email,
        "capacity_by_cluster": {c.cluster: c.places for c in facility.capacities.all()},
        "rooms": {r.kind: r.count for r in facility.rooms.all()},
        "names": [
            {
                "name": n.name,
                "valid_from": n.valid_from,
                "valid_to": n.valid_to,
                "reason": n.reason,
                "legal_basis": n.legal_basis,
            }
            for n in selectors.timeline(facility)
        ],
        "contacts": [
            {
                "position": c.position,
                "name": c.name,
                "phone": c.phone if details else None,
                "email": c.email if details else None,
            }
            for c in facility.contacts.all()
        ],
        "photos": [
            {
                "id": p.pk,
                "caption": p.caption,
                "taken_on": p.taken_on,
                "content_type": p.content_type,
                "size": p.size,
                "uploaded_at": p.uploaded_at,
                "url": reverse("api:facility_photo", args=[facility.code, p.pk]),
            }
            for p in facility.photos.all()
        ],
        "merged_from": [f.code for f in facility.merged_from.all()],
    }


def _current(user, code: str) -> dict:
    return json.loads(
        json.dumps(facility_out(user, selectors.profile(code)), cls=DjangoJSONEncoder)
    )


def _edit(request, code: str, change) -> dict:
    """Run an edit of the centre; a stale version answers 409 with the saved record."""
    facility = selectors.centre(code)
    try:
        change(facility)
    except Conflict as exc:
        if exc.code == "conflict":
            exc.extra = {**exc.extra, "current": _current(request.auth, code)}
        raise
    return facility_out(request.auth, selectors.profile(code))


@router.get(
    "/facilities",
    response={200: FacilityPage, 401: Problem, 422: Problem},
    summary="Centres, filtered, by name (keyset pages)",
)
@requires("facilities.view")
def list_facilities(request, query: Query[FacilityListQuery]):
    filters = selectors.parse_filters(query.dict())
    filters.raise_errors()
    rows = selectors.centres(filters)
    page = keyset_page(
        rows.select_related("merged_into"),
        order=("name", "id"),
        after=query.after,
        limit=query.limit,
    )
    return {
        "count": rows.count(),
        "items": [item_out(f) for f in page.items],
        "next": page.next_cursor,
    }


@router.post(
    "/facilities",
    response={201: FacilityOut, 403: Problem, 422: Problem},
    summary="Create a centre (national administrators)",
)
@requires("facilities.create")
def create_facility(request, payload: FacilityIn):
    facility = services.create_facility(request.auth, data=payload.dict())
    return Status(201, facility_out(request.auth, selectors.profile(facility.code)))


@router.get(
    "/facilities/{code}",
    response={200: FacilityOut, 404: Problem},
    summary="A centre's profile: names, capacity, rooms, contacts, photos",
)
@requires("facilities.view")
def get_facility(request, code: str):
    return facility_out(request.auth, selectors.profile(code))


@router.patch(
    "/facilities/{code}",
    response={200: FacilityOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Change a centre's profile (the fields given)",
)
@requires("facilities.manage")
def patch_facility(request, code: str, payload: FacilityPatch):
    """Kind, owner, model and active flags: national administrators only. The name
    changes through `rename`, the capacity through `capacity`."""
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version")
    return _edit(
        request,
        code,
        lambda f: services.update_facility(request.auth, f, changes=changes, version=version),
    )


@router.post(
    "/facilities/{code}/rename",
    response={200: FacilityOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Rename a centre from a date, with the legal basis",
)
@requires("facilities.manage")
def rename_facility(request, code: str, payload: RenameIn):
    return _edit(
        request,
        code,
        lambda f: services.rename_facility(
            request.auth,
            f,
            name=payload.name,
            on=payload.on,
            reason=payload.reason,
            legal_basis=payload.legal_basis,
            short_name=payload.short_name,
            version=payload.version,
        ),
    )


@router.post(
    "/facilities/{code}/merge",
    response={200: FacilityOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Merge a centre into another (national administrators)",
)
@requires("facilities.create")
def merge_facility(request, code: str, payload: FacilityMergeIn):
    """The merged centre becomes inactive with `merged_into`; its name joins the other
    centre's name history. Cases, stays and users at the merged centre are not moved.
    Answers with the merged centre."""
    try:
        into = selectors.centre(payload.into)
    except NotFound as exc:
        raise ValidationFailed(fields={"into": str(exc.message)}) from exc
    return _edit(
        request,
        code,
        lambda f: services.merge_facility(
            request.auth,
            f,
            into=into,
            on=payload.on,
            legal_basis=payload.legal_basis,
            version=payload.version,
        ),
    )


@router.put(
    "/facilities/{code}/capacity",
    response={200: FacilityOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Replace the residential places by cluster",
)
@requires("facilities.manage")
def put_capacity(request, code: str, payload: CapacityIn):
    """A cluster left out (or null) has no figure of its own. With per-cluster figures
    `capacity` is their sum."""
    return _edit(
        request,
        code,
        lambda f: services.set_capacity(
            request.auth, f, places=payload.places, total=payload.total, version=payload.version
        ),
    )


@router.put(
    "/facilities/{code}/rooms",
    response={200: FacilityOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Replace the count of rooms by kind",
)
@requires("facilities.manage")
def put_rooms(request, code: str, payload: RoomsIn):
    return _edit(
        request,
        code,
        lambda f: services.set_rooms(request.auth, f, rooms=payload.rooms, version=payload.version),
    )


@router.put(
    "/facilities/{code}/contacts",
    response={200: FacilityOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Replace the contacts",
)
@requires("facilities.manage")
def put_contacts(request, code: str, payload: ContactsIn):
    contacts = [c.dict() for c in payload.contacts]
    return _edit(
        request,
        code,
        lambda f: services.set_contacts(
            request.auth, f, contacts=contacts, version=payload.version
        ),
    )


@router.post(
    "/facilities/{code}/photos",
    response={201: FacilityPhotoOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Add a photo (JPEG or PNG; multipart)",
)
@requires("facilities.manage")
def upload_photo(
    request,
    code: str,
    file: File[UploadedFile],
    caption: Form[str] = "",
    taken_on: Form[str] = "",
):
    """The type is decided by the file's content; another type, or a file above
    REHSOS_ATTACHMENT_MAX_MB, answers 422 naming `file`."""
    facility = selectors.centre(code)
    photo = services.add_photo(
        request.auth, facility, upload=file, caption=caption, taken_on=taken_on or None
    )
    return Status(
        201,
        {
            "id": photo.pk,
            "caption": photo.caption,
            "taken_on": photo.taken_on,
            "content_type": photo.content_type,
            "size": photo.size,
            "uploaded_at": photo.uploaded_at,
            "url": reverse("api:facility_photo", args=[facility.code, photo.pk]),
        },
    )


@router.get(
    "/facilities/{code}/photos/{photo_id}",
    response={200: None, 404: Problem},
    summary="A photo's file",
    url_name="facility_photo",
)
@requires("facilities.view")
def download_photo(request, code: str, photo_id: int):
    return photo_response(selectors.photo(selectors.centre(code), photo_id))


@router.delete(
    "/facilities/{code}/photos/{photo_id}",
    response={204: None, 403: Problem, 404: Problem},
    summary="Delete a photo",
)
@requires("facilities.manage")
def delete_photo(request, code: str, photo_id: int):
    photo = selectors.photo(selectors.centre(code), photo_id)
    services.delete_photo(request.auth, photo)
    return Status(204, None)
