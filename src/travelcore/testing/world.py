"""A small family-activity world over any database: services, a manual clock and helpers
that set up venues, sessions and families. Used by the tests, the booking state machine
and the demo; ``database`` is a unit-of-work factory ``(TenantId) -> BookingUnitOfWork``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from itertools import count
from typing import Protocol

from travelcore.booking import (
    Booking,
    BookingId,
    BookingService,
    BookingUnitOfWork,
    WaitlistEntry,
    WaitlistService,
)
from travelcore.catalog import CatalogService, Session, SessionId
from travelcore.consent import ConsentRepository
from travelcore.kernel import (
    ManualClock,
    Policy,
    StaticPolicies,
    TenantId,
    UserId,
    new_uuid,
    zone,
)
from travelcore.ledger import AllocateCredits, BalanceView, LedgerService
from travelcore.people import ChildId
from travelcore.testing.actors import admin
from travelcore.testing.builders import a_child, a_corporate, a_parent, a_venue, an_activity
from travelcore.testing.consent import grant_ai_consent


class WorldUnitOfWork(BookingUnitOfWork, Protocol):
    @property
    def consents(self) -> ConsentRepository: ...


Database = Callable[[TenantId], WorldUnitOfWork]


class World:
    def __init__(
        self,
        database: Database,
        clock: ManualClock,
        policy: Policy | None = None,
        code_factory: Callable[[], str] | None = None,
    ) -> None:
        self.db = database
        self.clock = clock
        self.tenant = TenantId(new_uuid())
        policies = StaticPolicies(policy)
        extra = {} if code_factory is None else {"code_factory": code_factory}
        self.catalog = CatalogService(database, clock, policies=policies)
        self.bookings = BookingService(database, clock, policies=policies, **extra)
        self.waitlist = WaitlistService(database, clock, policies=policies, **extra)
        self.ledger = LedgerService(database, clock, policies=policies)
        self._keys = count(1)

    def key(self) -> str:
        return f"k-{next(self._keys)}"

    def family(
        self,
        credits: int = 100,
        born: Sequence[date] = (date(2018, 5, 1),),
        *,
        ai_consent: bool = True,
    ) -> tuple[UserId, list[ChildId]]:
        """A parent with ``credits`` for the current period and one child per birth date,
        each with consent to AI personalisation unless ``ai_consent`` is false."""
        with self.db(self.tenant) as uow:
            corporate = a_corporate(self.tenant)
            uow.corporates.add(corporate)
            parent = a_parent(self.tenant, corporate)
            uow.users.add(parent)
            children = [a_child(self.tenant, parent, day, f"Kid{n}") for n, day in enumerate(born)]
            for child in children:
                uow.children.add(child)
            if ai_consent:
                ids = [c.id for c in children]
                grant_ai_consent(uow.consents, self.tenant, parent.id, ids, self.clock.now())
            uow.commit()
        if credits:
            self.ledger.allocate_credits(
                AllocateCredits(
                    tenant_id=self.tenant,
                    user_id=parent.id,
                    day=self.clock.now().date(),
                    credits=credits,
                    idempotency_key=self.key(),
                ),
                actor=admin(self.tenant),
            )
        return parent.id, [c.id for c in children]

    def session(
        self,
        *,
        starts_in: timedelta = timedelta(days=7),
        capacity: int = 10,
        credits: int = 5,
        ages: tuple[int, int] = (4, 12),
        timezone: str = "America/New_York",
        active_venue: bool = True,
        local: tuple[date, time] | None = None,
    ) -> SessionId:
        """A session at an active, insured venue, starting ``starts_in`` from now (UTC
        wall-clock converted to ``timezone``; the session lasts an hour), or at the ``local``
        date and wall-clock time."""
        start = (self.clock.now() + starts_in).astimezone(zone(timezone))
        if local is not None:
            start = datetime.combine(local[0], local[1], zone(timezone))
        with self.db(self.tenant) as uow:
            venue = a_venue(self.tenant, active=active_venue)
            uow.venues.add(venue)
            activity = an_activity(
                self.tenant, venue, credits=credits, capacity=capacity, ages=ages
            )
            uow.activities.add(activity)
            session = Session.create(
                self.tenant,
                activity=activity,
                session_date=start.date(),
                start_time=start.time().replace(tzinfo=None),
                end_time=_plus_hour(start.time().replace(tzinfo=None)),
                timezone=timezone,
                total_capacity=capacity,
            )
            uow.sessions.add(session)
            uow.commit()
        return session.id

    # -- reads -----------------------------------------------------------------------------

    def get_session(self, session_id: SessionId) -> Session:
        with self.db(self.tenant) as uow:
            return uow.sessions.get(session_id)

    def booking(self, booking_id: BookingId) -> Booking:
        with self.db(self.tenant) as uow:
            return uow.bookings.get(booking_id)

    def bookings_on(self, session_id: SessionId) -> list[Booking]:
        with self.db(self.tenant) as uow:
            return uow.bookings.for_session(session_id)

    def entries_on(self, session_id: SessionId) -> list[WaitlistEntry]:
        with self.db(self.tenant) as uow:
            return uow.waitlist.for_session(session_id)

    def balance(self, parent_id: UserId, day: date | None = None) -> BalanceView:
        view = self.ledger.balance_for(
            self.tenant, parent_id, day or self.clock.now().date(), actor=admin(self.tenant)
        )
        assert view is not None
        return view


def _plus_hour(start: time) -> time:
    end = (datetime.combine(date.min, start) + timedelta(hours=1)).time()
    return end if end > start else time(23, 59, 59)
