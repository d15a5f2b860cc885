"""A hypothesis state machine over the outbox, relays and the consumers' inbox, for any
database.

``outbox_machine(make)`` returns a ``RuleBasedStateMachine`` subclass; ``make()`` gives
``(uow_factory, outbox_store)`` over a database whose outbox no other test writes to
meanwhile. Rules commit events, roll events back, run a relay (of two, with different
batch sizes), let a relay die holding a batch while the other runs, make a consumer fail
on an aggregate or recover, let time pass, requeue parked events, purge delivered ones,
and deliver everything. Two consumers record their effects in their units of work (kept
only when the unit of work commits). After every step:

- every committed event is stored (pending, delivered or parked) or was purged, and no
  rolled-back event ever is;
- each consumer applied each event at most once, only committed ones, and every delivered
  event was applied by every consumer;
- per aggregate, each consumer applied events in commit order, except an event that was
  parked (requeued, it comes after the later ones);
- a parked event used up its attempts and names the consumer that failed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any
from uuid import UUID

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from travelcore.kernel import ManualClock, OutboxMessage, RetryPolicy, TenantId, new_uuid
from travelcore.outbox import OutboxStatus, OutboxStore, Relay
from travelcore.testing.outbox import ThingCounted, counted, drain

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
RETRY = RetryPolicy(max_attempts=3, base=timedelta(seconds=10), cap=timedelta(seconds=40))
CONSUMERS = ("tally", "audit")
Key = tuple[TenantId, str, int]
"""An event: its tenant, aggregate and number (``n``; rolled-back events carry -1)."""
UowFactory = Callable[[TenantId], Any]


class Recording:
    """A unit of work whose consumers' effects count only once it has committed."""

    def __init__(self, inner: Any, effects: dict[str, list[Key]]) -> None:
        self._inner = inner
        self._effects = effects
        self.staged: list[tuple[str, Key]] = []

    def __enter__(self) -> Recording:
        self._inner.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._inner.__exit__(exc_type, exc, tb)

    @property
    def inbox(self) -> Any:
        return self._inner.inbox

    def commit(self) -> None:
        self._inner.commit()
        for consumer, key in self.staged:
            self._effects[consumer].append(key)


