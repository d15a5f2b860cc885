"""Sign-in: an email and password (``AccountService.authenticate``) give a session token
that resolves to the user's actor."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field, SecretStr

from examples.api.deps import Svc, Who
from examples.api.services import Services
from examples.api.sessions import SESSION_COOKIE, SESSION_MAX_AGE
from travelcore.accounts import Secret
from travelcore.kernel import Actor, NotFound, Role, TenantId, UserId, to_data

router = APIRouter(prefix="/auth", tags=["authentication"])


class SignIn(BaseModel):
    tenant_id: UUID
    email: str = Field(max_length=320)
    password: SecretStr = Field(max_length=1024)


class SessionToken(BaseModel):
    token: str
    expires_in: int


@router.post("/sessions", status_code=201, summary="Sign in")
def sign_in(body: SignIn, response: Response, svc: Svc) -> SessionToken:
    """A session token for the user (also set as the ``travelcore_session`` cookie); 403
    for an unknown email or a wrong password."""
    tenant = TenantId(body.tenant_id)
    account = svc.app.accounts.authenticate(
        tenant, body.email, Secret(body.password.get_secret_value())
    )
    actor = _actor_of(svc, tenant, account.user_id)
    token = svc.sessions.issue(actor)
    response.set_cookie(
        SESSION_COOKIE, token, max_age=SESSION_MAX_AGE, httponly=True, samesite="strict"
    )
    return SessionToken(token=token, expires_in=SESSION_MAX_AGE)


@router.get("/me", summary="Who the credentials stand for")
def me(who: Who) -> dict[str, Any]:
    data: dict[str, Any] = to_data(who)
    return data


def _actor_of(svc: Services, tenant: TenantId, user_id: UserId) -> Actor:
    """The actor of a signed-in user: their family-pass role, else a traveller."""
    with svc.app.database(tenant) as uow:
        try:
            user = uow.users.get(user_id)
        except NotFound:
            return Actor.traveller(tenant, user_id)
    return Actor(
        tenant_id=tenant,
        role=Role(user.role.value),
        user_id=user.id,
        corporate_id=user.corporate_id,
        venue_id=user.venue_id,
    )
