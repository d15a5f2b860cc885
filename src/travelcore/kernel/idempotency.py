"""Idempotent use cases: the same key, request and actor return the first result and write
nothing; the same key with a different request, or from another actor, raises
``IdempotencyConflict``. Keys are per tenant."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol, TypeVar, runtime_checkable

import attrs

from travelcore.kernel.actor import Actor, require_tenant
from travelcore.kernel.clock import Clock
from travelcore.kernel.errors import IdempotencyConflict, StaleVersion, ValidationFailed
from travelcore.kernel.ids import TenantId
from travelcore.kernel.serialization import dumps, from_data, to_data
from travelcore.kernel.telemetry import annotate, traced_use_case
from travelcore.kernel.uow import UnitOfWork
from travelcore.kernel.validation import check_command

R = TypeVar("R")
U = TypeVar("U", bound="IdempotentUnitOfWork")

MAX_KEY_LENGTH = 255


@attrs.frozen(kw_only=True)
class IdempotencyRecord:
    key: str
    fingerprint: str
    result: Any
    created_at: datetime


class IdempotencyStore(Protocol):
    """Stored results of idempotent commands for the unit of work's tenant."""

    def get(self, key: str) -> IdempotencyRecord | None: ...

    def add(self, record: IdempotencyRecord) -> None:
        """Store ``record``; raises ``AlreadyExists`` if the key is taken."""
        ...

    def purge_before(self, instant: datetime) -> int:
        """Forget records created before ``instant``; returns how many."""
        ...


class HasIdempotency(Protocol):
    @property
    def idempotency(self) -> IdempotencyStore: ...

    @property
    def tenant_id(self) -> TenantId: ...

    actor: Actor | None


class IdempotentUnitOfWork(UnitOfWork, HasIdempotency, Protocol):
    """A unit of work with an idempotency store: what every mutating use case needs."""


def check_key(key: str) -> str:
    if not isinstance(key, str) or not key.strip():
        raise ValidationFailed("idempotency_key", "non_empty", "an idempotency key is required")
    if len(key) > MAX_KEY_LENGTH:
        raise ValidationFailed("idempotency_key", "max_length_255")
    return key


@runtime_checkable
class Fingerprinted(Protocol):
    """A command whose serialized form hides something the fingerprint must still cover
    (e.g. secrets, serialized as ``"***"``): it provides the data to fingerprint itself."""

    def fingerprint_data(self) -> Any: ...


def fingerprint_data(request: Any) -> Any:
    """What the fingerprint of ``request`` covers: its serialized form without the
    idempotency key, or what a :class:`Fingerprinted` command provides."""
    provided = getattr(request, "fingerprint_data", None)  # a Fingerprinted command
    if callable(provided):
        return provided()
    data = to_data(request)
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if k != "idempotency_key"}
    return data


def _actor_identity(actor: Actor) -> dict[str, Any]:
    """Everything of ``actor`` that an access check reads (its tenant aside: keys are per
    tenant): two actors with the same identity are allowed the same things."""
    return {
        "role": actor.role.value,
        "user_id": actor.user_id,
        "corporate_id": actor.corporate_id,
        "venue_id": actor.venue_id,
        "scopes": None if actor.scopes is None else sorted(actor.scopes),
        "api_key_id": actor.api_key_id,
        "job": actor.job,
    }


def fingerprint(request: Any, actor: Actor | None = None) -> str:
    """A stable hash of a command, its type included and its idempotency key excluded, and
    of who runs it (its role, ids, scopes and job) when ``actor`` is given."""
    data = fingerprint_data(request)
    canonical = f"{type(request).__module__}.{type(request).__qualname__}:{dumps(data)}"
    if actor is not None:
        canonical += f"|actor:{dumps(_actor_identity(actor))}"
    return hashlib.sha256(canonical.encode()).hexdigest()


