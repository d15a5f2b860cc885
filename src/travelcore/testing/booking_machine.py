"""A hypothesis state machine over catalog + ledger + bookings + waitlist, for any database.

``booking_machine(make_database)`` returns a ``RuleBasedStateMachine`` subclass; run its
``TestCase`` with the settings you want. Every command goes to the real services and to
the independent :class:`~travelcore.testing.booking_model.Model`; they must agree on the
outcome (success, or exactly which error) and on the resulting state. After every step the
invariants are checked on the real state: allowed transitions only, final states final,
seats (pending + confirmed + outstanding offers <= capacity), FIFO offers made at most
once per entry and as many as free seats allow, and the ledger (balance == sum of entries,
available >= 0, refunds <= debits).
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import event
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from travelcore.booking import (
    ACTIVE_STATUSES,
    TRANSITIONS,
    BookGroup,
    BookingStatus,
    BookSession,
    CancelBooking,
    CancellationReason,
    CancelSession,
    CompleteSession,
    ConfirmBooking,
    EntryStatus,
    GrantPartialRefund,
    JoinWaitlist,
    LeaveWaitlist,
    MarkAttendance,
    PromoteWaitlist,
    RespondToOffer,
)
from travelcore.kernel import ManualClock, TravelcoreError
from travelcore.ledger import EntryType
from travelcore.testing.actors import admin, job
from travelcore.testing.booking_model import Model, Refused
from travelcore.testing.world import Database, World

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
#: (hours from T0 to the start, capacity, credits per seat)
SESSIONS = [(50, 1, 5), (80, 2, 5), (120, 2, 3)]
#: (credits, birth dates of the children)
FAMILIES = [
    (12, (date(2016, 1, 1), date(2018, 1, 1))),
    (25, (date(2017, 6, 1), date(2019, 6, 1))),
    (6, (date(2015, 1, 1), date(2024, 1, 1))),  # the second child is too young
]
HORIZON = datetime(2026, 3, 25, tzinfo=UTC)
STEPS = [
    timedelta(minutes=30),
    timedelta(hours=3),
    timedelta(hours=4),
    timedelta(hours=13),
    timedelta(days=1),
]
REASON = CancellationReason.SCHEDULE_CONFLICT
pick = st.sampled_from(range(12))


def booking_machine(make_database: Callable[[], Database]) -> type[RuleBasedStateMachine]:
    class BookingMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.clock = ManualClock(T0)
            self.world = World(make_database(), self.clock)
            self.model = Model()
            self.model.now = T0
            self.sessions = []
            for hours, capacity, credits in SESSIONS:
                sid = self.world.session(
                    starts_in=timedelta(hours=hours),
                    capacity=capacity,
                    credits=credits,
                    timezone="UTC",
                )
                real = self.world.get_session(sid)
                self.model.sessions[sid] = {
                    "capacity": capacity,
                    "credits": credits,
                    "start": real.starts_at,
                    "end": real.ends_at,
                    "ages": (4, 12),
                    "cancelled": False,
                    "completed": False,
                }
                self.sessions.append(sid)
            self.families: list[tuple[Any, list[Any]]] = []
            for credits, born in FAMILIES:
                parent, children = self.world.family(credits=credits, born=born)
                self.families.append((parent, children))
                self.model.wallets[parent] = {"balance": credits, "held": 0}
                for child, day in zip(children, born, strict=True):
                    self.model.ages[child] = _age(day, date(2026, 3, 5))
                    self.model.parents[child] = parent
            self.seen_status: dict[Any, BookingStatus] = {}
            self.seen_offer: dict[Any, datetime] = {}
            self.removed: set[Any] = set()
            self.last: Callable[[], Any] | None = None
            self.last_result: Any = None

        # -- plumbing ----------------------------------------------------------------------

        def _key(self) -> str:
            return self.world.key()

        def run(
            self,
            real: Callable[[], Any],
            model: Callable[[Model, Any], object],
            label: str = "",
            retryable: bool = True,
        ) -> Any:
            """Run ``real`` and ``model`` (on a copy, given the real result) and demand the
            same outcome; keep the copy on success or when the model says so."""
            label = label or sys._getframe(1).f_code.co_name
            try:
                result, error = real(), None
            except TravelcoreError as exc:
                result, error = None, exc
            trial = copy.deepcopy(self.model)
            try:
                model(trial, result)
            except Refused as refused:
                outcome: Refused | None = refused
            else:
                outcome = None
            if outcome is not None:
                event(f"{label} refused: {outcome.error.__name__}")
                if error is None:
                    raise AssertionError(f"model refused with {outcome}, services accepted")
                if type(error) is not outcome.error:
                    raise AssertionError(f"expected {outcome}, got {error!r}")
                if outcome.commit:
                    self.model = trial
                return None
            event(f"{label} accepted")
            assert error is None, f"services refused with {error!r}, model accepted"
            self.model = trial
            if retryable:
                self.last, self.last_result = real, result
            return result

        def booking_ids(self) -> list[Any]:
            return sorted(self.model.bookings, key=str)

        def entry_ids(self) -> list[Any]:
            return sorted(self.model.entries, key=str)

        # -- rules -------------------------------------------------------------------------

        @rule(f=pick, c=pick, s=pick)
        def book(self, f: int, c: int, s: int) -> None:
            parent, children = self.families[f % len(self.families)]
            child, sid = children[c % len(children)], self.sessions[s % len(self.sessions)]
            command = BookSession(
                tenant_id=self.world.tenant,
                session_id=sid,
                child_id=child,
                parent_id=parent,
                idempotency_key=self._key(),
            )
            self.run(
                lambda: self.world.bookings.book(command, actor=admin(command.tenant_id)),
                lambda m, r: m.book(sid, [child], parent, [r.booking_id if r else None]),
            )

        @rule(f=pick, s=pick)
        def book_siblings(self, f: int, s: int) -> None:
            parent, children = self.families[f % len(self.families)]
            sid = self.sessions[s % len(self.sessions)]
            before = (len(self.model.bookings), copy.deepcopy(self.model.wallets))
            command = BookGroup(
                tenant_id=self.world.tenant,
                session_id=sid,
                child_ids=tuple(children),
                parent_id=parent,
                idempotency_key=self._key(),
            )
            result = self.run(
                lambda: self.world.bookings.book_group(command, actor=admin(command.tenant_id)),
                lambda m, r: m.book(
                    sid, children, parent, [b.booking_id for b in r.bookings] if r else [None] * 2
                ),
            )
            if result is None:  # group atomicity: nothing at all was written
                assert (len(self.model.bookings), self.model.wallets) == before
                assert len(self._real_bookings()) == before[0]
            else:
                assert len(result.bookings) == len(children)

        @rule(b=pick)
        def confirm(self, b: int) -> None:
            if not self.model.bookings:
                return
            bid = self.booking_ids()[b % len(self.model.bookings)]
            command = ConfirmBooking(
                tenant_id=self.world.tenant, booking_id=bid, idempotency_key=self._key()
            )
            self.run(
                lambda: self.world.bookings.confirm(command, actor=admin(command.tenant_id)),
                lambda m, r: m.confirm(bid),
            )

        @rule(b=pick, by_venue=st.booleans())
        def cancel(self, b: int, by_venue: bool) -> None:
            if not self.model.bookings:
                return
            live = [
                x
                for x in self.booking_ids()
                if self.model.bookings[x]["status"] in ("pending", "confirmed")
            ] or self.booking_ids()
            bid = live[b % len(live)]
            command = CancelBooking(
                tenant_id=self.world.tenant,
                booking_id=bid,
                reason=REASON,
                by_venue=by_venue,
                idempotency_key=self._key(),
            )
            start = self.model.sessions[self.model.bookings[bid]["session"]]["start"]
            lead = start - self.clock.now()
            result = self.run(
                lambda: self.world.bookings.cancel(command, actor=admin(command.tenant_id)),
                lambda m, r: m.cancel(bid, by_venue),
            )
            if result is not None:  # the 48 h rule, on UTC instants
                assert result.refund_eligible == (by_venue or lead >= timedelta(hours=48))

        @rule(b=pick, attended=st.booleans())
        def attendance(self, b: int, attended: bool) -> None:
            if not self.model.bookings:
                return
            bid = self.booking_ids()[b % len(self.model.bookings)]
            command = MarkAttendance(
                tenant_id=self.world.tenant,
                booking_id=bid,
                attended=attended,
                idempotency_key=self._key(),
            )
            self.run(
                lambda: self.world.bookings.mark_attendance(
                    command, actor=admin(command.tenant_id)
                ),
                lambda m, r: m.attend(bid, attended),
            )

        @rule(b=pick, credits=st.integers(min_value=1, max_value=6))
        def partial_refund(self, b: int, credits: int) -> None:
            if not self.model.bookings:
                return
            bid = self.booking_ids()[b % len(self.model.bookings)]
            command = GrantPartialRefund(
                tenant_id=self.world.tenant,
                booking_id=bid,
                credits=credits,
                reason="activity shortened",
                idempotency_key=self._key(),
            )
            self.run(
                lambda: self.world.bookings.partial_refund(command, actor=admin(command.tenant_id)),
                lambda m, r: m.partial_refund(bid, credits),
            )

        @rule(s=pick, rarely=st.integers(min_value=0, max_value=9))
        def cancel_session(self, s: int, rarely: int) -> None:
            if rarely:  # a venue cancels a whole session only now and then
                return
            sid = self.sessions[s % len(self.sessions)]
            command = CancelSession(
                tenant_id=self.world.tenant,
                session_id=sid,
                reason="venue closed",
                idempotency_key=self._key(),
            )
            self.run(
                lambda: self.world.bookings.cancel_session(command, actor=admin(command.tenant_id)),
                lambda m, r: m.cancel_session(sid),
            )

        @rule(s=pick)
        def complete_session(self, s: int) -> None:
            sid = self.sessions[s % len(self.sessions)]
            command = CompleteSession(
                tenant_id=self.world.tenant, session_id=sid, idempotency_key=self._key()
            )
            self.run(
                lambda: self.world.bookings.complete_session(
                    command, actor=admin(command.tenant_id)
                ),
                lambda m, r: m.complete_session(sid),
            )

        @rule(f=pick, c=pick, s=pick)
        def join_waitlist(self, f: int, c: int, s: int) -> None:
            parent, children = self.families[f % len(self.families)]
            full = [x for x in self.sessions if self.model.free(x) == 0] or self.sessions
            child, sid = children[c % len(children)], full[s % len(full)]
            command = JoinWaitlist(
                tenant_id=self.world.tenant,
                session_id=sid,
                child_id=child,
                parent_id=parent,
                idempotency_key=self._key(),
            )
            self.run(
                lambda: self.world.waitlist.join(command, actor=admin(command.tenant_id)),
                lambda m, r: m.join(sid, child, parent, r.entry_id if r else None),
            )

        @rule(s=pick)
        def promote(self, s: int) -> None:
            sid = self.sessions[s % len(self.sessions)]
            waiting = [
                e for e in self.model.queue(sid) if self.model.entries[e]["status"] == "waiting"
            ]
            command = PromoteWaitlist(
                tenant_id=self.world.tenant, session_id=sid, idempotency_key=self._key()
            )
            result = self.run(
                lambda: self.world.waitlist.promote(command, actor=admin(command.tenant_id)),
                lambda m, r: m.promote(sid) and None,
            )
            session = self.model.sessions[sid]
            if not (
                session["cancelled"] or session["completed"] or self.clock.now() >= session["start"]
            ):
                # offers made == min(seats free for offering, entries waiting before)
                free = self.model.free(sid) + len(result.offered)
                assert len(result.offered) == min(free, len(waiting))

        @rule(e=pick, accept=st.booleans())
        def respond(self, e: int, accept: bool) -> None:
            if not self.model.entries:
                return
            offered = [x for x in self.entry_ids() if self.model.entries[x]["status"] == "offered"]
            eid = (offered or self.entry_ids())[e % len(offered or self.model.entries)]
            command = RespondToOffer(
                tenant_id=self.world.tenant, entry_id=eid, idempotency_key=self._key()
            )
            if accept:
                self.run(
                    lambda: self.world.waitlist.accept(command, actor=admin(command.tenant_id)),
                    lambda m, r: m.accept(eid, r.booking_id if r else None),
                )
            else:
                self.run(
                    lambda: self.world.waitlist.decline(command, actor=admin(command.tenant_id)),
                    lambda m, r: m.decline(eid),
                )

        @rule(e=pick)
        def leave_waitlist(self, e: int) -> None:
            if not self.model.entries:
                return
            eid = self.entry_ids()[e % len(self.model.entries)]
            command = LeaveWaitlist(
                tenant_id=self.world.tenant, entry_id=eid, idempotency_key=self._key()
            )
            self.run(
                lambda: self.world.waitlist.leave(command, actor=admin(command.tenant_id)),
                lambda m, r: m.leave(eid),
            )

        @rule()
        def sweep(self) -> None:
            self.world.waitlist.expire_offers(self.world.tenant, actor=job(self.world.tenant))
            now = self.clock.now()
            for sid in self.sessions:
                if any(now >= self.model.entries[e]["expires"] for e in self.model.offered(sid)):
                    self.model.promote(sid)

        @rule(step=st.sampled_from(STEPS))
        def advance(self, step: timedelta) -> None:
            """Move time on, within the billing period of the families' credits."""
            if self.clock.now() + step < HORIZON:
                self.model.now = self.clock.advance(step)

        @rule(s=pick, nudge=st.sampled_from([-1, 0, 1]))
        def approach_the_window(self, s: int, nudge: int) -> None:
            """Jump to 48 h before a start, give or take a microsecond."""
            start = self.model.sessions[self.sessions[s % len(self.sessions)]]["start"]
            target = start - timedelta(hours=48) + timedelta(microseconds=nudge)
            if target > self.clock.now():
                self.clock.set(target)
                self.model.now = target

        @rule()
        def retry_last(self) -> None:
            """The last accepted command again, same key: same result, nothing written."""
            if self.last is None:
                return
            before = self._snapshot()
            assert self.last() == self.last_result
            assert self._snapshot() == before

        # -- invariants --------------------------------------------------------------------

        def _real_bookings(self) -> list[Any]:
            with self.world.db(self.world.tenant) as uow:
                return [b for sid in self.sessions for b in uow.bookings.for_session(sid)]

        def _snapshot(self) -> Any:
            with self.world.db(self.world.tenant) as uow:
                sessions = [uow.sessions.get(s) for s in self.sessions]
                bookings = [b for s in self.sessions for b in uow.bookings.for_session(s)]
                entries = [e for s in self.sessions for e in uow.waitlist.for_session(s)]
                balances = [uow.credits.find(p, T0.date()) for p, _ in self.families]
            return sessions, bookings, entries, [b.entries if b else None for b in balances]

        @invariant()
        def invariants_hold(self) -> None:
            sessions, bookings, entries, _ = self._snapshot()
            balances = {p: self.world.balance(p, T0.date()) for p, _ in self.families}
            self.agrees_with_the_model(sessions, bookings, entries, balances)
            self.transitions_are_allowed_and_final_states_final(bookings)
            self.seats_never_exceed_capacity(sessions, bookings, entries)
            self.offers_are_fifo_once_each_and_fill_free_seats(sessions, entries)
            self.ledger_balances_hold(balances)

        def agrees_with_the_model(
            self, sessions: Any, bookings: Any, entries: Any, balances: Any
        ) -> None:
            assert {b.id: b.status.value for b in bookings} == {
                bid: b["status"] for bid, b in self.model.bookings.items()
            }
            assert {e.id: (e.status.value, e.removed_reason) for e in entries} == {
                eid: (e["status"], e["reason"]) for eid, e in self.model.entries.items()
            }
            for session in sessions:
                model = self.model.sessions[session.id]
                assert (session.is_cancelled, session.is_completed) == (
                    model["cancelled"],
                    model["completed"],
                )
                assert session.free_seats == self.model.free(session.id)
            for parent, _ in self.families:
                view = balances[parent]
                wallet = self.model.wallets[parent]
                assert (view.balance, view.held) == (wallet["balance"], wallet["held"])

        def transitions_are_allowed_and_final_states_final(self, bookings: Any) -> None:
            for booking in bookings:
                before = self.seen_status.get(booking.id)
                if before is not None and before is not booking.status:
                    assert booking.status in TRANSITIONS[before]
                self.seen_status[booking.id] = booking.status

        def seats_never_exceed_capacity(self, sessions: Any, bookings: Any, entries: Any) -> None:
            for session in sessions:
                live = sum(
                    1
                    for b in bookings
                    if b.session_id == session.id and b.status in ACTIVE_STATUSES
                )
                offers = [
                    e
                    for e in entries
                    if e.session_id == session.id and e.status is EntryStatus.OFFERED
                ]
                assert live + len(offers) <= session.total_capacity
                assert session.offered_count == len(offers)
                assert session.booked_count == sum(
                    1
                    for b in bookings
                    if b.session_id == session.id
                    and b.status
                    not in (BookingStatus.CANCELLED_PARENT, BookingStatus.CANCELLED_VENUE)
                )
                assert session.free_seats >= 0

        def offers_are_fifo_once_each_and_fill_free_seats(
            self, sessions: Any, entries: Any
        ) -> None:
            now = self.clock.now()
            for session in sessions:
                queue = [e for e in entries if e.session_id == session.id]
                for entry in queue:
                    if entry.spot_offered_at is not None:
                        first = self.seen_offer.setdefault(entry.id, entry.spot_offered_at)
                        assert first == entry.spot_offered_at  # offered at most once
                        for earlier in queue:
                            if earlier.position < entry.position:
                                assert earlier.spot_offered_at is not None or (
                                    earlier.removed_at is not None
                                    and earlier.removed_at <= entry.spot_offered_at
                                )
                    if entry.id in self.removed:
                        assert not entry.is_active
                    if not entry.is_active:
                        self.removed.add(entry.id)
                waiting = [e for e in queue if e.status is EntryStatus.WAITING]
                is_open = not (
                    session.is_cancelled or session.is_completed or now >= session.starts_at
                )
                if is_open and waiting:
                    assert session.free_seats == 0

        def ledger_balances_hold(self, balances: Any) -> None:
            for view in balances.values():
                running = 0
                for entry in view.entries:
                    running += entry.amount
                    assert entry.balance_after == running
                assert view.balance == running
                assert view.available >= 0
                assert view.balance == view.allocated - view.used + view.refunded
                debited: dict[Any, int] = {}
                refunded: dict[Any, int] = {}
                for entry in view.entries:
                    if entry.entry_type is EntryType.BOOKING_DEBIT:
                        debited[entry.booking_id] = debited.get(entry.booking_id, 0) - entry.amount
                    if entry.entry_type in (EntryType.REFUND_CREDIT, EntryType.PARTIAL_REFUND):
                        refunded[entry.booking_id] = (
                            refunded.get(entry.booking_id, 0) + entry.amount
                        )
                for booking_id, credits in refunded.items():
                    assert credits <= debited.get(booking_id, 0)

    return BookingMachine


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
