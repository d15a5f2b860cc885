"""What retention and erasure need from storage, beyond the other contexts' repositories.

Every method is idempotent (a second call finds nothing left to do) and works in the unit
of work's tenant only."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol
from uuid import UUID

from travelcore.audit.ports import AuditLog
from travelcore.discovery.personal import MemoryEntryRepository
from travelcore.discovery.search import SearchLogRepository
from travelcore.export.ports import DataExportRepository
from travelcore.kernel import IdempotencyStore, UnitOfWork, UserId
from travelcore.people.model import Child, ChildId
from travelcore.people.ports import ChildRepository


class ErasureStore(Protocol):
    def due(self, today: date, limit: int) -> list[Child]:
        """Children whose deletion is scheduled on or before ``today``."""
        ...

    def claim(self, child_id: ChildId) -> Child | None:
        """The child, locked with its bookings and waitlist entries until the transaction
        ends (a concurrent erasure of it waits, then finds it gone: ``None``; a command
        holding one of its bookings commits first)."""
        ...

    def delete_child_rows(self, table: str, child_id: ChildId) -> int:
        """Delete the rows of ``table`` about the child: one of ``booking_feedback``,
        ``ai_suggestions`` (every suggestion naming the child), ``child_favorites``,
        ``child_preferences``, ``parental_consent_records``, ``vector_sync`` (its
        preference vector's state)."""
        ...

    def delete_search_logs(self, user_id: UserId) -> int:
        """The parent's search logs (they do not say which child a search was for)."""
        ...

    def delete_notifications_mentioning(self, user_id: UserId, terms: tuple[str, ...]) -> int:
        """The parent's notifications whose text or data contains one of ``terms``."""
        ...

    def delete_memory_entries(self, ids: Sequence[UUID]) -> int:
        """Delete these long-term memory entries (of the travel agent)."""
        ...

    def redact(self, user_id: UserId, terms: tuple[str, ...], replacement: str) -> int:
        """Replace each of ``terms`` (as :func:`~travelcore.retention.mentions` finds them)
        in what the parent wrote: review texts, feedback comments on their children's
        bookings and chat messages; how many texts changed."""
        ...

    def add_alias(self, alias: Child) -> None:
        """The placeholder child that de-identified bookings point to."""
        ...

    def repoint(self, child_id: ChildId, alias_id: ChildId) -> int:
        """Bookings and waitlist entries of ``child_id`` now name ``alias_id``."""
        ...

    def replace_in_events(self, old: str, new: str) -> int:
        """Replace the text ``old`` by ``new`` in the payloads of stored events (the
        outbox)."""
        ...

    def forget_results(self, term: str) -> int:
        """Delete the stored idempotent results that contain ``term`` (they are never
        rewritten)."""
        ...

    def delete_child(self, child_id: ChildId) -> bool: ...


class ChatStore(Protocol):
    def purge_ended(self, before: datetime) -> int:
        """Delete conversations (and their messages) that ended before ``before``."""
        ...


class RetentionUnitOfWork(UnitOfWork, Protocol):
    @property
    def erasure(self) -> ErasureStore: ...

    @property
    def audit_log(self) -> AuditLog: ...

    @property
    def chats(self) -> ChatStore: ...

    @property
    def children(self) -> ChildRepository: ...

    @property
    def idempotency(self) -> IdempotencyStore: ...

    @property
    def search_logs(self) -> SearchLogRepository: ...

    @property
    def data_exports(self) -> DataExportRepository: ...

    @property
    def memory_entries(self) -> MemoryEntryRepository: ...