@traced_use_case
def run_idempotent(
    uow: HasIdempotency,
    key: str,
    request: Any,
    result_type: type[R],
    now: datetime,
    action: Callable[[], R],
    *,
    actor: Actor,
) -> R:
    """Run ``action`` once per ``key`` inside the caller's unit of work, for ``actor``
    (an actor of the unit of work's tenant, which it records as ``uow.actor``).

    The stored result is written in the same transaction as the effects of ``action``;
    ``request`` passes its declared field checks first (:func:`~.validation.check_command`).
    The stored fingerprint covers the actor: only the actor whose access checks passed in
    ``action`` gets the stored result back; another actor retrying the same key (even
    with the same request) gets ``IdempotencyConflict`` and learns nothing of the result.
    """
    check_command(request)
    uow.actor = require_tenant(actor, uow.tenant_id)
    check_key(key)
    print_ = fingerprint(request, actor)
    existing = uow.idempotency.get(key)
    if existing is not None:
        if existing.fingerprint != print_:
            raise IdempotencyConflict(
                f"idempotency key {key!r} was used for a different request or by another actor",
                key=key,
            )
        annotate({"travelcore.idempotency.replayed": True})
        return from_data(existing.result, result_type)
    result = action()
    uow.idempotency.add(
        IdempotencyRecord(key=key, fingerprint=print_, result=to_data(result), created_at=now)
    )
    return result


@traced_use_case
def run_use_case(
    uow_factory: Callable[[TenantId], U],
    tenant_id: TenantId,
    clock: Clock,
    key: str | None,
    request: Any,
    result_type: type[R],
    action: Callable[[U, datetime], R],
    *,
    actor: Actor,
    attempts: int = 1,
    commit_on: tuple[type[Exception], ...] = (),
    begin: Callable[[U, datetime], None] | None = None,
) -> R:
    """One mutating use case for ``actor``: open a unit of work for ``tenant_id``, run
    ``action`` through :func:`run_idempotent` (directly when ``key`` is None: the set-up
    commands whose key is optional) and commit; ``request``'s declared field checks run
    before anything else. A ``StaleVersion`` (a lost race) reruns the whole unit of work,
    at most ``attempts`` times in all, then propagates. ``actor`` must act in
    ``tenant_id`` (else ``AccessDenied`` with rule ``tenant``); each attempt's unit of work
    records it as ``uow.actor``.

    ``begin`` runs first in each attempt's unit of work (to tell storage what ``action``
    will read, so it can read ahead). An error listed in ``commit_on`` still commits what
    ``action`` did before raising it (a sweep that expired an offer), and is then raised.
    """
    if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
        raise ValidationFailed("attempts", "positive_integer")
    check_command(request)  # before anything is read (``begin`` reads ahead), key or not
    require_tenant(actor, tenant_id)
    for attempt in range(1, attempts + 1):
        now = clock.now()
        uow = uow_factory(tenant_id)
        uow.actor = actor  # known to storage before the transaction begins
        try:
            with uow, uow.batched():
                if begin is not None:
                    begin(uow, now)
                once = functools.partial(action, uow, now)
                try:
                    result = (
                        once()
                        if key is None
                        else run_idempotent(uow, key, request, result_type, now, once, actor=actor)
                    )
                except commit_on:
                    uow.commit()
                    raise
                uow.commit()
            return result
        except StaleVersion:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")


class Command(Protocol):
    """A command that names its tenant and, optionally, its idempotency key."""

    @property
    def tenant_id(self) -> TenantId: ...

    @property
    def idempotency_key(self) -> str | None: ...


def run_command(
    uow_factory: Callable[[TenantId], U],
    clock: Clock,
    cmd: Command,
    result_type: type[R],
    action: Callable[[U, datetime], R],
    *,
    actor: Actor,
    request: Any = None,
) -> R:
    """:func:`run_use_case` for ``cmd``: its tenant, its idempotency key, and ``cmd`` itself
    as the request (or ``request`` in its place, for the fingerprint)."""
    return run_use_case(
        uow_factory,
        cmd.tenant_id,
        clock,
        cmd.idempotency_key,
        cmd if request is None else request,
        result_type,
        action,
        actor=actor,
    )
