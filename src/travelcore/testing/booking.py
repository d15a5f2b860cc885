"""Contract suites for the booking and waitlist repositories."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from travelcore.booking import (
    Booking,
    BookingStatus,
    CancellationReason,
    GroupBookingId,
    RemovalReason,
    WaitlistEntry,
    new_confirmation_code,
)
from travelcore.catalog import Session
from travelcore.kernel import AlreadyExists, TenantId, new_uuid
from travelcore.ledger import BillingPeriod, CreditBalance
from travelcore.people import User
from travelcore.testing.builders import a_child, a_session, at
from travelcore.testing.catalog import add_activity
from travelcore.testing.people import add_parent
from travelcore.testing.repositories import RepositoryContract, UowFactory

T0 = at(2026, 3, 2, 9)


def add_session(uow: Any) -> Session:
    session = a_session(uow.tenant_id, add_activity(uow))
    uow.sessions.add(session)
    return session


def add_family(uow: Any) -> tuple[User, CreditBalance]:
    """A parent with 100 credits for March 2026."""
    parent = add_parent(uow)
    balance = CreditBalance.open(
        uow.tenant_id, parent.id, BillingPeriod(date(2026, 3, 1), date(2026, 4, 1)), T0
    )
    balance.allocate(100, T0)
    uow.credits.add(balance)
    return parent, balance


def new_booking(
    uow: Any,
    session: Session | None = None,
    family: tuple[User, CreditBalance] | None = None,
    offset: timedelta = timedelta(0),
) -> Booking:
    """A pending booking with its hold, its child and (unless given) session and family."""
    session = session or add_session(uow)
    parent, balance = family or add_family(uow)
    child = a_child(uow.tenant_id, parent)
    uow.children.add(child)
    booking_id = Booking.new_id()
    hold = balance.place_hold(booking_id, 5, T0, timedelta(days=30))
    uow.credits.save(balance)
    return Booking.place(
        uow.tenant_id,
        booking_id=booking_id,
        session_id=session.id,
        child_id=child.id,
        parent_id=parent.id,
        credits=5,
        confirmation_code=new_confirmation_code(),
        balance_id=balance.id,
        hold_id=hold.id,
        at=T0 + offset,
    )


class BookingRepositoryContract(RepositoryContract):
    repository = "bookings"

    def build(self, uow: Any) -> Booking:
        return new_booking(uow)

    def change(self, entity: Any) -> None:
        entity.confirm(T0 + timedelta(hours=1))

    def test_confirmation_codes_are_unique(self, uow_factory: UowFactory, tenant: TenantId) -> None:
        booking = self.stored(uow_factory, tenant)
        with uow_factory(tenant, None) as uow:
            twin = self.build(uow)
            twin.confirmation_code = booking.confirmation_code
            with pytest.raises(AlreadyExists):
                uow.bookings.add(twin)
            assert uow.bookings.find_by_code(booking.confirmation_code) == booking
            assert uow.bookings.find_by_code("TC-NONE-NONE") is None

    def test_one_live_booking_per_child_and_session(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        booking = self.stored(uow_factory, tenant)
        with uow_factory(tenant, None) as uow:
            twin = self.build(uow)
            twin.session_id, twin.child_id = booking.session_id, booking.child_id
            with pytest.raises(AlreadyExists):
                uow.bookings.add(twin)
            found = uow.bookings.active_for_child(booking.session_id, booking.child_id)
            assert found == booking

    def test_a_cancelled_booking_frees_the_child_to_book_again(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        booking = self.stored(uow_factory, tenant)
        with uow_factory(tenant, None) as uow:
            loaded = uow.bookings.get(booking.id)
            loaded.cancel(
                BookingStatus.CANCELLED_PARENT,
                T0,
                refund_eligible=True,
                reason=CancellationReason.CHILD_SICK,
            )
            uow.bookings.save(loaded)
            assert uow.bookings.active_for_child(booking.session_id, booking.child_id) is None
            again = self.build(uow)
            again.session_id, again.child_id = booking.session_id, booking.child_id
            uow.bookings.add(again)
            uow.commit()
        with uow_factory(tenant, None) as uow:
            assert uow.bookings.active_for_child(booking.session_id, booking.child_id) == again

    def test_listings(self, uow_factory: UowFactory, tenant: TenantId) -> None:
        group = GroupBookingId(new_uuid())
        with uow_factory(tenant, None) as uow:
            session = add_session(uow)
            family = add_family(uow)
            first = new_booking(uow, session, family)
            second = new_booking(uow, session, family, timedelta(minutes=1))
            first.group_booking_id = second.group_booking_id = group
            elsewhere = new_booking(uow, None, family, timedelta(minutes=2))
            stranger = new_booking(uow, session, None, timedelta(minutes=3))
            for booking in (first, second, elsewhere, stranger):
                uow.bookings.add(booking)
            uow.commit()
        with uow_factory(tenant, None) as uow:
            assert [b.id for b in uow.bookings.for_session(session.id)] == [
                first.id,
                second.id,
                stranger.id,
            ]
            assert [b.id for b in uow.bookings.for_group(group)] == [first.id, second.id]
            assert [b.id for b in uow.bookings.for_parent(family[0].id)] == [
                elsewhere.id,
                second.id,
                first.id,
            ]


def new_entry(uow: Any, session: Session, position: int, minutes: int = 0) -> WaitlistEntry:
    parent = add_parent(uow)
    child = a_child(uow.tenant_id, parent)
    uow.children.add(child)
    return WaitlistEntry.join(
        uow.tenant_id,
        session_id=session.id,
        child_id=child.id,
        user_id=parent.id,
        position=position,
        at=T0 + timedelta(minutes=minutes),
    )


class WaitlistRepositoryContract(RepositoryContract):
    repository = "waitlist"

    def build(self, uow: Any) -> WaitlistEntry:
        return new_entry(uow, add_session(uow), 1)

    def change(self, entity: Any) -> None:
        entity.offer(T0, T0 + timedelta(hours=4))

    def test_one_entry_per_child_and_session(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        entry = self.stored(uow_factory, tenant)
        with uow_factory(tenant, None) as uow:
            loaded = uow.waitlist.get(entry.id)
            loaded.remove(RemovalReason.USER_REMOVED, T0)
            uow.waitlist.save(loaded)
            twin = self.build(uow)
            twin.session_id, twin.child_id = entry.session_id, entry.child_id
            with pytest.raises(AlreadyExists):
                uow.waitlist.add(twin)
            assert uow.waitlist.find(entry.session_id, entry.child_id) == loaded

    def test_for_session_is_fifo(self, uow_factory: UowFactory, tenant: TenantId) -> None:
        with uow_factory(tenant, None) as uow:
            session = add_session(uow)
            third = new_entry(uow, session, 3)
            first = new_entry(uow, session, 1, 5)
            second = new_entry(uow, session, 2, 1)
            for entry in (third, first, second, self.build(uow)):
                uow.waitlist.add(entry)
            uow.commit()
        with uow_factory(tenant, None) as uow:
            assert [e.id for e in uow.waitlist.for_session(session.id)] == [
                first.id,
                second.id,
                third.id,
            ]

    def test_sessions_with_offers_due(self, uow_factory: UowFactory, tenant: TenantId) -> None:
        with uow_factory(tenant, None) as uow:
            session = add_session(uow)
            later = add_session(uow)
            due = new_entry(uow, session, 1)
            due.offer(T0, T0 + timedelta(hours=4))
            not_yet = new_entry(uow, later, 1)
            not_yet.offer(T0 + timedelta(hours=1), T0 + timedelta(hours=5))
            waiting = new_entry(uow, later, 2)
            for entry in (due, not_yet, waiting):
                uow.waitlist.add(entry)
            uow.commit()
        with uow_factory(tenant, None) as uow:
            assert uow.waitlist.sessions_with_offers_due(T0 + timedelta(hours=4)) == [session.id]
            assert uow.waitlist.sessions_with_offers_due(T0 + timedelta(hours=3)) == []
