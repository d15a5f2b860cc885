"""The relay: delivers committed outbox messages to every consumer, at least once, in
commit order per tenant and aggregate.

Each consumer gets the batch's messages of one tenant in one unit of work, which admits
them to its inbox first (messages already there are skipped). The claim enlists that unit
of work when it can (on PostgreSQL: a savepoint of the claim's own transaction, so one
commit per batch holds the consumers' effects, their inbox entries and the delivery
outcomes). A consumer that raises on a message rolls that unit of work back; the messages
before it are applied again without it, the message counts a failed attempt (due again
after a backoff, parked when attempts run out, with the reason) and the later messages of
its aggregate wait for the next round. Other aggregates are not held up.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Generic, TypeVar

import attrs

from travelcore.kernel import (
    Actor,
    Clock,
    OutboxMessage,
    RetryPolicy,
    TenantId,
    ValidationFailed,
    checked_clock,
)
from travelcore.kernel.telemetry import RELAY_DELIVERIES, RELAY_DELIVERY, add, span
from travelcore.outbox.ports import Claim, Consumer, InboxUnitOfWork, OutboxEntry, OutboxStore

U = TypeVar("U", bound=InboxUnitOfWork)

MAX_BATCH = 5000


@attrs.frozen(kw_only=True)
class RelayReport:
    delivered: int = 0
    retried: int = 0
    parked: int = 0
    skipped: int = 0
    """Messages already in a consumer's inbox (deliveries repeated after a crash)."""

    def __add__(self, other: RelayReport) -> RelayReport:
        return RelayReport(
            delivered=self.delivered + other.delivered,
            retried=self.retried + other.retried,
            parked=self.parked + other.parked,
            skipped=self.skipped + other.skipped,
        )


class Relay(Generic[U]):
    """Delivers ``outbox`` (the store of ``uow_factory``'s database) to ``consumers``;
    several relays may share it."""

    def __init__(
        self,
        uow_factory: Callable[[TenantId], U],
        clock: Clock,
        *,
        outbox: OutboxStore,
        consumers: Iterable[Consumer[U]],
        retry: RetryPolicy | None = None,
        batch_size: int = 200,
    ) -> None:
        if not 1 <= batch_size <= MAX_BATCH:
            raise ValidationFailed("batch_size", f"between_1_and_{MAX_BATCH}")
        self._store = outbox
        self._uow = uow_factory
        self._consumers = list(consumers)
        names = [consumer.name for consumer in self._consumers]
        if len(set(names)) != len(names):
            raise ValidationFailed("consumers", "unique_names")
        self._clock = checked_clock(clock)
        self._retry = retry or RetryPolicy()
        self._batch_size = batch_size

    def run_once(self) -> RelayReport:
        """Deliver one batch; an empty report means nothing was due."""
        now = self._clock.now()
        report = RelayReport()
        with self._store.claim(now, self._batch_size) as claim:
            failures: dict[int, str] = {}
            blocked: set[tuple[TenantId, str]] = set()
            for tenant_id, entries in _by_tenant(claim.entries):
                for consumer in self._consumers:
                    with span(RELAY_DELIVERY, {"travelcore.consumer": consumer.name}):
                        report += self._deliver(
                            claim, consumer, tenant_id, entries, failures, blocked
                        )
            report += self._record(claim, now, failures, blocked)
        add(RELAY_DELIVERIES, report.delivered)
        return report

    def _record(
        self,
        claim: Claim,
        now: datetime,
        failures: dict[int, str],
        blocked: set[tuple[TenantId, str]],
    ) -> RelayReport:
        """Record each message's outcome: delivered, due again after a backoff, parked, or
        (held up behind a failed one of its aggregate) untouched."""
        if not failures:
            for entry in claim.entries:
                claim.delivered(entry.message.sequence, now)
            return RelayReport(delivered=len(claim.entries))
        delivered = retried = parked = 0
        for entry in claim.entries:
            message = entry.message
            error = failures.get(message.sequence)
            if error is not None:
                attempts = entry.attempts + 1
                if self._retry.exhausted(attempts):
                    claim.park(message.sequence, error)
                    parked += 1
                else:
                    later = now + self._retry.delay(attempts)
                    claim.retry(message.sequence, error, later)
                    retried += 1
            elif (message.tenant_id, message.aggregate) not in blocked:
                claim.delivered(message.sequence, now)
                delivered += 1
        return RelayReport(delivered=delivered, retried=retried, parked=parked)

    def drain(self, max_batches: int = 1_000_000) -> RelayReport:
        """Deliver batches until nothing is due (or ``max_batches``)."""
        total = RelayReport()
        for _ in range(max_batches):
            report = self.run_once()
            if report == RelayReport():
                break
            total += report
        return total

    def run_forever(self, stop: threading.Event, poll: timedelta = timedelta(seconds=5)) -> None:
        """Deliver until ``stop`` is set, sleeping on the store's wake-up (LISTEN/NOTIFY on
        PostgreSQL) or ``poll`` between empty rounds."""
        while not stop.is_set():
            if self.run_once() == RelayReport():
                self._store.wait(poll.total_seconds())

    def _deliver(
        self,
        claim: Claim,
        consumer: Consumer[U],
        tenant_id: TenantId,
        entries: Sequence[OutboxEntry],
        failures: dict[int, str],
        blocked: set[tuple[TenantId, str]],
    ) -> RelayReport:
        """Apply ``entries`` to ``consumer`` in one unit of work, leaving out a message that
        fails (and its aggregate's later ones) and trying the rest again."""
        while True:
            todo = [e.message for e in entries]
            if blocked:
                todo = [m for m in todo if (tenant_id, m.aggregate) not in blocked]
            if not todo:
                return RelayReport()
            failed: OutboxMessage | None = None
            uow = self._uow(tenant_id)
            uow.actor = Actor.system(tenant_id, f"relay:{consumer.name}")
            claim.enlist(uow)
            with uow:
                now = self._clock.now()
                admitted = uow.inbox.admit(consumer.name, [m.event_id for m in todo], now)
                fresh = todo
                if len(admitted) < len(todo):  # (admitted is a subset of todo's ids)
                    fresh = [m for m in todo if m.event_id in admitted]
                for message in fresh:
                    try:
                        consumer.handle(uow, message)
                    except Exception as exc:  # a consumer's error: retried, then parked
                        failed = message
                        failures[message.sequence] = (
                            f"{consumer.name}: {type(exc).__name__}: {exc}"[:2000]
                        )
                        break
                if failed is None:
                    uow.commit()
                    return RelayReport(skipped=len(todo) - len(fresh))
            blocked.add((tenant_id, failed.aggregate))


def _by_tenant(entries: Sequence[OutboxEntry]) -> list[tuple[TenantId, list[OutboxEntry]]]:
    groups: dict[TenantId, list[OutboxEntry]] = {}
    for entry in entries:
        groups.setdefault(entry.message.tenant_id, []).append(entry)
    return list(groups.items())
