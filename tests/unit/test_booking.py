"""Booking rules: checks, states, credits, cancellation window, group atomicity."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from itertools import product

import attrs
import pytest

from travelcore.booking import (
    TRANSITIONS,
    AgeNotEligible,
    AlreadyBooked,
    BookAgain,
    BookGroup,
    Booking,
    BookingSource,
    BookingStatus,
    BookingStatusChanged,
    BookSession,
    CancelBooking,
    CancellationReason,
    CancelSession,
    CompensateActivityChange,
    CompleteSession,
    ConfirmBooking,
    GrantPartialRefund,
    MarkAttendance,
    new_confirmation_code,
)
from travelcore.catalog import SessionNotBookable, VenueNotBookable
from travelcore.kernel import (
    CapacityExceeded,
    EventBus,
    IdempotencyConflict,
    InsufficientCredits,
    InvalidTransition,
    ManualClock,
    RuleViolation,
    TenantId,
    UserId,
    new_uuid,
)
from travelcore.ledger import BalanceId, HoldId, RefundExceedsDebit
from travelcore.testing.actors import admin
from travelcore.testing.world import World
from travelcore_adapters.memory import MemoryDatabase

REASON = CancellationReason.SCHEDULE_CONFLICT


@pytest.fixture
def bus() -> EventBus:
    return EventBus()


@pytest.fixture
def world(clock: ManualClock, bus: EventBus) -> World:
    return World(MemoryDatabase(bus), clock)


def book(world: World, session_id, parent, child, **extra) -> object:
    return world.bookings.book(
        BookSession(
            tenant_id=world.tenant,
            session_id=session_id,
            child_id=child,
            parent_id=parent,
            idempotency_key=world.key(),
            **extra,
        ),
        actor=admin(world.tenant),
    )


def cancel(world: World, booking_id, by_venue: bool = False):
    return world.bookings.cancel(
        CancelBooking(
            tenant_id=world.tenant,
            booking_id=booking_id,
            reason=REASON,
            by_venue=by_venue,
            idempotency_key=world.key(),
        ),
        actor=admin(world.tenant),
    )


def confirm(world: World, booking_id) -> None:
    world.bookings.confirm(
        ConfirmBooking(tenant_id=world.tenant, booking_id=booking_id, idempotency_key=world.key()),
        actor=admin(world.tenant),
    )


# -- the state machine ---------------------------------------------------------------------


def _booking() -> Booking:
    return Booking.place(
        TenantId(new_uuid()),
        booking_id=Booking.new_id(),
        session_id=new_uuid(),
        child_id=new_uuid(),
        parent_id=UserId(new_uuid()),
        credits=5,
        confirmation_code="TC-2345-6789",
        balance_id=BalanceId(new_uuid()),
        hold_id=HoldId(new_uuid()),
        at=datetime(2026, 3, 1, tzinfo=UTC),
    )


@pytest.mark.parametrize(("start", "target"), list(product(BookingStatus, BookingStatus)))
def test_only_the_documented_transitions_are_allowed(
    start: BookingStatus, target: BookingStatus
) -> None:
    booking = _booking()
    booking.status = start
    at = datetime(2026, 3, 2, tzinfo=UTC)
    allowed = {
        (BookingStatus.PENDING, BookingStatus.CONFIRMED),
        (BookingStatus.CONFIRMED, BookingStatus.COMPLETED),
        (BookingStatus.PENDING, BookingStatus.CANCELLED_PARENT),
        (BookingStatus.PENDING, BookingStatus.CANCELLED_VENUE),
        (BookingStatus.CONFIRMED, BookingStatus.CANCELLED_PARENT),
        (BookingStatus.CONFIRMED, BookingStatus.CANCELLED_VENUE),
        (BookingStatus.CONFIRMED, BookingStatus.NO_SHOW),
    }
    assert ((start, target) in allowed) == (target in TRANSITIONS[start])

    def move() -> None:
        if target is BookingStatus.CONFIRMED:
            booking.confirm(at)
        elif target in (BookingStatus.COMPLETED, BookingStatus.NO_SHOW):
            booking.mark_attendance(target is BookingStatus.COMPLETED, at)
        elif target is BookingStatus.PENDING:
            booking.require(target)
        else:
            booking.cancel(target, at, refund_eligible=True, reason=REASON)

    if (start, target) in allowed:
        move()
        assert booking.status is target
    else:
        with pytest.raises(InvalidTransition):
            move()
        assert booking.status is start


def test_terminal_states_are_final() -> None:
    finals = {s for s, targets in TRANSITIONS.items() if not targets}
    assert finals == {
        BookingStatus.COMPLETED,
        BookingStatus.CANCELLED_PARENT,
        BookingStatus.CANCELLED_VENUE,
        BookingStatus.NO_SHOW,
    }


def test_confirmation_codes_are_human_readable() -> None:
    codes = {new_confirmation_code() for _ in range(500)}
    assert len(codes) == 500
    for code in codes:
        assert re.fullmatch(r"TC-[2-9A-HJ-KMNP-Z]{4}-[2-9A-HJ-KMNP-Z]{4}", code)
        assert not set(code[3:]) & set("01ILO")


# -- booking -------------------------------------------------------------------------------


def test_booking_takes_a_seat_and_holds_credits_then_confirmation_debits(
    world: World, bus: EventBus
) -> None:
    parent, [child] = world.family(credits=20)
    session = world.session(credits=5)
    receipt = book(world, session, parent, child)
    assert receipt.status is BookingStatus.PENDING
    assert world.get_session(session).booked_count == 1
    view = world.balance(parent)
    assert (view.balance, view.held, view.available) == (20, 5, 15)

    confirm(world, receipt.booking_id)
    view = world.balance(parent)
    assert (view.balance, view.held, view.available, view.used) == (15, 0, 15, 5)
    changes = [e for e in bus.published if isinstance(e, BookingStatusChanged)]
    assert [(e.from_status, e.to_status) for e in changes] == [
        (None, BookingStatus.PENDING),
        (BookingStatus.PENDING, BookingStatus.CONFIRMED),
    ]


def test_a_cancelled_session_is_not_bookable(world: World) -> None:
    parent, [child] = world.family()
    session = world.session()
    world.bookings.cancel_session(
        CancelSession(
            tenant_id=world.tenant, session_id=session, reason="flood", idempotency_key=world.key()
        ),
        actor=admin(world.tenant),
    )
    with pytest.raises(SessionNotBookable):
        book(world, session, parent, child)


def test_a_started_session_is_not_bookable(world: World, clock: ManualClock) -> None:
    parent, [child] = world.family()
    session = world.session(starts_in=timedelta(hours=1))
    clock.advance(timedelta(hours=1))
    with pytest.raises(SessionNotBookable):
        book(world, session, parent, child)


def test_an_inactive_venue_is_not_bookable(world: World) -> None:
    parent, [child] = world.family()
    session = world.session(active_venue=False)
    with pytest.raises(VenueNotBookable):
        book(world, session, parent, child)


def test_a_venue_whose_insurance_lapses_before_the_session_is_not_bookable(
    world: World,
) -> None:
    parent, [child] = world.family()
    session = world.session()
    with world.db(world.tenant) as uow:
        venue = uow.venues.get(uow.sessions.get(session).venue_id)
        venue.insurance_expiry_date = world.clock.now().date()
        uow.venues.save(venue)
        uow.commit()
    with pytest.raises(VenueNotBookable):
        book(world, session, parent, child)
    assert world.get_session(session).booked_count == 0


@pytest.mark.parametrize(
    ("born", "ok"),
    [
        (date(2022, 3, 9), True),  # turns 4 on the session date
        (date(2022, 3, 10), False),  # turns 4 the day after
        (date(2013, 3, 10), True),  # still 12
        (date(2013, 3, 9), False),  # turns 13 on the session date
    ],
)
def test_age_is_checked_on_the_session_date(world: World, born: date, ok: bool) -> None:
    parent, [child] = world.family(born=[born])
    session = world.session(ages=(4, 12), local=(date(2026, 3, 9), time(10)))
    if ok:
        book(world, session, parent, child)
    else:
        with pytest.raises(AgeNotEligible):
            book(world, session, parent, child)


def test_a_child_is_booked_once_per_session(world: World) -> None:
    parent, [child] = world.family()
    session = world.session()
    book(world, session, parent, child)
    with pytest.raises(AlreadyBooked):
        book(world, session, parent, child)


def test_capacity_is_enforced(world: World) -> None:
    session = world.session(capacity=1)
    parent, [first, second] = world.family(born=[date(2018, 1, 1), date(2019, 1, 1)])
    book(world, session, parent, first)
    with pytest.raises(CapacityExceeded):
        book(world, session, parent, second)
    assert world.balance(parent).held == 5


def test_credits_are_enforced_and_nothing_is_written(world: World) -> None:
    parent, [child] = world.family(credits=4)
    session = world.session(credits=5)
    with pytest.raises(InsufficientCredits):
        book(world, session, parent, child)
    assert world.get_session(session).booked_count == 0
    assert world.balance(parent).available == 4
    assert world.bookings_on(session) == []


def test_a_parent_without_credits_this_period_cannot_book(world: World) -> None:
    parent, [child] = world.family(credits=0)
    with pytest.raises(InsufficientCredits):
        book(world, world.session(), parent, child)


# -- group bookings ------------------------------------------------------------------------

SIBLINGS = [date(2017, 1, 1), date(2018, 1, 1), date(2019, 1, 1)]


def _group(world: World, session, parent, children):
    return world.bookings.book_group(
        BookGroup(
            tenant_id=world.tenant,
            session_id=session,
            child_ids=tuple(children),
            parent_id=parent,
            idempotency_key=world.key(),
        ),
        actor=admin(world.tenant),
    )


def test_group_booking_seats_every_sibling(world: World) -> None:
    parent, children = world.family(credits=15, born=SIBLINGS)
    session = world.session(capacity=3, credits=5)
    receipt = _group(world, session, parent, children)
    assert len(receipt.bookings) == 3
    assert {b.group_booking_id for b in receipt.bookings} == {receipt.group_booking_id}
    assert world.get_session(session).booked_count == 3
    assert world.balance(parent).available == 0


def test_group_booking_short_by_one_seat_books_nobody(world: World) -> None:
    parent, children = world.family(credits=100, born=SIBLINGS)
    session = world.session(capacity=2)
    with pytest.raises(CapacityExceeded):
        _group(world, session, parent, children)
    assert world.get_session(session).booked_count == 0
    assert world.bookings_on(session) == []
    assert world.balance(parent).available == 100


def test_group_booking_short_by_one_credit_books_nobody(world: World) -> None:
    parent, children = world.family(credits=14, born=SIBLINGS)
    session = world.session(capacity=10, credits=5)
    with pytest.raises(InsufficientCredits):
        _group(world, session, parent, children)
    assert world.get_session(session).booked_count == 0
    assert world.bookings_on(session) == []
    assert world.balance(parent).available == 14


# -- cancellation window -------------------------------------------------------------------

WINDOW = timedelta(hours=48)
MICRO = timedelta(microseconds=1)


@pytest.mark.parametrize("confirmed", [True, False])
@pytest.mark.parametrize(
    ("lead", "refunded"), [(WINDOW, True), (WINDOW + MICRO, True), (WINDOW - MICRO, False)]
)
def test_parent_cancellation_refunds_iff_48_hours_before_start(
    world: World, clock: ManualClock, lead: timedelta, refunded: bool, confirmed: bool
) -> None:
    parent, [child] = world.family(credits=20)
    session_id = world.session(starts_in=timedelta(days=5), credits=5)
    receipt = book(world, session_id, parent, child)
    if confirmed:
        confirm(world, receipt.booking_id)
    clock.set(world.get_session(session_id).starts_at - lead)
    result = cancel(world, receipt.booking_id)
    assert result.refund_eligible is refunded
    view = world.balance(parent)
    assert view.held == 0
    if refunded:
        assert view.available == 20
        assert result.credits_forfeited == 0
    else:
        assert view.available == 15
        assert view.forfeited == 5
        assert result.credits_forfeited == 5
    assert world.get_session(session_id).booked_count == 0


def test_the_window_is_measured_in_utc_across_a_dst_change(
    world: World, clock: ManualClock
) -> None:
    """Monday 9 March 2026 10:00 in New York is 14:00 UTC (EDT); clocks sprang forward on
    Sunday. Saturday 10:00 local (15:00 UTC, EST) is 48 wall-clock hours before but only 47
    real hours: no refund. Saturday 09:00 local (14:00 UTC) is 48 real hours: refund."""
    parent, [first, second] = world.family(born=[date(2018, 1, 1), date(2019, 1, 1)])
    session_id = world.session(local=(date(2026, 3, 9), time(10)))
    assert world.get_session(session_id).starts_at == datetime(2026, 3, 9, 14, tzinfo=UTC)
    late = book(world, session_id, parent, first)
    on_time = book(world, session_id, parent, second)
    clock.set(datetime(2026, 3, 7, 14, tzinfo=UTC))
    assert cancel(world, on_time.booking_id).refund_eligible
    clock.set(datetime(2026, 3, 7, 15, tzinfo=UTC))
    assert not cancel(world, late.booking_id).refund_eligible


def test_venue_cancellation_always_refunds_in_full(world: World, clock: ManualClock) -> None:
    parent, [child] = world.family(credits=20)
    session_id = world.session(starts_in=timedelta(hours=3))
    receipt = book(world, session_id, parent, child)
    confirm(world, receipt.booking_id)
    result = cancel(world, receipt.booking_id, by_venue=True)
    assert result.status is BookingStatus.CANCELLED_VENUE
    assert result.credits_refunded == 5
    assert world.balance(parent).available == 20


def test_cancelling_a_session_cancels_and_refunds_every_booking(
    world: World, bus: EventBus
) -> None:
    session_id = world.session(capacity=3)
    parent_a, [a] = world.family(credits=20)
    parent_b, [b] = world.family(credits=20)
    parent_c, [c] = world.family(credits=20)
    confirmed = book(world, session_id, parent_a, a)
    confirm(world, confirmed.booking_id)
    book(world, session_id, parent_b, b)
    done = book(world, session_id, parent_c, c)
    cancel(world, done.booking_id)
    receipt = world.bookings.cancel_session(
        CancelSession(
            tenant_id=world.tenant,
            session_id=session_id,
            reason="instructor ill",
            idempotency_key=world.key(),
        ),
        actor=admin(world.tenant),
    )
    assert len(receipt.cancelled_bookings) == 2
    assert receipt.credits_refunded == 5
    statuses = {b.status for b in world.bookings_on(session_id)}
    assert statuses == {BookingStatus.CANCELLED_VENUE, BookingStatus.CANCELLED_PARENT}
    for parent in (parent_a, parent_b, parent_c):
        view = world.balance(parent)
        assert (view.available, view.held) == (20, 0)
    assert world.get_session(session_id).is_cancelled
    assert world.get_session(session_id).booked_count == 0


# -- attendance and partial refunds --------------------------------------------------------


def _attend(world: World, booking_id, attended: bool):
    return world.bookings.mark_attendance(
        MarkAttendance(
            tenant_id=world.tenant,
            booking_id=booking_id,
            attended=attended,
            idempotency_key=world.key(),
        ),
        actor=admin(world.tenant),
    )


def test_no_show_forfeits_and_only_after_the_start(world: World, clock: ManualClock) -> None:
    parent, [child] = world.family(credits=20)
    session_id = world.session(starts_in=timedelta(days=1))
    receipt = book(world, session_id, parent, child)
    with pytest.raises(InvalidTransition):
        _attend(world, receipt.booking_id, False)
    confirm(world, receipt.booking_id)
    with pytest.raises(RuleViolation):
        _attend(world, receipt.booking_id, False)
    clock.advance(timedelta(days=1, minutes=5))
    assert _attend(world, receipt.booking_id, False).status is BookingStatus.NO_SHOW
    view = world.balance(parent)
    assert (view.available, view.forfeited) == (15, 5)
    with pytest.raises(InvalidTransition):
        cancel(world, receipt.booking_id, by_venue=True)


def test_completing_a_session_completes_its_confirmed_bookings(
    world: World, clock: ManualClock
) -> None:
    parent, [a, b] = world.family(born=[date(2018, 1, 1), date(2019, 1, 1)])
    session_id = world.session(starts_in=timedelta(days=1))
    first = book(world, session_id, parent, a)
    book(world, session_id, parent, b)
    confirm(world, first.booking_id)
    command = CompleteSession(
        tenant_id=world.tenant, session_id=session_id, idempotency_key=world.key()
    )
    with pytest.raises(RuleViolation):
        world.bookings.complete_session(command, actor=admin(command.tenant_id))
    clock.advance(timedelta(days=1, hours=2))
    assert world.bookings.complete_session(command, actor=admin(command.tenant_id)) == (
        first.booking_id,
    )
    assert world.booking(first.booking_id).status is BookingStatus.COMPLETED
    assert world.get_session(session_id).is_completed


def test_partial_refunds_are_capped_by_the_debit(world: World) -> None:
    parent, [child] = world.family(credits=20)
    session_id = world.session(credits=5)
    receipt = book(world, session_id, parent, child)

    def partial(credits: int, key: str):
        return world.bookings.partial_refund(
            GrantPartialRefund(
                tenant_id=world.tenant,
                booking_id=receipt.booking_id,
                credits=credits,
                reason="shorter class",
                idempotency_key=key,
            ),
            actor=admin(world.tenant),
        )

    with pytest.raises(RuleViolation):
        partial(2, "early")
    confirm(world, receipt.booking_id)
    assert partial(2, "p1").total_refunded == 2
    assert partial(2, "p1").total_refunded == 2  # the retry writes nothing
    with pytest.raises(RefundExceedsDebit):
        partial(4, "p2")
    assert cancel(world, receipt.booking_id, by_venue=True).credits_refunded == 3
    view = world.balance(parent)
    assert (view.available, view.refunded) == (20, 5)


# -- idempotency, codes, rebooking ---------------------------------------------------------


def test_a_retried_booking_returns_the_first_result(world: World) -> None:
    parent, [child] = world.family(credits=20)
    session_id = world.session()
    command = BookSession(
        tenant_id=world.tenant,
        session_id=session_id,
        child_id=child,
        parent_id=parent,
        idempotency_key="same",
    )
    assert world.bookings.book(command, actor=admin(command.tenant_id)) == world.bookings.book(
        command, actor=admin(command.tenant_id)
    )
    assert world.get_session(session_id).booked_count == 1
    with pytest.raises(IdempotencyConflict):
        world.bookings.book(
            attrs.evolve(command, source=BookingSource.SEARCH), actor=admin(world.tenant)
        )


def test_a_retried_cancellation_refunds_once(world: World) -> None:
    parent, [child] = world.family(credits=20)
    receipt = book(world, world.session(), parent, child)
    confirm(world, receipt.booking_id)
    command = CancelBooking(
        tenant_id=world.tenant,
        booking_id=receipt.booking_id,
        reason=REASON,
        idempotency_key="c",
    )
    assert world.bookings.cancel(command, actor=admin(command.tenant_id)) == world.bookings.cancel(
        command, actor=admin(command.tenant_id)
    )
    view = world.balance(parent)
    assert (view.available, view.refunded) == (20, 5)
    with pytest.raises(InvalidTransition):
        cancel(world, receipt.booking_id)


def test_confirmation_codes_are_unique_even_when_the_generator_repeats(
    clock: ManualClock,
) -> None:
    codes = iter(["TC-AAAA-AAAA", "TC-AAAA-AAAA", "TC-BBBB-BBBB"])
    world = World(MemoryDatabase(), clock, code_factory=lambda: next(codes))
    parent, [a, b] = world.family(born=[date(2018, 1, 1), date(2019, 1, 1)])
    session_id = world.session()
    first = book(world, session_id, parent, a)
    second = book(world, session_id, parent, b)
    assert (first.confirmation_code, second.confirmation_code) == (
        "TC-AAAA-AAAA",
        "TC-BBBB-BBBB",
    )
    assert (
        world.bookings.find_by_code(world.tenant, "TC-BBBB-BBBB", actor=admin(world.tenant)).id
        == second.booking_id
    )


def test_book_again_links_the_original(world: World) -> None:
    parent, [child] = world.family(credits=20)
    original = book(world, world.session(), parent, child)
    again = world.bookings.book_again(
        BookAgain(
            tenant_id=world.tenant,
            original_booking_id=original.booking_id,
            session_id=world.session(),
            idempotency_key=world.key(),
        ),
        actor=admin(world.tenant),
    )
    booking = world.booking(again.booking_id)
    assert booking.source is BookingSource.REBOOK
    assert booking.original_booking_id == original.booking_id
    assert booking.child_id == child


def test_an_activity_change_compensates_every_confirmed_upcoming_booking(world: World) -> None:
    parent, [a, b] = world.family(credits=30, born=[date(2018, 1, 1), date(2019, 1, 1)])
    session_id = world.session(credits=5)
    first = book(world, session_id, parent, a)
    book(world, session_id, parent, b)  # pending: nothing debited, nothing to give back
    confirm(world, first.booking_id)
    activity_id = world.get_session(session_id).activity_id
    command = CompensateActivityChange(
        tenant_id=world.tenant,
        activity_id=activity_id,
        credits=2,
        reason="no robots, only drawings",
        idempotency_key="change",
    )
    [receipt] = world.bookings.compensate_activity_change(command, actor=admin(command.tenant_id))
    assert (receipt.booking_id, receipt.credits_refunded) == (first.booking_id, 2)
    assert world.bookings.compensate_activity_change(command, actor=admin(command.tenant_id)) == (
        receipt,
    )
    again = world.bookings.compensate_activity_change(
        attrs.evolve(command, credits=9, idempotency_key="change-2"), actor=admin(world.tenant)
    )
    assert [r.credits_refunded for r in again] == [3]  # capped by what was left
    assert world.balance(parent).refunded == 5