class Applier:
    """A consumer that records ``(tenant, aggregate, n)`` in its unit of work and fails on
    the aggregates in ``failing``."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.failing: set[tuple[TenantId, str]] = set()

    def handle(self, uow: Any, message: OutboxMessage) -> None:  # a Recording
        event = message.event()
        assert isinstance(event, ThingCounted)
        if (message.tenant_id, message.aggregate) in self.failing:
            raise RuntimeError(f"cannot apply {message.aggregate}")
        uow.staged.append((self.name, (message.tenant_id, message.aggregate, event.n)))


def outbox_machine(
    make: Callable[[], tuple[UowFactory, OutboxStore]],
) -> type[RuleBasedStateMachine]:
    class OutboxMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.db, self.store = make()
            drain(self.store)  # what earlier examples left claimable
            self.clock = ManualClock(T0)
            self.tenants = [TenantId(new_uuid()) for _ in range(2)]
            self.things = [new_uuid() for _ in range(3)]
            self.effects: dict[str, list[Key]] = {name: [] for name in CONSUMERS}
            self.consumers = [Applier(name) for name in CONSUMERS]
            self.relays = [
                Relay(
                    self._recording,
                    self.clock,
                    outbox=self.store,
                    consumers=self.consumers,
                    retry=RETRY,
                    batch_size=size,
                )
                for size in (2, 5)
            ]
            self.committed: dict[tuple[TenantId, str], list[int]] = {}
            self.parked_ever: set[Key] = set()
            self.purged: set[Key] = set()

        def _recording(self, tenant_id: TenantId) -> Any:  # what the consumers are handed
            return Recording(self.db(tenant_id), self.effects)

        # -- producers -----------------------------------------------------------------------

        @rule(
            tenant=st.integers(0, 1),
            things=st.lists(st.integers(0, 2), min_size=1, max_size=4),
        )
        def commit_events(self, tenant: int, things: list[int]) -> None:
            tid = self.tenants[tenant]
            events: list[ThingCounted] = []
            numbers: list[tuple[UUID, int]] = []
            for index in things:
                thing = self.things[index]
                done = self.committed.get((tid, str(thing)), [])
                n = (done[-1] if done else 0) + 1 + [t for t, _ in numbers].count(thing)
                events.append(counted(tid, thing, n, self.clock.now()))
                numbers.append((thing, n))
            with self.db(tid) as uow:
                uow.emit(*events)
                uow.commit()
            for thing, n in numbers:
                self.committed.setdefault((tid, str(thing)), []).append(n)

        @rule(tenant=st.integers(0, 1), thing=st.integers(0, 2), raise_=st.booleans())
        def roll_back_events(self, tenant: int, thing: int, raise_: bool) -> None:
            tid = self.tenants[tenant]
            try:
                with self.db(tid) as uow:
                    uow.emit(counted(tid, self.things[thing], -1, self.clock.now()))
                    if raise_:
                        raise _Abandoned
            except _Abandoned:
                pass

        # -- relays and consumers ------------------------------------------------------------

        @rule(relay=st.integers(0, 1))
        def run_relay(self, relay: int) -> None:
            self.relays[relay].run_once()
            self._observe()

        @rule(limit=st.integers(1, 4), relay=st.integers(0, 1), crash=st.booleans())
        def relay_dies_holding_a_batch(self, limit: int, relay: int, crash: bool) -> None:
            """A relay claims a batch, the other relay runs meanwhile, then the first dies
            (its batch is released untouched) or ends its claim without an outcome."""
            try:
                with self.store.claim(self.clock.now(), limit):
                    self.relays[relay].run_once()
                    if crash:
                        raise _Abandoned
            except _Abandoned:
                pass
            self._observe()

        @rule(consumer=st.integers(0, 1), tenant=st.integers(0, 1), thing=st.integers(0, 2))
        def fail_consumer(self, consumer: int, tenant: int, thing: int) -> None:
            self.consumers[consumer].failing.add((self.tenants[tenant], str(self.things[thing])))

        @rule(consumer=st.integers(0, 1))
        def recover_consumer(self, consumer: int) -> None:
            self.consumers[consumer].failing.clear()

        @rule(seconds=st.sampled_from([5, 10, 30, 60]))
        def let_time_pass(self, seconds: int) -> None:
            self.clock.advance(timedelta(seconds=seconds))

        @precondition(lambda self: self.parked_ever)
        @rule(data=st.data())
        def requeue_a_parked_event(self, data: st.DataObject) -> None:
            parked = [e for t in self.tenants for e in self.store.entries(t, OutboxStatus.PARKED)]
            if parked:
                entry = data.draw(st.sampled_from(parked))
                message = entry.message
                assert self.store.requeue(message.tenant_id, message.event_id, self.clock.now())
                assert not self.store.requeue(message.tenant_id, message.event_id, self.clock.now())

        @rule(minutes_ago=st.sampled_from([0, 1, 10]))
        def purge_delivered(self, minutes_ago: int) -> None:
            before = self.clock.now() - timedelta(minutes=minutes_ago)
            going = {
                self._key(e.message)
                for t in self.tenants
                for e in self.store.entries(t, OutboxStatus.DELIVERED)
                if e.delivered_at is not None and e.delivered_at < before
            }
            self.store.purge(before)
            self.purged |= going

        @rule()
        def deliver_everything(self) -> None:
            """Consumers recover, parked events are requeued, and one relay drains: every
            committed event is then delivered and applied once by every consumer."""
            for consumer in self.consumers:
                consumer.failing.clear()
            self.clock.advance(timedelta(minutes=5))
            for tenant in self.tenants:
                for entry in self.store.entries(tenant, OutboxStatus.PARKED):
                    self.store.requeue(tenant, entry.message.event_id, self.clock.now())
            self.relays[0].drain()
            stored = self._stored()
            assert all(status is OutboxStatus.DELIVERED for status in stored.values()), stored
            for name in CONSUMERS:
                assert sorted(self.effects[name]) == sorted(self._committed_keys()), name

        # -- invariants ----------------------------------------------------------------------

        @invariant()
        def every_committed_event_is_stored_or_purged_and_no_rolled_back_one(self) -> None:
            stored = set(self._stored())
            committed = self._committed_keys()
            assert not stored & self.purged
            assert stored | self.purged == committed, (stored | self.purged) ^ committed

        @invariant()
        def each_consumer_applies_committed_events_once_and_all_delivered_ones(self) -> None:
            delivered = {k for k, s in self._stored().items() if s is OutboxStatus.DELIVERED}
            committed = self._committed_keys()
            for name, applied in self.effects.items():
                assert len(set(applied)) == len(applied), (name, applied)
                assert set(applied) <= committed, name
                assert delivered | self.purged <= set(applied), name

        @invariant()
        def each_aggregate_is_applied_in_commit_order_but_for_parked_events(self) -> None:
            for name, applied in self.effects.items():
                seen: set[Key] = set()
                for key in applied:
                    tenant, aggregate, n = key
                    earlier = {
                        (tenant, aggregate, m)
                        for m in self.committed.get((tenant, aggregate), [])
                        if m < n
                    }
                    missing = earlier - seen - self.parked_ever
                    assert not missing, (name, key, missing)
                    seen.add(key)

        @invariant()
        def parked_events_used_their_attempts_and_name_the_consumer(self) -> None:
            for tenant in self.tenants:
                for entry in self.store.entries(tenant, OutboxStatus.PARKED):
                    assert entry.attempts == RETRY.max_attempts
                    assert entry.last_error is not None
                    assert entry.last_error.split(":")[0] in CONSUMERS

        # -- helpers -------------------------------------------------------------------------

        def _observe(self) -> None:
            for tenant in self.tenants:
                for entry in self.store.entries(tenant, OutboxStatus.PARKED):
                    self.parked_ever.add(self._key(entry.message))

        def _stored(self) -> dict[Key, OutboxStatus]:
            return {
                self._key(e.message): e.status for t in self.tenants for e in self.store.entries(t)
            }

        def _committed_keys(self) -> set[Key]:
            return {(t, a, n) for (t, a), ns in self.committed.items() for n in ns}

        @staticmethod
        def _key(message: OutboxMessage) -> Key:
            event = message.event()
            assert isinstance(event, ThingCounted)
            return (message.tenant_id, message.aggregate, event.n)

    return OutboxMachine


class _Abandoned(Exception):
    """Leaves a ``with`` block the way a crash would."""
