"""Waitlist rules: join when full, FIFO offers with a held seat, accept/decline/expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest

from travelcore.booking import (
    AlreadyOnWaitlist,
    BookingSource,
    BookingStatus,
    BookSession,
    CancelBooking,
    CancellationReason,
    CancelSession,
    EntryStatus,
    JoinWaitlist,
    LeaveWaitlist,
    OfferExpired,
    PromoteWaitlist,
    RemovalReason,
    RespondToOffer,
    SeatsAvailable,
    WaitlistChanged,
)
from travelcore.kernel import (
    CapacityExceeded,
    EventBus,
    InsufficientCredits,
    InvalidTransition,
    ManualClock,
)
from travelcore.testing.actors import admin, job
from travelcore.testing.world import World
from travelcore_adapters.memory import MemoryDatabase

OFFER = timedelta(hours=4)


@pytest.fixture
def bus() -> EventBus:
    return EventBus()


@pytest.fixture
def world(clock: ManualClock, bus: EventBus) -> World:
    return World(MemoryDatabase(bus), clock)


class Full:
    """A session of capacity 1, booked by ``holder``, with ``n`` children waiting."""

    def __init__(self, world: World, waiting: int = 3, credits: int = 20) -> None:
        self.world = world
        self.session = world.session(capacity=1, starts_in=timedelta(days=3))
        self.holder, [child] = world.family()
        self.held = world.bookings.book(
            BookSession(
                tenant_id=world.tenant,
                session_id=self.session,
                child_id=child,
                parent_id=self.holder,
                idempotency_key=world.key(),
            ),
            actor=admin(world.tenant),
        )
        self.families = [world.family(credits=credits) for _ in range(waiting)]
        self.entries = [
            world.waitlist.join(
                JoinWaitlist(
                    tenant_id=world.tenant,
                    session_id=self.session,
                    child_id=c,
                    parent_id=p,
                    idempotency_key=world.key(),
                ),
                actor=admin(world.tenant),
            )
            for p, [c] in self.families
        ]

    def free_seat(self) -> None:
        self.world.bookings.cancel(
            CancelBooking(
                tenant_id=self.world.tenant,
                booking_id=self.held.booking_id,
                reason=CancellationReason.CHILD_SICK,
                idempotency_key=self.world.key(),
            ),
            actor=admin(self.world.tenant),
        )

    def status(self) -> list[tuple[EntryStatus, RemovalReason | None]]:
        return [(e.status, e.removed_reason) for e in self.world.entries_on(self.session)]

    def respond(self, index: int, accept: bool):  # type: ignore[no-untyped-def]
        command = RespondToOffer(
            tenant_id=self.world.tenant,
            entry_id=self.entries[index].entry_id,
            idempotency_key=self.world.key(),
        )
        return (self.world.waitlist.accept if accept else self.world.waitlist.decline)(
            command, actor=admin(command.tenant_id)
        )


WAITING = (EntryStatus.WAITING, None)
OFFERED = (EntryStatus.OFFERED, None)


def test_joining_is_fifo_and_only_when_full(world: World) -> None:
    full = Full(world)
    assert [e.position for e in full.entries] == [1, 2, 3]
    assert full.status() == [WAITING] * 3
    open_session = world.session(capacity=2)
    parent, [child] = world.family()
    with pytest.raises(SeatsAvailable):
        world.waitlist.join(
            JoinWaitlist(
                tenant_id=world.tenant,
                session_id=open_session,
                child_id=child,
                parent_id=parent,
                idempotency_key=world.key(),
            ),
            actor=admin(world.tenant),
        )


def test_a_child_joins_a_session_s_waitlist_once(world: World) -> None:
    full = Full(world, waiting=1)
    parent, [child] = full.families[0]
    with pytest.raises(AlreadyOnWaitlist):
        world.waitlist.join(
            JoinWaitlist(
                tenant_id=world.tenant,
                session_id=full.session,
                child_id=child,
                parent_id=parent,
                idempotency_key=world.key(),
            ),
            actor=admin(world.tenant),
        )


def test_a_freed_seat_is_offered_to_the_first_entry_and_held(world: World) -> None:
    full = Full(world)
    full.free_seat()
    assert full.status() == [OFFERED, WAITING, WAITING]
    session = world.get_session(full.session)
    assert (session.booked_count, session.offered_count, session.free_seats) == (0, 1, 0)
    stranger, [child] = world.family()
    with pytest.raises(CapacityExceeded):
        world.bookings.book(
            BookSession(
                tenant_id=world.tenant,
                session_id=full.session,
                child_id=child,
                parent_id=stranger,
                idempotency_key=world.key(),
            ),
            actor=admin(world.tenant),
        )


def test_accepting_within_the_window_books_from_the_waitlist(
    world: World, clock: ManualClock, bus: EventBus
) -> None:
    full = Full(world)
    full.free_seat()
    clock.advance(OFFER - timedelta(microseconds=1))
    receipt = full.respond(0, accept=True)
    booking = world.booking(receipt.booking_id)
    assert booking.source is BookingSource.WAITLIST
    assert booking.status is BookingStatus.PENDING
    assert full.status()[0] == (EntryStatus.REMOVED, RemovalReason.SPOT_ACCEPTED)
    session = world.get_session(full.session)
    assert (session.booked_count, session.offered_count) == (1, 0)
    assert world.balance(full.families[0][0]).held == 5
    changes = [
        e.status
        for e in bus.published
        if isinstance(e, WaitlistChanged) and e.entry_id == full.entries[0].entry_id
    ]
    assert changes == [EntryStatus.WAITING, EntryStatus.OFFERED, EntryStatus.REMOVED]


def test_declining_offers_the_next_entry_at_once(world: World) -> None:
    full = Full(world)
    full.free_seat()
    full.respond(0, accept=False)
    assert full.status() == [(EntryStatus.REMOVED, RemovalReason.SPOT_DECLINED), OFFERED, WAITING]


def test_an_expired_offer_cannot_be_accepted_and_passes_on(
    world: World, clock: ManualClock
) -> None:
    full = Full(world)
    full.free_seat()
    clock.advance(OFFER)
    with pytest.raises(OfferExpired):
        full.respond(0, accept=True)
    assert full.status() == [(EntryStatus.REMOVED, RemovalReason.SPOT_EXPIRED), OFFERED, WAITING]


def test_the_sweep_expires_stale_offers(world: World, clock: ManualClock) -> None:
    full = Full(world)
    full.free_seat()
    clock.advance(OFFER - timedelta(seconds=1))
    assert world.waitlist.expire_offers(world.tenant, actor=job(world.tenant)) == 0
    clock.advance(timedelta(seconds=1))
    assert world.waitlist.expire_offers(world.tenant, actor=job(world.tenant)) == 1
    assert full.status() == [(EntryStatus.REMOVED, RemovalReason.SPOT_EXPIRED), OFFERED, WAITING]
    clock.advance(OFFER)
    assert world.waitlist.expire_offers(world.tenant, actor=job(world.tenant)) == 1
    clock.advance(OFFER)
    assert world.waitlist.expire_offers(world.tenant, actor=job(world.tenant)) == 1
    assert [s for s, _ in full.status()] == [EntryStatus.REMOVED] * 3
    assert world.get_session(full.session).free_seats == 1


def test_no_offers_once_the_session_has_started(world: World, clock: ManualClock) -> None:
    full = Full(world)
    clock.set(world.get_session(full.session).starts_at)
    full.free_seat()
    assert full.status() == [WAITING] * 3
    receipt = world.waitlist.promote(
        PromoteWaitlist(
            tenant_id=world.tenant, session_id=full.session, idempotency_key=world.key()
        ),
        actor=admin(world.tenant),
    )
    assert receipt.offered == ()


def test_leaving_with_an_offer_passes_the_seat_on(world: World) -> None:
    full = Full(world)
    full.free_seat()
    world.waitlist.leave(
        LeaveWaitlist(
            tenant_id=world.tenant, entry_id=full.entries[1].entry_id, idempotency_key=world.key()
        ),
        actor=admin(world.tenant),
    )
    world.waitlist.leave(
        LeaveWaitlist(
            tenant_id=world.tenant, entry_id=full.entries[0].entry_id, idempotency_key=world.key()
        ),
        actor=admin(world.tenant),
    )
    assert full.status() == [
        (EntryStatus.REMOVED, RemovalReason.USER_REMOVED),
        (EntryStatus.REMOVED, RemovalReason.USER_REMOVED),
        OFFERED,
    ]


def test_an_entry_is_offered_at_most_once(world: World) -> None:
    full = Full(world, waiting=1)
    full.free_seat()
    full.respond(0, accept=False)
    with pytest.raises(InvalidTransition):
        full.respond(0, accept=True)
    assert full.status() == [(EntryStatus.REMOVED, RemovalReason.SPOT_DECLINED)]
    assert world.get_session(full.session).free_seats == 1


def test_accepting_without_credits_keeps_the_offer(world: World) -> None:
    full = Full(world, waiting=1, credits=3)
    full.free_seat()
    with pytest.raises(InsufficientCredits):
        full.respond(0, accept=True)
    assert full.status() == [OFFERED]


def test_a_cancelled_session_clears_its_waitlist(world: World) -> None:
    full = Full(world)
    full.free_seat()
    world.bookings.cancel_session(
        CancelSession(
            tenant_id=world.tenant,
            session_id=full.session,
            reason="closed",
            idempotency_key=world.key(),
        ),
        actor=admin(world.tenant),
    )
    assert full.status() == [(EntryStatus.REMOVED, RemovalReason.SESSION_CANCELLED)] * 3
    session = world.get_session(full.session)
    assert (session.booked_count, session.offered_count) == (0, 0)


def test_a_waitlisted_child_must_take_the_offer_rather_than_book(world: World) -> None:
    full = Full(world, waiting=1)
    parent, [child] = full.families[0]
    world.bookings.cancel(
        CancelBooking(
            tenant_id=world.tenant,
            booking_id=full.held.booking_id,
            reason=CancellationReason.OTHER,
            by_venue=True,
            idempotency_key=world.key(),
        ),
        actor=admin(world.tenant),
    )
    with pytest.raises(AlreadyOnWaitlist):
        world.bookings.book(
            BookSession(
                tenant_id=world.tenant,
                session_id=full.session,
                child_id=child,
                parent_id=parent,
                idempotency_key=world.key(),
            ),
            actor=admin(world.tenant),
        )
