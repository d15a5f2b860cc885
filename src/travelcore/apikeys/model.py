"""API keys (seed 003 ``api_keys``): scoped, expiring, revocable keys of one user."""

from __future__ import annotations

from datetime import datetime
from typing import NewType
from uuid import UUID

import attrs

from travelcore.apikeys.token import InvalidApiKey
from travelcore.kernel import Actor, InvalidTransition, TenantId, UserId, ValidationFailed
from travelcore.people.model import User

ApiKeyId = NewType("ApiKeyId", UUID)

SCOPES = frozenset(
    {
        "read:activities",
        "write:activities",
        "read:bookings",
        "write:bookings",
        "read:credits",
        "write:credits",
        "read:employees",
        "write:employees",
        "read:invoices",
        "write:reviews",
        "read:trips",
        "write:trips",
        "read:accounts",
        "write:accounts",
        "read:conversations",
        "write:conversations",
        "read:notifications",
        "write:notifications",
        "write:invoices",
        "read:payouts",
        "write:payouts",
        "read:personal",
        "write:personal",
        "write:curation",
        "write:settings",
        "write:vectors",
        "write:api_keys",
    }
)


def check_scopes(scopes: frozenset[str]) -> None:
    if not scopes:
        raise ValidationFailed("scopes", "non_empty")
    unknown = sorted(scopes - SCOPES)
    if unknown:
        raise ValidationFailed("scopes", "known_scope", f"unknown scopes: {', '.join(unknown)}")


@attrs.define(kw_only=True)
class ApiKey:
    """The stored key: its public ``prefix`` and the keyed hash of the whole token, never
    the token."""

    id: ApiKeyId
    tenant_id: TenantId
    user_id: UserId
    role: str
    name: str
    prefix: str
    secret_hash: str = attrs.field(repr=False)
    scopes: frozenset[str]
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    revoked_reason: str | None = None
    last_used_at: datetime | None = None
    version: int = 1

    def state_at(self, now: datetime) -> str:
        """``active``, ``revoked`` or ``expired``."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and now >= self.expires_at:
            return "expired"
        return "active"

    def revoke(self, now: datetime, reason: str) -> None:
        if self.revoked_at is not None:
            raise InvalidTransition("api_key", "revoked", "revoked")
        self.revoked_at, self.revoked_reason = now, reason

    def actor(self, user: User | None = None) -> Actor:
        """The key's actor, narrowed to its scopes. With its ``user``'s record, the user's
        actor (:meth:`User.actor`: role, corporate and venue as the record says now); a key
        whose role is no longer its user's is refused (``InvalidApiKey``, ``role_changed``).
        Without a record (a user the people context does not know), the key's role."""
        if user is None:
            actor = Actor(tenant_id=self.tenant_id, user_id=self.user_id, role=self.role)
        else:
            actor = user.actor()
            if actor.role != self.role:
                raise InvalidApiKey("role_changed")
        return attrs.evolve(actor, scopes=self.scopes, api_key_id=self.id)
