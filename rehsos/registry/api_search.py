"""GET /persons: search the registry by name, NIK/KK, birth date or year, and region.

The registry's router starts here (api.py adds the other person endpoints to it)."""

import datetime
import json
from uuid import UUID

from django.http import HttpResponse
from ninja import Field, Query, Router, Schema
from pydantic import field_validator

from rehsos.core.access import log_access
from rehsos.core.permissions import requires
from rehsos.registry.search import search_page

router = Router(tags=["persons"])


class SearchParams(Schema):
    q: str | None = Field(
        None,
        max_length=200,
        description="A name (typos, old spellings, titles and word order are tolerated) "
        "or a 16-digit NIK or KK number.",
    )
    nik: str | None = Field(None, max_length=32, description="Exact NIK (16 digits).")
    kk: str | None = Field(None, max_length=32, description="Exact KK number (16 digits).")
    birth_date: datetime.date | None = Field(
        None,
        description="YYYY-MM-DD. Also matches the day and month swapped, and persons whose "
        "date of birth is known only to the year.",
    )
    birth_year: int | None = Field(None, ge=1870, le=2100)
    year_tolerance: int = Field(
        0, ge=0, le=10, description="Years either way allowed on birth_year / birth_date."
    )
    region: str | None = Field(
        None,
        max_length=13,
        description="Kemendagri code prefix: 31 (province), 31.75, 31.75.03, 31.75.03.1001.",
    )
    limit: int = Field(20, ge=1, le=100)
    after: str | None = Field(None, max_length=300, description="The `next` of the last page.")

    @field_validator("q", "nik", "kk", "birth_date", "birth_year", "region", "after", mode="before")
    @classmethod
    def blank_is_missing(cls, value):
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("year_tolerance", "limit", mode="before")
    @classmethod
    def blank_is_default(cls, value, info):
        if isinstance(value, str) and not value.strip():
            return cls.model_fields[info.field_name].default
        return value


class PersonHit(Schema):
    public_id: UUID
    full_name: str
    sex: str
    birth_year: int | None
    village_code: str
    village_name: str
    nik_masked: str | None = Field(description="Masked NIK, e.g. 3171•••••••••0001.")
    score: float = Field(description="1.0 is an exact match.")
    matched_on: str = Field(description="name, nik, kk or filters")


class PersonSearchOut(Schema):
    items: list[PersonHit]
    next: str | None


@router.get(
    "/persons",
    response=PersonSearchOut,
    summary="Search persons",
    description="Ranked persons in your scope matching every criterion given. "
    "Each person returned is recorded in the access log.",
)
@requires("persons.view")
def search_persons(request, params: Query[SearchParams]):
    page = search_page(
        request.auth,
        q=params.q,
        nik=params.nik,
        kk=params.kk,
        birth_date=params.birth_date,
        birth_year=params.birth_year,
        year_tolerance=params.year_tolerance,
        region=params.region,
        limit=params.limit,
        after=params.after,
    )
    if page.hits:
        log_access(request, [hit.person for hit in page.hits], purpose="search")
    # Built as PersonSearchOut describes it and sent as is: validating what was just
    # built from typed rows would cost as much as the rest of the request's Python.
    body = {
        "items": [
            {
                "public_id": str(hit.person.public_id),
                "full_name": hit.person.full_name,
                "sex": hit.person.sex,
                "birth_year": hit.person.birth_year,
                "village_code": hit.person.village_id,
                "village_name": hit.village_name,
                "nik_masked": hit.nik_masked,
                "score": hit.score,
                "matched_on": hit.matched_on,
            }
            for hit in page.hits
        ],
        "next": page.next_cursor,
    }
    return HttpResponse(
        json.dumps(body, ensure_ascii=False), content_type="application/json; charset=utf-8"
    )
