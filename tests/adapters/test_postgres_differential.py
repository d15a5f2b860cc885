"""Differential test: the same random command sequences on the memory adapter and on
PostgreSQL must give the same outcomes (each command's result or error class) and the
same final state (bookings, waitlist, seats and balances, compared without ids)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from travelcore.booking import (
    BookGroup,
    BookSession,
    CancelBooking,
    CancellationReason,
    CancelSession,
    ConfirmBooking,
    GrantPartialRefund,
    JoinWaitlist,
    LeaveWaitlist,
    MarkAttendance,
    PromoteWaitlist,
    RespondToOffer,
)
from travelcore.kernel import ManualClock, TravelcoreError
from travelcore.testing.actors import admin
from travelcore.testing.world import Database, World
from travelcore_adapters.memory import MemoryDatabase
from travelcore_adapters.postgres import PostgresDatabase

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
SESSIONS = [(50, 1, 5), (90, 2, 4)]  # hours to start, capacity, credits per seat
FAMILIES = [(12, (date(2016, 1, 1), date(2018, 1, 1))), (9, (date(2017, 6, 1),))]
REASON = CancellationReason.SCHEDULE_CONFLICT

index = st.integers(0, 7)
commands = st.one_of(
    st.tuples(st.just("book"), index, index, index),
    st.tuples(st.just("book_group"), index, index),
    st.tuples(st.just("confirm"), index),
    st.tuples(st.just("cancel"), index, st.booleans()),
    st.tuples(st.just("attend"), index, st.booleans()),
    st.tuples(st.just("partial_refund"), index, st.integers(1, 6)),
    st.tuples(st.just("cancel_session"), index),
    st.tuples(st.just("join"), index, index, index),
    st.tuples(st.just("promote"), index),
    st.tuples(st.just("respond"), index, st.booleans()),
    st.tuples(st.just("leave"), index),
    st.tuples(st.just("advance"), st.sampled_from([1, 4, 24, 47])),
)


class Runner:
    """One world (a fresh tenant) and the ids it produced, by creation order."""

    def __init__(self, database: Database) -> None:
        self.clock = ManualClock(T0)
        self.world = World(database, self.clock)
        self.sessions = [
            self.world.session(
                starts_in=timedelta(hours=h), capacity=cap, credits=cr, timezone="UTC"
            )
            for h, cap, cr in SESSIONS
        ]
        self.families = [self.world.family(credits=c, born=born) for c, born in FAMILIES]
        self.bookings: list[Any] = []
        self.entries: list[Any] = []

    def _pick(self, items: list[Any], i: int) -> Any:
        return items[i % len(items)] if items else None

    def run(self, command: tuple[Any, ...]) -> object:
        try:
            return self._run(command)
        except TravelcoreError as error:
            return ("refused", type(error).__name__)

    def _run(self, command: tuple[Any, ...]) -> object:
        w, tenant, key = self.world, self.world.tenant, self.world.key()
        name, *args = command
        if name == "advance":
            self.clock.advance(timedelta(hours=args[0]))
            return None
        if name in ("book", "join"):
            parent, children = self.families[args[0] % len(self.families)]
            child, sid = self._pick(children, args[1]), self._pick(self.sessions, args[2])
            if name == "book":
                receipt = w.bookings.book(
                    BookSession(
                        tenant_id=tenant,
                        session_id=sid,
                        child_id=child,
                        parent_id=parent,
                        idempotency_key=key,
                    ),
                    actor=admin(tenant),
                )
                self.bookings.append(receipt.booking_id)
                return (receipt.status, receipt.credits_charged)
            entry = w.waitlist.join(
                JoinWaitlist(
                    tenant_id=tenant,
                    session_id=sid,
                    child_id=child,
                    parent_id=parent,
                    idempotency_key=key,
                ),
                actor=admin(tenant),
            )
            self.entries.append(entry.entry_id)
            return (entry.position, entry.status)
        if name == "book_group":
            parent, children = self.families[args[0] % len(self.families)]
            group = w.bookings.book_group(
                BookGroup(
                    tenant_id=tenant,
                    session_id=self._pick(self.sessions, args[1]),
                    child_ids=tuple(children),
                    parent_id=parent,
                    idempotency_key=key,
                ),
                actor=admin(tenant),
            )
            self.bookings.extend(b.booking_id for b in group.bookings)
            return [(b.status, b.credits_charged) for b in group.bookings]
        if name in ("cancel_session", "promote"):
            sid = self._pick(self.sessions, args[0])
            if name == "promote":
                promoted = w.waitlist.promote(
                    PromoteWaitlist(tenant_id=tenant, session_id=sid, idempotency_key=key),
                    actor=admin(tenant),
                )
                return (len(promoted.expired), len(promoted.offered))
            cancelled = w.bookings.cancel_session(
                CancelSession(tenant_id=tenant, session_id=sid, reason="rain", idempotency_key=key),
                actor=admin(tenant),
            )
            return (len(cancelled.cancelled_bookings), cancelled.credits_refunded)
        if name in ("respond", "leave"):
            entry_id = self._pick(self.entries, args[0])
            if entry_id is None:
                return None
            if name == "leave":
                left = w.waitlist.leave(
                    LeaveWaitlist(tenant_id=tenant, entry_id=entry_id, idempotency_key=key),
                    actor=admin(tenant),
                )
                return left.status
            respond = RespondToOffer(tenant_id=tenant, entry_id=entry_id, idempotency_key=key)
            if args[1]:
                accepted = w.waitlist.accept(respond, actor=admin(respond.tenant_id))
                self.bookings.append(accepted.booking_id)
                return (accepted.status, accepted.credits_charged)
            return w.waitlist.decline(respond, actor=admin(respond.tenant_id)).status
        booking_id = self._pick(self.bookings, args[0])
        if booking_id is None:
            return None
        if name == "confirm":
            return w.bookings.confirm(
                ConfirmBooking(tenant_id=tenant, booking_id=booking_id, idempotency_key=key),
                actor=admin(tenant),
            ).status
        if name == "cancel":
            receipt = w.bookings.cancel(
                CancelBooking(
                    tenant_id=tenant,
                    booking_id=booking_id,
                    reason=REASON,
                    by_venue=args[1],
                    idempotency_key=key,
                ),
                actor=admin(tenant),
            )
            return (receipt.status, receipt.credits_refunded, receipt.credits_forfeited)
        if name == "attend":
            return w.bookings.mark_attendance(
                MarkAttendance(
                    tenant_id=tenant, booking_id=booking_id, attended=args[1], idempotency_key=key
                ),
                actor=admin(tenant),
            ).status
        refund = w.bookings.partial_refund(
            GrantPartialRefund(
                tenant_id=tenant,
                booking_id=booking_id,
                credits=args[1],
                reason="shorter class",
                idempotency_key=key,
            ),
            actor=admin(tenant),
        )
        return (refund.credits_refunded, refund.total_refunded)

    def state(self) -> object:
        """Everything observable, with ids replaced by creation order."""
        order = {b: n for n, b in enumerate(self.bookings)}
        seats, bookings, entries = [], [], []
        for sid in self.sessions:
            session = self.world.get_session(sid)
            seats.append((session.booked_count, session.offered_count, session.is_cancelled))
            bookings.append(
                sorted(
                    (order[b.id], b.status, b.credits_refunded, b.refund_eligible)
                    for b in self.world.bookings_on(sid)
                )
            )
            entries.append(
                [(e.position, e.status, e.removed_reason) for e in self.world.entries_on(sid)]
            )
        balances = [
            (v.balance, v.held, v.available, v.used, v.refunded, v.forfeited)
            for v in (self.world.balance(parent, T0.date()) for parent, _ in self.families)
        ]
        return seats, bookings, entries, balances


def _refused(outcome: object) -> bool:
    return isinstance(outcome, tuple) and outcome[:1] == ("refused",)


def differential(postgres: Callable[[], PostgresDatabase]) -> Any:
    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(st.lists(commands, min_size=1, max_size=25))
    def check(sequence: list[tuple[Any, ...]]) -> None:
        memory, pg = Runner(MemoryDatabase()), Runner(postgres())
        for command in sequence:
            outcome = memory.run(command)
            event(f"{command[0]}: {outcome[1] if _refused(outcome) else 'done'}")
            assert outcome == pg.run(command), command
        assert memory.state() == pg.state()

    return check


def test_memory_and_postgres_agree_on_random_command_sequences(
    postgres_database: PostgresDatabase,
) -> None:
    differential(lambda: postgres_database)()
