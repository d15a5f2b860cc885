"""The unit-of-work port and the event handling every adapter shares.

A unit of work is one transaction for one tenant. It rolls back unless ``commit()`` is
called; events emitted inside it reach subscribers only after a successful commit, so a
notification goes out if and only if the change that caused it is durable.

Repositories report every entity they add, save or remove (:meth:`WorkRecord.changed`);
the commit hands one :class:`Change` per entity to the adapter, which writes the audit log
in the same transaction.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Iterator
from contextlib import AbstractContextManager, contextmanager
from types import TracebackType
from typing import Protocol, Self

import attrs

from travelcore.kernel.actor import Actor
from travelcore.kernel.clock import Clock, SystemClock
from travelcore.kernel.events import Aggregate, DomainEvent
from travelcore.kernel.ids import TenantId
from travelcore.kernel.outbox import OutboxMessage, outbox_message
from travelcore.kernel.validation import uuid

EventHandler = Callable[[DomainEvent], None]


class UnitOfWork(Protocol):
    """One transaction scoped to ``tenant_id``, on behalf of ``actor`` (set by
    :func:`~.idempotency.run_use_case` before the attempt starts)."""

    @property
    def tenant_id(self) -> TenantId: ...

    actor: Actor | None

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def batched(self) -> AbstractContextManager[None]:
        """Lets the storage send the writes made inside together: a refused write
        (``AlreadyExists``, ``StaleVersion``) may raise when the block ends rather than at
        its call."""
        ...

    def emit(self, *events: DomainEvent) -> None: ...


class EventBus:
    """Synchronous, in-process subscribers of committed events.

    ``published`` keeps only the last ``recent`` events (1,000 by default), so a
    long-running process does not grow it forever; to keep every event, subscribe a
    handler that stores them.
    """

    def __init__(self, *, recent: int = 1000) -> None:
        self._handlers: list[EventHandler] = []
        self._recent: deque[DomainEvent] = deque(maxlen=recent)

    @property
    def published(self) -> list[DomainEvent]:
        """The last ``recent`` events published, oldest first."""
        return list(self._recent)

    def subscribe(self, handler: EventHandler) -> None:
        self._handlers.append(handler)

    def publish(self, events: list[DomainEvent]) -> None:
        for event in events:
            self._recent.append(event)
            for handler in self._handlers:
                handler(event)


@attrs.frozen
class Change:
    """One entity written in a unit of work: as it was before (``None``: added in it) and
    as it was written last (``None``: removed)."""

    entity_type: str
    key: Hashable
    before: object | None
    after: object | None


class WorkRecord:
    """What the repositories of one transaction read, added and wrote: the aggregates
    whose events the commit collects and the changes it hands to the audit log.

    It is apart from the unit of work so that storage may hold it (its ``seen`` and
    ``changed``) without holding the unit of work: no reference cycle, so a finished unit
    of work is freed at once rather than by the garbage collector.
    """

    __slots__ = ("aggregates", "changes")

    def __init__(self) -> None:
        self.aggregates: dict[int, Aggregate] = {}
        self.changes: dict[tuple[str, Hashable], Change] = {}

    def seen(self, *entities: object) -> None:
        """Entities a repository read or added; the events of those that are aggregates
        are collected on commit."""
        for entity in entities:
            if isinstance(entity, Aggregate):
                self.aggregates.setdefault(id(entity), entity)

    def changed(
        self, entity_type: str, key: Hashable, before: object | None, after: object | None
    ) -> None:
        """A repository wrote an entity: ``before`` is its stored state (``None`` if it is
        new), ``after`` what was written (``None``: removed). Several writes of one entity
        make one change, from its first ``before`` to its last ``after``."""
        first = self.changes.get((entity_type, key))
        if first is not None:
            before = first.before
        self.changes[(entity_type, key)] = Change(entity_type, key, before, after)

    def clear(self) -> None:
        self.aggregates.clear()
        self.changes.clear()


class UnitOfWorkBase:
    """Event collection, the record of changes and the commit/rollback protocol; adapters
    supply the storage.

    ``actor`` is who the work is done for (set by the use case; ``None`` when unknown);
    ``clock`` dates the audit rows; ``record`` is the transaction's :class:`WorkRecord`.
    Subclasses implement ``_begin``, ``_commit``,
    ``_rollback``, ``_write_outbox`` and ``_write_changes``.
    """

    def __init__(
        self, tenant_id: TenantId, bus: EventBus | None = None, *, clock: Clock | None = None
    ) -> None:
        uuid(tenant_id, "tenant_id")  # the same refusal on every adapter
        self.tenant_id = tenant_id
        self.actor: Actor | None = None
        self.clock: Clock = clock or SystemClock()
        self._bus = bus
        self._events: list[DomainEvent] = []
        self.record = WorkRecord()
        self._active = False
        self.committed_events: list[DomainEvent] = []

    def __enter__(self) -> Self:
        if self._active:
            raise RuntimeError("unit of work is already active")
        self._events, self.committed_events = [], []
        self.record.clear()
        self._begin()
        self._active = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._active:
                self.rollback()
        finally:
            self._finish()

    def emit(self, *events: DomainEvent) -> None:
        self._events.extend(events)

    def seen(self, *entities: object) -> None:
        """See :meth:`WorkRecord.seen`."""
        self.record.seen(*entities)

    def changed(
        self, entity_type: str, key: Hashable, before: object | None, after: object | None
    ) -> None:
        """See :meth:`WorkRecord.changed`."""
        self.record.changed(entity_type, key, before, after)

    def commit(self) -> None:
        if not self._active:
            raise RuntimeError("unit of work is not active")
        record = self.record
        for aggregate in record.aggregates.values():
            self._events.extend(aggregate.pull_events())
        if record.changes:
            self._write_changes(list(record.changes.values()))
        if self._events:
            self._write_outbox([outbox_message(event) for event in self._events])
        self._commit()
        self._active = False
        self.committed_events = self._events
        self._events = []
        record.clear()
        if self._bus is not None:
            self._bus.publish(self.committed_events)

    @contextmanager
    def batched(self) -> Iterator[None]:
        """Storage that writes at once has nothing to batch."""
        yield

    def rollback(self) -> None:
        if self._active:
            self._active = False
            self._events = []
            self.record.clear()
            self._rollback()

    def _begin(self) -> None:
        raise NotImplementedError

    def _commit(self) -> None:
        raise NotImplementedError

    def _rollback(self) -> None:
        raise NotImplementedError

    def _write_outbox(self, messages: list[OutboxMessage]) -> None:
        """Store ``messages`` in the transaction about to commit (the transactional outbox:
        they become visible to the relay if and only if the commit succeeds)."""
        raise NotImplementedError

    def _write_changes(self, changes: list[Change]) -> None:
        """Record ``changes`` (the audit log) in the transaction about to commit."""
        raise NotImplementedError

    def _finish(self) -> None:
        """Release resources after commit or rollback (locks, connections)."""
