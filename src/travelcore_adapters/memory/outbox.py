"""The memory outbox and inbox: outbox rows are written by the unit of work's transaction
(so they appear if and only if it commits); relays claim them under the store's lock."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

import attrs

from travelcore.kernel import OutboxMessage, TenantId, UnitOfWork
from travelcore.outbox.ports import OutboxEntry, OutboxStatus
from travelcore_adapters.memory.store import MemoryStore, MemoryTransaction

if TYPE_CHECKING:
    from travelcore_adapters.memory.uow import MemoryUnitOfWork

OUTBOX, SEQUENCE, INBOX = "outbox", "outbox_sequence", "inbox"


def write_outbox(tx: MemoryTransaction, messages: Sequence[OutboxMessage]) -> None:
    """Stage ``messages`` in ``tx`` with the next sequence numbers (due at once)."""
    sequence: int = tx.get(SEQUENCE, "last") or 0
    for message in messages:
        sequence += 1
        entry = OutboxEntry(
            message=attrs.evolve(message, sequence=sequence),
            status=OutboxStatus.PENDING,
            available_at=message.occurred_at,
        )
        tx.put(OUTBOX, sequence, entry)
    tx.put(SEQUENCE, "last", sequence)


class MemoryClaim:
    def __init__(self, entries: list[OutboxEntry]) -> None:
        self.entries: Sequence[OutboxEntry] = entries
        self.outcomes: dict[int, OutboxEntry] = {}
        self._by_sequence = {entry.message.sequence: entry for entry in entries}

    def delivered(self, sequence: int, at: datetime) -> None:
        entry = self._by_sequence[sequence]
        self.outcomes[sequence] = attrs.evolve(
            entry, status=OutboxStatus.DELIVERED, delivered_at=at, attempts=entry.attempts + 1
        )

    def retry(self, sequence: int, error: str, at: datetime) -> None:
        entry = self._by_sequence[sequence]
        self.outcomes[sequence] = attrs.evolve(
            entry, attempts=entry.attempts + 1, last_error=error, available_at=at
        )

    def park(self, sequence: int, error: str) -> None:
        entry = self._by_sequence[sequence]
        self.outcomes[sequence] = attrs.evolve(
            entry, status=OutboxStatus.PARKED, attempts=entry.attempts + 1, last_error=error
        )

    def enlist(self, uow: UnitOfWork) -> None:
        """Nothing: a memory unit of work commits under the store's lock on its own."""


class MemoryOutbox:
    """The :class:`~travelcore.outbox.ports.OutboxStore` of a :class:`MemoryStore`; with
    ``keep_delivered=False`` delivered messages are deleted instead of kept for
    :meth:`purge` (as on PostgreSQL)."""

    def __init__(self, store: MemoryStore, *, keep_delivered: bool = True) -> None:
        self._store = store
        self._keep_delivered = keep_delivered
        self._claimed: set[int] = set()

    @contextmanager
    def claim(self, now: datetime, limit: int) -> Iterator[MemoryClaim]:
        with self._store.lock:
            rows: dict[int, OutboxEntry] = self._store.tables[OUTBOX]  # type: ignore[assignment]
            batch: list[OutboxEntry] = []
            held: set[tuple[TenantId, str]] = set()
            for sequence, entry in rows.items():
                if len(batch) >= limit:
                    break
                if entry.status is not OutboxStatus.PENDING:
                    continue
                key = (entry.message.tenant_id, entry.message.aggregate)
                if key in held:
                    continue
                if sequence in self._claimed or entry.available_at > now:
                    held.add(key)
                    continue
                batch.append(entry)
            self._claimed.update(e.message.sequence for e in batch)
        claim = MemoryClaim(batch)
        try:
            yield claim
            with self._store.lock:
                for sequence, outcome in claim.outcomes.items():
                    if self._keep_delivered or outcome.status is not OutboxStatus.DELIVERED:
                        rows[sequence] = outcome
                    else:
                        del rows[sequence]
        finally:
            with self._store.lock:
                self._claimed.difference_update(e.message.sequence for e in batch)

    def wait(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        start = self._last()
        while time.monotonic() < deadline:
            if self._last() != start:
                return True
            time.sleep(min(0.01, max(deadline - time.monotonic(), 0)))
        return False

    def _last(self) -> int:
        last: int = self._store.tables[SEQUENCE].get("last", 0)
        return last

    def entries(self, tenant_id: TenantId, status: OutboxStatus | None = None) -> list[OutboxEntry]:
        with self._store.lock:
            return [
                entry
                for entry in self._store.tables[OUTBOX].values()
                if entry.message.tenant_id == tenant_id and status in (None, entry.status)
            ]

    def requeue(self, tenant_id: TenantId, event_id: UUID, now: datetime) -> bool:
        with self._store.lock:
            rows = self._store.tables[OUTBOX]
            for sequence, entry in rows.items():
                message = entry.message
                if message.tenant_id == tenant_id and message.event_id == event_id:
                    if entry.status is not OutboxStatus.PARKED:
                        return False
                    rows[sequence] = attrs.evolve(
                        entry, status=OutboxStatus.PENDING, attempts=0, available_at=now
                    )
                    return True
        return False

    def purge(self, before: datetime) -> int:
        with self._store.lock:
            rows = self._store.tables[OUTBOX]
            gone = [
                sequence
                for sequence, entry in rows.items()
                if entry.status is OutboxStatus.DELIVERED
                and entry.delivered_at is not None
                and entry.delivered_at < before
            ]
            events = {(rows[s].message.tenant_id, rows[s].message.event_id) for s in gone}
            for sequence in gone:
                del rows[sequence]
            kept = {(e.message.tenant_id, e.message.event_id) for e in rows.values()}
            inbox = self._store.tables[INBOX]
            for key, handled_at in list(inbox.items()):
                event = (key[0], key[2])  # type: ignore[index]
                if event in events or (event not in kept and handled_at < before):
                    del inbox[key]
            return len(gone)


class MemoryInbox:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow

    def admit(self, consumer: str, event_ids: Sequence[UUID], at: datetime) -> set[UUID]:
        tenant, tx = self._uow.tenant_id, self._uow.tx
        admitted = set()
        for event_id in event_ids:
            key = (tenant, consumer, event_id)
            if not tx.contains(INBOX, key):
                tx.put(INBOX, key, at)
                admitted.add(event_id)
        return admitted
