"""Late refunds: a venue that cancels after the debit's billing period has closed refunds into
the parent's current period, capped by what the booking debited across periods; on the memory
adapter and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from travelcore.booking import (
    BookingReceipt,
    BookSession,
    CancelBooking,
    CancellationReason,
    CancelSession,
    ConfirmBooking,
    GrantPartialRefund,
)
from travelcore.catalog import SessionId
from travelcore.kernel import Conflict, ManualClock, UserId
from travelcore.ledger import AllocateCredits, EntryType, Refund
from travelcore.testing.actors import admin, job
from travelcore.testing.world import World
from travelcore_adapters.memory import MemoryDatabase

APRIL_2 = datetime(2026, 4, 2, 9, tzinfo=UTC)
APRIL_SESSION = datetime(2026, 4, 3, 15, tzinfo=UTC)


@pytest.fixture(params=["memory", "postgres"])
def world(request: pytest.FixtureRequest, clock: ManualClock) -> World:
    if request.param == "memory":
        return World(MemoryDatabase(), clock)
    return World(request.getfixturevalue("postgres_database"), clock)


def booked_in_march(world: World, credits: int = 20) -> tuple[UserId, SessionId, BookingReceipt]:
    """A parent with ``credits`` in March who booked (and confirmed) an April session."""
    parent, [child] = world.family(credits=credits)
    session_id = world.session(starts_in=APRIL_SESSION - world.clock.now())
    receipt = world.bookings.book(
        BookSession(
            tenant_id=world.tenant,
            session_id=session_id,
            child_id=child,
            parent_id=parent,
            idempotency_key=world.key(),
        ),
        actor=admin(world.tenant),
    )
    world.bookings.confirm(
        ConfirmBooking(
            tenant_id=world.tenant, booking_id=receipt.booking_id, idempotency_key=world.key()
        ),
        actor=admin(world.tenant),
    )
    return parent, session_id, receipt


def close_march(world: World) -> None:
    world.clock.set(APRIL_2)
    assert world.ledger.close_periods(world.tenant, actor=job(world.tenant)) >= 1


def cancel_as_venue(world: World, receipt: BookingReceipt) -> int:
    return world.bookings.cancel(
        CancelBooking(
            tenant_id=world.tenant,
            booking_id=receipt.booking_id,
            by_venue=True,
            reason=CancellationReason.VENUE_CANCELLED,
            idempotency_key=world.key(),
        ),
        actor=admin(world.tenant),
    ).credits_refunded


def test_a_late_venue_cancellation_refunds_into_the_current_period(world: World) -> None:
    parent, _, receipt = booked_in_march(world)
    march = world.balance(parent)
    close_march(world)
    assert cancel_as_venue(world, receipt) == 5
    april = world.balance(parent)
    assert april.balance_id != march.balance_id
    assert (april.available, april.refunded) == (5, 5)
    (entry,) = april.entries
    assert (entry.entry_type, entry.booking_id) == (
        EntryType.REFUND_CREDIT,
        receipt.booking_id,
    )
    closed = world.ledger.balance(world.tenant, march.balance_id, actor=admin(world.tenant))
    assert (closed.used, closed.expired, closed.refunded) == (5, 15, 0)


def test_the_cap_counts_refunds_of_every_period(world: World) -> None:
    parent, _, receipt = booked_in_march(world)
    booking_id = receipt.booking_id
    world.bookings.partial_refund(
        GrantPartialRefund(
            tenant_id=world.tenant,
            booking_id=booking_id,
            credits=2,
            reason="shorter class",
            idempotency_key=world.key(),
        ),
        actor=admin(world.tenant),
    )
    march = world.balance(parent)
    close_march(world)
    world.ledger.allocate_credits(  # the parent's April credits
        AllocateCredits(
            tenant_id=world.tenant,
            user_id=parent,
            day=world.clock.now().date(),
            credits=10,
            idempotency_key=world.key(),
        ),
        actor=admin(world.tenant),
    )
    assert cancel_as_venue(world, receipt) == 3
    april = world.balance(parent)
    assert (april.available, april.refunded) == (13, 3)
    with pytest.raises(Conflict):  # nothing is left to refund, in any period
        world.ledger.refund(
            Refund(
                tenant_id=world.tenant,
                balance_id=march.balance_id,
                booking_id=booking_id,
                idempotency_key=world.key(),
            ),
            actor=admin(world.tenant),
        )


def test_a_late_session_cancellation_refunds_every_booking_into_its_parents_period(
    world: World,
) -> None:
    first, session_id, _ = booked_in_march(world)
    close_march(world)
    receipt = world.bookings.cancel_session(
        CancelSession(
            tenant_id=world.tenant,
            session_id=session_id,
            reason="flooded",
            idempotency_key=world.key(),
        ),
        actor=admin(world.tenant),
    )
    assert receipt.credits_refunded == 5
    assert world.balance(first).available == 5
