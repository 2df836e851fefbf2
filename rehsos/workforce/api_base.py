"""What the workforce API routers share: the problem schema, paging, and turning a
row into JSON-safe values for a 409's ``current``."""

import datetime
from decimal import Decimal
from uuid import UUID

from django.conf import settings
from django.utils.translation import gettext as _
from ninja import Field, Schema

from rehsos.core.errors import NotFound, ValidationFailed
from rehsos.workforce import selectors


class WorkforcePageQuery(Schema):
    after: str | None = Field(None, max_length=300, description="The `next` of the last page.")
    limit: int = Field(50, ge=1, le=settings.REHSOS_API_PAGE_MAX)


def jsonable(data: dict) -> dict:
    out = {}
    for key, value in data.items():
        if isinstance(value, UUID | datetime.date):
            value = str(value)
        elif isinstance(value, Decimal):
            value = float(value)
        elif isinstance(value, dict):
            value = jsonable(value)
        elif isinstance(value, list):
            value = [jsonable(v) if isinstance(v, dict) else v for v in value]
        out[key] = value
    return out


def facility_field(user, code: str | None, field: str = "facility"):
    """A centre of the user's scope by code; a bad code names its field (422)."""
    if code in (None, ""):
        return None
    try:
        return selectors.facility_for(user, code)
    except NotFound as exc:
        raise ValidationFailed(fields={field: _("No such centre in your scope.")}) from exc


def number(value) -> float | None:
    return None if value is None else float(value)
