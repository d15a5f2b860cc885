"""Who a use case runs for: a user with a role in one tenant, or the system for jobs.

Every public use case takes ``actor=`` (keyword-only, required). The actor's role and the
ids it is bound to (``corporate_id`` for parents and HR admins, ``venue_id`` for venue
admins) decide what it may do; an API key narrows a role further with ``scopes``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any
from uuid import UUID

import attrs

from travelcore.kernel.errors import AccessDenied, ValidationFailed
from travelcore.kernel.ids import TenantId, UserId
from travelcore.kernel.request import RequestContext
from travelcore.kernel.validation import uuid


class Role(StrEnum):
    """The roles of DOMAIN.md section 10. ``system`` is the role of jobs."""

    PARENT = "parent"
    HR_ADMIN = "hr_admin"
    VENUE_ADMIN = "venue_admin"
    PLATFORM_ADMIN = "platform_admin"
    TRAVELLER = "traveller"
    TENANT_ADMIN = "tenant_admin"
    SYSTEM = "system"


@attrs.frozen(kw_only=True)
class Actor:
    """``scopes`` ``None``: every scope the role allows (a signed-in user); a set: only
    those (an API key, ``api_key_id``). ``user_id`` is ``None`` only for the system.
    ``request``: what the host knows of the request (the audit log records it); it does not
    change who acts, so two actors that differ only there are equal."""

    tenant_id: TenantId
    role: Role = attrs.field(converter=Role)
    user_id: UserId | None = None
    corporate_id: UUID | None = None
    venue_id: UUID | None = None
    scopes: frozenset[str] | None = None
    api_key_id: UUID | None = None
    job: str | None = None
    request: RequestContext | None = attrs.field(default=None, eq=False)

    @request.validator
    def _request(self, attribute: attrs.Attribute[RequestContext | None], value: Any) -> None:
        if value is not None and not isinstance(value, RequestContext):
            raise ValidationFailed("request", "request_context", "a RequestContext or None")

    @classmethod
    def system(cls, tenant_id: TenantId, job: str) -> Actor:
        """The actor a job runs as (``job`` names it in audit rows and logs)."""
        return cls(tenant_id=tenant_id, role=Role.SYSTEM, job=job)

    @classmethod
    def platform_admin(cls, tenant_id: TenantId, user_id: UserId) -> Actor:
        """An operator of the platform, allowed everything in ``tenant_id``."""
        return cls(tenant_id=tenant_id, role=Role.PLATFORM_ADMIN, user_id=user_id)

    @classmethod
    def tenant_admin(cls, tenant_id: TenantId, user_id: UserId) -> Actor:
        """An administrator of ``tenant_id``, allowed everything in it."""
        return cls(tenant_id=tenant_id, role=Role.TENANT_ADMIN, user_id=user_id)

    @classmethod
    def parent(cls, tenant_id: TenantId, user_id: UserId, corporate_id: UUID) -> Actor:
        """A parent employed by ``corporate_id``: acts on their own family."""
        return cls(
            tenant_id=tenant_id, role=Role.PARENT, user_id=user_id, corporate_id=corporate_id
        )

    @classmethod
    def hr_admin(cls, tenant_id: TenantId, user_id: UserId, corporate_id: UUID) -> Actor:
        """An HR administrator of ``corporate_id``: acts on that corporate only."""
        return cls(
            tenant_id=tenant_id, role=Role.HR_ADMIN, user_id=user_id, corporate_id=corporate_id
        )

    @classmethod
    def venue_admin(cls, tenant_id: TenantId, user_id: UserId, venue_id: UUID) -> Actor:
        """An administrator of ``venue_id``: acts on that venue only."""
        return cls(tenant_id=tenant_id, role=Role.VENUE_ADMIN, user_id=user_id, venue_id=venue_id)

    @classmethod
    def traveller(cls, tenant_id: TenantId, user_id: UserId) -> Actor:
        """A business traveller: acts on their own trips."""
        return cls(tenant_id=tenant_id, role=Role.TRAVELLER, user_id=user_id)

    @property
    def is_system(self) -> bool:
        return self.role is Role.SYSTEM

    @property
    def label(self) -> str:
        """How records name the actor: ``user:<id>`` or ``system:<job>``."""
        return f"system:{self.job}" if self.user_id is None else f"user:{self.user_id}"

    def may(self, scope: str) -> bool:
        return self.scopes is None or scope in self.scopes

    def require(self, scope: str) -> None:
        """``AccessDenied`` unless the actor holds ``scope``."""
        if not self.may(scope):
            raise AccessDenied(f"missing scope {scope}", rule="scope", scope=scope)


def require_tenant(actor: Actor, tenant_id: TenantId) -> Actor:
    """``actor`` if it acts in ``tenant_id``: ``ValidationFailed`` when it is not an
    :class:`Actor` (or ``tenant_id`` not a UUID), ``AccessDenied(rule="tenant")`` when it
    belongs to another tenant."""
    uuid(tenant_id, "tenant_id")
    if not isinstance(actor, Actor):
        raise ValidationFailed("actor", "actor", "an Actor is required")
    if actor.tenant_id != tenant_id:
        raise AccessDenied("the actor belongs to another tenant", rule="tenant")
    return actor


ADMINS: frozenset[Role] = frozenset({Role.PLATFORM_ADMIN, Role.TENANT_ADMIN})
"""The roles that act on the whole tenant."""

_OWNER_RULES = {
    Role.PARENT: "own_family",
    Role.TRAVELLER: "own_trips",
    Role.VENUE_ADMIN: "own_venue",
    Role.HR_ADMIN: "own_corporate",
}


def permit(
    actor: Actor,
    scope: str,
    *,
    parent: UUID | None = None,
    venue: UUID | None = None,
    corporate: UUID | None = None,
    traveller: UUID | None = None,
    user: UUID | None = None,
    jobs: bool = False,
    admins: frozenset[Role] = ADMINS,
) -> None:
    """Refuse (``AccessDenied`` naming the rule) unless ``actor`` may act on a target owned
    by ``parent`` (a parent's user id), ``venue``, ``corporate``, ``traveller`` or ``user``
    (any role's own user: an account, an inbox).

    The actor must hold ``scope``; ``admins`` may do anything; the system actor only what
    ``jobs`` allows; any other role only where its owner argument is given and is the
    actor's own (``own_family``, ``own_venue``, ``own_corporate``, ``own_trips``,
    ``own_user``), and nothing at all where none is given (``role``).
    """
    actor.require(scope)
    if actor.role in admins:
        return
    if actor.role is Role.SYSTEM:
        if not jobs:
            raise AccessDenied("the system actor runs jobs only", rule="system")
        return
    if user is not None and actor.user_id == user:
        return
    owner, own = {
        Role.PARENT: (parent, actor.user_id),
        Role.TRAVELLER: (traveller, actor.user_id),
        Role.VENUE_ADMIN: (venue, actor.venue_id),
        Role.HR_ADMIN: (corporate, actor.corporate_id),
    }.get(actor.role, (None, None))
    if owner is None:
        if user is not None:
            raise AccessDenied("a user acts on their own only", rule="own_user")
        raise AccessDenied(f"a {actor.role} may not do this", rule="role")
    if own != owner:
        rule = _OWNER_RULES[actor.role]
        raise AccessDenied(f"a {actor.role} acts on their own only", rule=rule)
