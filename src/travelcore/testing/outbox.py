"""Contract suites for the outbox: what a unit of work's commit stores, how relays claim,
retry, park, requeue and purge, and the consumers' inbox. The adapter's test module
provides ``uow_factory``, ``outbox_store`` (over a database no other test writes events
to: claims span every tenant) and ``forgetful_outbox_store`` (a store of the same database
made with ``keep_delivered=False``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import attrs
import pytest

from travelcore.kernel import (
    DomainEvent,
    ManualClock,
    OutboxMessage,
    RetryPolicy,
    TenantId,
    new_uuid,
)
from travelcore.outbox import OutboxEntry, OutboxStatus, OutboxStore, Relay, RelayReport
from travelcore.testing.repositories import UowFactory

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


@attrs.frozen(kw_only=True)
class ThingCounted(DomainEvent):
    """A test event: ``thing_id`` is its aggregate."""

    thing_id: UUID
    n: int


def commit(uow_factory: UowFactory, tenant: TenantId, *events: DomainEvent) -> None:
    with uow_factory(tenant, None) as uow:
        uow.emit(*events)
        uow.commit()


def counted(tenant: TenantId, thing: UUID, n: int, at: datetime = T0) -> ThingCounted:
    return ThingCounted(tenant_id=tenant, occurred_at=at, thing_id=thing, n=n)


def numbered(entries: Sequence[OutboxEntry]) -> list[tuple[str, int]]:
    """``(aggregate, n)`` of each entry's event."""
    return [(e.message.aggregate, _event(e.message).n) for e in entries]


def _event(message: OutboxMessage) -> ThingCounted:
    event = message.event()
    assert isinstance(event, ThingCounted)
    return event


def drain(store: OutboxStore) -> None:
    """Mark everything claimable delivered (what earlier tests left behind)."""
    far = datetime(2100, 1, 1, tzinfo=UTC)
    while True:
        with store.claim(far, 1000) as claim:
            if not claim.entries:
                return
            for entry in claim.entries:
                claim.delivered(entry.message.sequence, far)


class Tally:
    """A consumer that counts, in the consumer's transaction, what it applied per thing,
    and fails on the things it is told to."""

    name = "tally"

    def __init__(self) -> None:
        self.applied: list[tuple[UUID, int]] = []
        self.failing: set[UUID] = set()

    def handle(self, uow: Any, message: OutboxMessage) -> None:
        event = message.event()
        assert isinstance(event, ThingCounted)
        if event.thing_id in self.failing:
            raise RuntimeError(f"cannot count {event.thing_id}")
        self.applied.append((event.thing_id, event.n))


