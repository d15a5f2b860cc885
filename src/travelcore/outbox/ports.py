"""What the relay needs from storage: the outbox (claimed in batches) and each consumer's
inbox (which events it has already applied)."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from enum import StrEnum
from typing import Protocol, TypeVar
from uuid import UUID

import attrs

from travelcore.kernel import OutboxMessage, TenantId, UnitOfWork


class OutboxStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    PARKED = "parked"


@attrs.frozen(kw_only=True)
class OutboxEntry:
    """An outbox message and where its delivery stands."""

    message: OutboxMessage
    status: OutboxStatus
    attempts: int = 0
    available_at: datetime
    last_error: str | None = None
    delivered_at: datetime | None = None


class Claim(Protocol):
    """A batch of messages held by one relay until the claim ends; other relays skip them.

    Outcomes recorded here take effect when the ``with`` block ends normally; if it does
    not (the relay crashed or raised), every message is released untouched."""

    entries: Sequence[OutboxEntry]
    """Eligible pending messages in commit order: none has an earlier pending message of
    the same tenant and aggregate outside this batch."""

    def delivered(self, sequence: int, at: datetime) -> None: ...

    def retry(self, sequence: int, error: str, at: datetime) -> None:
        """Count a failed attempt; due again at ``at``."""
        ...

    def park(self, sequence: int, error: str) -> None:
        """Stop trying (the reason is kept); later messages of its aggregate go on."""
        ...

    def enlist(self, uow: UnitOfWork) -> None:
        """Let ``uow`` (not begun yet) run inside the claim's own transaction when the
        store can (a unit of work of the same PostgreSQL database: a savepoint, so its
        effects, its inbox entries and the delivery outcomes commit together); otherwise it
        keeps a transaction of its own."""
        ...


class OutboxStore(Protocol):
    def claim(self, now: datetime, limit: int) -> AbstractContextManager[Claim]: ...

    def wait(self, timeout: float) -> bool:
        """Block until new messages may have been committed (``True``) or ``timeout``
        seconds pass (``False``)."""
        ...

    def entries(self, tenant_id: TenantId, status: OutboxStatus | None = None) -> list[OutboxEntry]:
        """A tenant's messages in commit order (for operators and tests)."""
        ...

    def requeue(self, tenant_id: TenantId, event_id: UUID, now: datetime) -> bool:
        """Put a parked message back in line with fresh attempts; ``False`` if not parked."""
        ...

    def purge(self, before: datetime) -> int:
        """Delete messages delivered before ``before`` and their inbox entries, and the
        inbox entries recorded before ``before`` of events no longer in the outbox."""
        ...


class Inbox(Protocol):
    """The events each consumer has applied, in the consumer's own transaction."""

    def admit(self, consumer: str, event_ids: Sequence[UUID], at: datetime) -> set[UUID]:
        """Record the events ``consumer`` has not recorded yet and return them: the ones
        to apply now (a rollback of the unit of work forgets the record too)."""
        ...


class InboxUnitOfWork(UnitOfWork, Protocol):
    @property
    def inbox(self) -> Inbox: ...


U_contra = TypeVar("U_contra", bound=InboxUnitOfWork, contravariant=True)


class Consumer(Protocol[U_contra]):
    """Applies events. ``handle`` runs inside a unit of work for the message's tenant,
    which also records the event in the inbox: effects written there happen exactly
    once, even though a message may be delivered more than once."""

    @property
    def name(self) -> str: ...

    def handle(self, uow: U_contra, message: OutboxMessage) -> None: ...
