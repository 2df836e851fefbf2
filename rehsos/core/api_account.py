"""The signed-in user and their personal API tokens."""

from datetime import datetime

from django.utils import timezone
from ninja import Router, Schema, Status
from pydantic import Field

from rehsos.core.models import ApiToken
from rehsos.core.permissions import requires
from rehsos.core.services import accounts

router = Router(tags=["account"])


class MeOut(Schema):
    username: str
    name: str
    role: str
    role_label: str
    scope_level: str
    scope: str
    province_code: str
    facility: str | None
    language: str
    actions: list[str]


class TokenOut(Schema):
    id: int
    name: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    status: str


class TokenIn(Schema):
    name: str = Field(..., max_length=accounts.TOKEN_NAME_MAX)
    days: int = 90


class TokenCreated(TokenOut):
    token: str


def _status(token: ApiToken) -> str:
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at <= timezone.now():
        return "expired"
    return "active"


def _token_out(token: ApiToken) -> dict:
    return {
        "id": token.pk,
        "name": token.name,
        "created_at": token.created_at,
        "expires_at": token.expires_at,
        "last_used_at": token.last_used_at,
        "revoked_at": token.revoked_at,
        "status": _status(token),
    }


@router.get("/me", response=MeOut, summary="The signed-in user")
@requires("account.view")
def me(request):
    user = request.auth
    return {
        "username": user.username,
        "name": user.get_full_name(),
        "role": user.role,
        "role_label": str(user.get_role_display()),
        "scope_level": user.scope_level,
        "scope": str(user.scope_label),
        "province_code": user.province_code,
        "facility": str(user.facility.public_id) if user.facility_id else None,
        "language": user.language,
        "actions": sorted(user.actions),
    }


@router.get("/tokens", response=list[TokenOut], summary="Your API tokens")
@requires("account.manage_tokens")
def list_tokens(request):
    tokens = ApiToken.objects.filter(user=request.auth).order_by("-created_at", "-pk")
    return [_token_out(t) for t in tokens]


@router.post(
    "/tokens",
    response={201: TokenCreated},
    summary="Create an API token (its value is returned once)",
)
@requires("account.manage_tokens")
def create_token(request, payload: TokenIn):
    token, raw = accounts.issue_token(user=request.auth, name=payload.name, days=payload.days)
    return Status(201, {**_token_out(token), "token": raw})


@router.delete("/tokens/{token_id}", response={204: None}, summary="Revoke one of your tokens")
@requires("account.manage_tokens")
def revoke_token(request, token_id: int):
    accounts.revoke_token(user=request.auth, token_id=token_id)
    return Status(204, None)