class OutboxContract:
    @pytest.fixture
    def tenant(self, outbox_store: OutboxStore) -> TenantId:
        drain(outbox_store)
        return TenantId(new_uuid())

    def test_committed_events_are_stored_in_commit_order_and_rolled_back_ones_never(
        self, uow_factory: UowFactory, outbox_store: OutboxStore, tenant: TenantId
    ) -> None:
        thing = new_uuid()
        commit(uow_factory, tenant, counted(tenant, thing, 1), counted(tenant, thing, 2))
        with uow_factory(tenant, None) as uow:
            uow.emit(counted(tenant, thing, 99))  # never committed
        commit(uow_factory, tenant, counted(tenant, thing, 3))
        entries = outbox_store.entries(tenant)
        assert [_event(e.message).n for e in entries] == [1, 2, 3]
        sequences = [e.message.sequence for e in entries]
        assert sequences == sorted(sequences)
        assert len(set(sequences)) == 3
        first = entries[0]
        assert first.status is OutboxStatus.PENDING
        assert first.message.aggregate == str(thing)
        assert first.message.event_type == "ThingCounted"
        assert first.message.event() == counted(tenant, thing, 1)
        assert outbox_store.entries(TenantId(new_uuid())) == []

    def test_claims_skip_what_another_relay_holds_and_keep_each_aggregate_in_order(
        self, uow_factory: UowFactory, outbox_store: OutboxStore, tenant: TenantId
    ) -> None:
        a, b = new_uuid(), new_uuid()
        commit(uow_factory, tenant, counted(tenant, a, 1), counted(tenant, b, 1))
        commit(uow_factory, tenant, counted(tenant, a, 2), counted(tenant, b, 2))
        with outbox_store.claim(T0, 1) as first:
            assert numbered(first.entries) == [(str(a), 1)]
            with outbox_store.claim(T0, 10) as second:  # a's later event waits for a's first
                assert numbered(second.entries) == [
                    (str(b), 1),
                    (str(b), 2),
                ]
            first.delivered(first.entries[0].message.sequence, T0)
        with outbox_store.claim(T0, 10) as third:
            assert numbered(third.entries) == [(str(b), 1), (str(a), 2), (str(b), 2)]
            for entry in third.entries:
                third.delivered(entry.message.sequence, T0)
        statuses = {e.status for e in outbox_store.entries(tenant)}
        assert statuses == {OutboxStatus.DELIVERED}

    def test_a_claim_that_raises_releases_its_batch_untouched(
        self, uow_factory: UowFactory, outbox_store: OutboxStore, tenant: TenantId
    ) -> None:
        commit(uow_factory, tenant, counted(tenant, new_uuid(), 1))

        def crash() -> None:
            with outbox_store.claim(T0, 10) as claim:
                claim.delivered(claim.entries[0].message.sequence, T0)
                raise RuntimeError("relay crashed")

        with pytest.raises(RuntimeError):
            crash()
        [entry] = outbox_store.entries(tenant)
        assert (entry.status, entry.attempts) == (OutboxStatus.PENDING, 0)

    def test_a_retried_message_waits_and_holds_back_its_aggregate_and_a_parked_one_not(
        self, uow_factory: UowFactory, outbox_store: OutboxStore, tenant: TenantId
    ) -> None:
        a, b = new_uuid(), new_uuid()
        commit(uow_factory, tenant, counted(tenant, a, 1), counted(tenant, a, 2))
        commit(uow_factory, tenant, counted(tenant, b, 1), counted(tenant, b, 2))
        later = T0 + timedelta(minutes=1)
        with outbox_store.claim(T0, 1) as claim:
            claim.retry(claim.entries[0].message.sequence, "boom", later)
        with outbox_store.claim(T0, 10) as claim:
            assert [e.message.aggregate for e in claim.entries] == [str(b), str(b)]
            claim.park(claim.entries[0].message.sequence, "broken for good")
        with outbox_store.claim(later, 10) as claim:
            got = [(*numbered([e])[0], e.attempts) for e in claim.entries]
            assert got == [(str(a), 1, 1), (str(a), 2, 0), (str(b), 2, 0)]
        parked = outbox_store.entries(tenant, OutboxStatus.PARKED)
        assert [(p.last_error, p.attempts) for p in parked] == [("broken for good", 1)]
        event_id = parked[0].message.event_id
        assert not outbox_store.requeue(tenant, new_uuid(), later)
        assert outbox_store.requeue(tenant, event_id, later)
        [requeued] = [e for e in outbox_store.entries(tenant) if e.message.event_id == event_id]
        assert (requeued.status, requeued.attempts) == (OutboxStatus.PENDING, 0)

    def test_purge_forgets_delivered_messages_and_their_inbox_entries(
        self, uow_factory: UowFactory, outbox_store: OutboxStore, tenant: TenantId
    ) -> None:
        commit(uow_factory, tenant, counted(tenant, new_uuid(), 1))
        commit(uow_factory, tenant, counted(tenant, new_uuid(), 2))
        old, pending = outbox_store.entries(tenant)
        long_ago = datetime(2020, 1, 1, tzinfo=UTC)
        with outbox_store.claim(T0, 1) as claim:
            claim.delivered(claim.entries[0].message.sequence, long_ago)
        with uow_factory(tenant, None) as uow:
            assert uow.inbox.admit("tally", [old.message.event_id], T0) == {old.message.event_id}
            uow.commit()
        assert outbox_store.purge(long_ago) == 0
        assert outbox_store.purge(long_ago + timedelta(days=1)) == 1
        assert [e.message.event_id for e in outbox_store.entries(tenant)] == [
            pending.message.event_id
        ]
        with uow_factory(tenant, None) as uow:  # forgotten: it would be admitted again
            assert uow.inbox.admit("tally", [old.message.event_id], T0) == {old.message.event_id}

    def test_the_inbox_admits_each_event_once_per_consumer_and_forgets_on_rollback(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        one, two, three = new_uuid(), new_uuid(), new_uuid()
        with uow_factory(tenant, None) as uow:
            assert uow.inbox.admit("a", [one, two], T0) == {one, two}
            assert uow.inbox.admit("a", [one], T0) == set()
            uow.commit()
        with uow_factory(tenant, None) as uow:
            assert uow.inbox.admit("a", [one, two, three], T0) == {three}
            assert uow.inbox.admit("b", [one], T0) == {one}
        with uow_factory(tenant, None) as uow:  # rolled back: three and b's one are not kept
            assert uow.inbox.admit("a", [three], T0) == {three}
            assert uow.inbox.admit("b", [one], T0) == {one}
        with uow_factory(TenantId(new_uuid()), None) as uow:
            assert uow.inbox.admit("a", [one], T0) == {one}

    def test_the_relay_delivers_in_order_retries_with_backoff_and_parks_with_the_reason(
        self,
        uow_factory: UowFactory,
        outbox_store: OutboxStore,
        tenant: TenantId,
    ) -> None:
        clock = ManualClock(T0)
        tally = Tally()
        retry = RetryPolicy(max_attempts=3, base=timedelta(seconds=10))
        relay = Relay(
            _factory(uow_factory), clock, outbox=outbox_store, consumers=[tally], retry=retry
        )
        good, bad = new_uuid(), new_uuid()
        tally.failing.add(bad)
        for n in (1, 2, 3):
            commit(uow_factory, tenant, counted(tenant, good, n), counted(tenant, bad, n))
        report = relay.run_once()
        assert (report.delivered, report.retried) == (3, 1), report
        assert tally.applied[-3:] == [(good, 1), (good, 2), (good, 3)]  # after a rollback
        again = relay.run_once()
        assert again.delivered == 0, again  # the failed one backs off 10 s
        clock.advance(timedelta(seconds=10))
        assert relay.run_once().retried == 1
        clock.advance(timedelta(seconds=20))
        assert relay.run_once().parked == 1
        [parked] = outbox_store.entries(tenant, OutboxStatus.PARKED)
        assert parked.attempts == 3
        assert parked.last_error == f"tally: RuntimeError: cannot count {bad}"
        tally.failing.clear()  # the later events of the parked aggregate go on
        assert relay.drain().delivered == 2
        assert tally.applied[-2:] == [(bad, 2), (bad, 3)]
        assert outbox_store.requeue(tenant, parked.message.event_id, clock.now())
        assert relay.drain().delivered == 1
        assert tally.applied[-1] == (bad, 1)

    def test_a_repeated_delivery_is_skipped_by_the_inbox(
        self, uow_factory: UowFactory, outbox_store: OutboxStore, tenant: TenantId
    ) -> None:
        clock = ManualClock(T0)
        tally = Tally()
        relay = Relay(_factory(uow_factory), clock, outbox=outbox_store, consumers=[tally])
        commit(uow_factory, tenant, counted(tenant, new_uuid(), 1))
        [entry] = outbox_store.entries(tenant)
        with uow_factory(tenant, None) as uow:  # applied, but the relay died before marking it
            uow.inbox.admit("tally", [entry.message.event_id], T0)
            tally.handle(uow, entry.message)
            uow.commit()
        report = relay.run_once()
        assert (report.delivered, report.skipped) == (1, 1)
        assert len(tally.applied) == 1

    def test_a_store_that_forgets_delivered_messages_keeps_inbox_entries_until_the_cutoff(
        self, uow_factory: UowFactory, forgetful_outbox_store: OutboxStore, tenant: TenantId
    ) -> None:
        store, clock = forgetful_outbox_store, ManualClock(T0)
        tally, other = Tally(), Tally()
        other.name = "other"
        good, bad = new_uuid(), new_uuid()
        tally.failing.add(bad)
        relay = Relay(_factory(uow_factory), clock, outbox=store, consumers=[other, tally])
        commit(uow_factory, tenant, counted(tenant, good, 1), counted(tenant, bad, 1))
        delivered, waiting = (e.message.event_id for e in store.entries(tenant))
        assert relay.run_once() == RelayReport(delivered=1, retried=1)
        assert [e.message.event_id for e in store.entries(tenant)] == [waiting]
        assert store.entries(tenant, OutboxStatus.DELIVERED) == []
        store.purge(T0)
        with uow_factory(tenant, None) as uow:  # not yet past the cutoff: still recorded
            assert uow.inbox.admit("tally", [delivered], T0) == set()
        store.purge(T0 + timedelta(days=1))
        with uow_factory(tenant, None) as uow:
            assert uow.inbox.admit("tally", [delivered], T0) == {delivered}  # forgotten
            assert uow.inbox.admit("other", [waiting], T0) == set()  # its event waits on


def _factory(uow_factory: UowFactory) -> Callable[[TenantId], Any]:
    return lambda tenant: uow_factory(tenant, None)
