"""Issuing, authenticating and revoking API keys.

A key is shown once, by :meth:`ApiKeyService.create`; only its prefix and a keyed hash
(HMAC bound to the tenant) are stored, so a copy of the table authenticates nobody.
:meth:`~ApiKeyService.authenticate` refuses a malformed key or a wrong checksum before any
read and compares hashes in constant time; it yields the :class:`~travelcore.kernel.Actor`
the use cases take.
"""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta

import attrs

from travelcore.apikeys import access
from travelcore.apikeys.model import ApiKey, ApiKeyId, check_scopes
from travelcore.apikeys.ports import ApiKeysUowFactory, KeyedDigest
from travelcore.apikeys.token import InvalidApiKey, ParsedToken, new_token, parse_token
from travelcore.kernel import (
    Actor,
    Clock,
    NotFound,
    TenantId,
    UserId,
    ValidationFailed,
    new_uuid,
    require_tenant,
)
from travelcore.kernel import validation as v
from travelcore.kernel.clock import checked_clock
from travelcore.people.model import User

LAST_USE_GRANULARITY = timedelta(minutes=1)
"""``last_used_at`` is written at most once a minute per key (no write per request)."""


@attrs.frozen(kw_only=True)
class CreateApiKey:
    tenant_id: TenantId
    user_id: UserId
    role: str
    name: str
    scopes: frozenset[str]
    expires_at: datetime | None = None
    environment: str = "live"


v.validated(
    CreateApiKey,
    tenant_id=v.uuid,
    user_id=v.uuid,
    role=v.text(32),
    name=v.text(255),
    expires_at=v.optional(v.instant),
    environment=v.text(4),
)


@attrs.frozen
class IssuedApiKey:
    """The stored key and its token: give the token to the user now; it is never shown
    again."""

    key: ApiKey
    token: str = attrs.field(repr=False)


class ApiKeyService:
    def __init__(self, uow_factory: ApiKeysUowFactory, clock: Clock, *, digest: KeyedDigest):
        self._uow = uow_factory
        self._clock = checked_clock(clock)
        self._digest = digest

    def create(self, cmd: CreateApiKey, *, actor: Actor) -> IssuedApiKey:
        v.instance(CreateApiKey, "CreateApiKey")(cmd, "cmd")
        v.check_command(cmd)
        require_tenant(actor, cmd.tenant_id)
        access.issue(actor, cmd.role)
        check_scopes(cmd.scopes)
        if cmd.environment not in ("live", "test"):
            raise ValidationFailed("environment", "live_or_test")
        now = self._clock.now()
        if cmd.expires_at is not None and cmd.expires_at <= now:
            raise ValidationFailed("expires_at", "in_the_future")
        token = new_token(cmd.environment)
        parsed = parse_token(token)
        key = ApiKey(
            id=ApiKeyId(new_uuid()),
            tenant_id=cmd.tenant_id,
            user_id=cmd.user_id,
            role=cmd.role,
            name=cmd.name,
            prefix=parsed.prefix,
            secret_hash=self._hash(cmd.tenant_id, parsed),
            scopes=frozenset(cmd.scopes),
            created_at=now,
            expires_at=cmd.expires_at,
        )
        with self._uow(cmd.tenant_id) as uow:
            uow.api_keys.add(key)
            uow.commit()
        return IssuedApiKey(key, token)

    def authenticate(self, tenant_id: TenantId, token: str, *, scope: str | None = None) -> Actor:
        """The key's actor (bound to its user's corporate or venue, from the user record);
        ``InvalidApiKey`` for a malformed, unknown, revoked or expired key, ``AccessDenied``
        when it lacks ``scope``."""
        v.optional(v.text(100))(scope, "scope")
        parsed = parse_token(token)  # no read for a malformed key or a wrong checksum
        expected = self._hash(tenant_id, parsed)
        now = self._clock.now()
        with self._uow(tenant_id) as uow:
            key = uow.api_keys.find_by_prefix(parsed.prefix)
            stored = expected if key is None else key.secret_hash
            if not hmac.compare_digest(stored, expected) or key is None:
                raise InvalidApiKey("unknown")
            state = key.state_at(now)
            if state != "active":
                raise InvalidApiKey(state)
            try:
                user: User | None = uow.users.get(key.user_id)
            except NotFound:
                user = None
            actor = key.actor(user)
            if scope is not None:
                actor.require(scope)
            if _use_due(key, now):
                current = uow.api_keys.get(key.id)  # the row locked: concurrent uses queue
                if current.state_at(now) == "active" and _use_due(current, now):
                    current.last_used_at = now
                    uow.api_keys.save(current)
                    uow.commit()
        return actor

    def revoke(self, tenant_id: TenantId, key_id: ApiKeyId, *, reason: str, actor: Actor) -> ApiKey:
        v.ids(key_id=key_id)
        require_tenant(actor, tenant_id)
        access.revoke(actor)
        v.text(500)(reason, "reason")
        with self._uow(tenant_id) as uow:
            key = uow.api_keys.get(key_id)
            key.revoke(self._clock.now(), reason)
            uow.api_keys.save(key)
            uow.commit()
        return key

    def _hash(self, tenant_id: TenantId, parsed: ParsedToken) -> str:
        return self._digest.digest(b"api_key\x00" + tenant_id.bytes + parsed.token.encode())


def _use_due(key: ApiKey, now: datetime) -> bool:
    """Whether a use of ``key`` at ``now`` is recorded (none in the last minute)."""
    return key.last_used_at is None or now - key.last_used_at >= LAST_USE_GRANULARITY
