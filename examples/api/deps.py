"""What every endpoint receives: the services, the authenticated actor, the idempotency key
and the page it asks for.

Authentication, in ``Authorization: Bearer <credential>``:

- an API key (``tc_live_...``) with the tenant in ``X-Tenant-Id``: the key's actor
  (``ApiKeyService.authenticate``), limited to the key's scopes;
- a session token from ``POST /auth/sessions`` (also set as the ``travelcore_session``
  cookie): the signed-in user's actor, signed with itsdangerous and valid for 12 hours.

The actor carries the request (client address, user agent, a valid ``X-Request-ID`` or a
new id) into the audit log.
"""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar
from uuid import UUID, uuid4

import attrs
from fastapi import Depends, Header, Query, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from examples.api.bodies import out
from examples.api.services import Services
from examples.api.sessions import SESSION_COOKIE
from travelcore.apikeys.token import TOKEN_PATTERN
from travelcore.kernel import AccessDenied, Actor, RequestContext, TenantId, UserId, to_data

T = TypeVar("T")
MAX_LIMIT = 100
MAX_OFFSET = 10_000


class Unauthenticated(AccessDenied):
    code = "unauthenticated"


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


bearer = HTTPBearer(auto_error=False, description="An API key or a session token")
cookie = APIKeyCookie(name=SESSION_COOKIE, auto_error=False)


def actor(
    request: Request,
    svc: Annotated[Services, Depends(services)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    session: Annotated[str | None, Depends(cookie)],
    x_tenant_id: Annotated[
        UUID | None, Header(description="The tenant of an API key (not needed for sessions)")
    ] = None,
    x_request_id: Annotated[
        str | None, Header(description="Correlates the audit log with your logs")
    ] = None,
) -> Actor:
    """The actor the request is made for, with the request; 401 without valid credentials."""
    token = credentials.credentials if credentials is not None else session
    if token is None:
        raise Unauthenticated("send an API key or a session token", rule="authenticated")
    if TOKEN_PATTERN.fullmatch(token):
        if x_tenant_id is None:
            raise Unauthenticated("an API key needs the X-Tenant-Id header", rule="tenant")
        found = svc.app.api_keys.authenticate(TenantId(x_tenant_id), token)
    else:
        found = svc.sessions.actor(token)
    context = RequestContext.of_client(
        ip_address=None if request.client is None else request.client.host,
        user_agent=request.headers.get("user-agent"),
        request_id=x_request_id,
    )
    if context.request_id is None:
        context = attrs.evolve(context, request_id=uuid4().hex)
    return attrs.evolve(found, request=context)


def user_of(who: Actor) -> UserId:
    """The user ``who`` acts for. API keys and sessions both belong to a user (only jobs
    act as the system, and never through the API), so a missing one is a 401."""
    if who.user_id is None:
        raise Unauthenticated("the credentials name no user", rule="authenticated")
    return who.user_id


def scoped(scope: str) -> Any:
    """The actor, refused (403) unless it holds ``scope`` (API keys hold only theirs)."""

    def require(who: Annotated[Actor, Depends(actor)]) -> Actor:
        who.require(scope)
        return who

    return Depends(require)


Who = Annotated[Actor, Depends(actor)]
IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="Required on every unsafe request: a retry with the same key has one effect",
    ),
]


class PageParams(BaseModel):
    limit: int
    offset: int


def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page")] = 20,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip")] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


Paging = Annotated[PageParams, Depends(page_params)]


class Page(BaseModel, Generic[T]):
    """One page of a list, in the order the endpoint states; ``next_offset`` is the
    ``offset`` of the next page (``null`` on the last)."""

    items: list[T]
    limit: int
    offset: int
    total: int
    next_offset: int | None


def page_of(cls: type) -> type[BaseModel]:
    """The response model of a page of the library's result class ``cls``: ``Page[out(cls)]``
    (spelled as the call it is, since ``out(cls)`` is made at run time)."""
    model = Page.__class_getitem__(out(cls))
    if not isinstance(model, type):  # pydantic's placeholder while a recursive model is built
        raise TypeError(f"no page model for {cls.__name__}")
    return model


def page(items: Any, params: PageParams) -> dict[str, Any]:
    """The page ``params`` asks for of ``items`` (serialized by the library's converter)."""
    everything = list(items)
    chosen = everything[params.offset : params.offset + params.limit]
    end = params.offset + len(chosen)
    return {
        "items": [to_data(item) for item in chosen],
        "limit": params.limit,
        "offset": params.offset,
        "total": len(everything),
        "next_offset": end if end < len(everything) else None,
    }


Svc = Annotated[Services, Depends(services)]
