"""The parent dashboard read model: credits available and used, days left in the billing
period, children, upcoming bookings, pending suggestions and unread notifications, read in
one unit of work so the figures agree with each other."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Protocol
from uuid import UUID
from zoneinfo import ZoneInfo

import attrs

from travelcore.booking import BookingId, BookingStatus
from travelcore.booking.ports import BookingRepository
from travelcore.catalog import ActivityId, SessionId
from travelcore.catalog.ports import ActivityRepository, SessionRepository
from travelcore.discovery.curation import month_start
from travelcore.discovery.suggestions import SuggestionRepository
from travelcore.kernel import AccessDenied, Actor, Clock, Role, TenantId, UnitOfWork, UserId
from travelcore.kernel.clock import checked_clock
from travelcore.ledger.ports import LedgerRepository
from travelcore.notifications.ports import NotificationRepository
from travelcore.people import ChildId
from travelcore.people.ports import ChildRepository, UserRepository

UPCOMING = (BookingStatus.PENDING, BookingStatus.CONFIRMED)


class DashboardUnitOfWork(UnitOfWork, Protocol):
    @property
    def users(self) -> UserRepository: ...

    @property
    def children(self) -> ChildRepository: ...

    @property
    def credits(self) -> LedgerRepository: ...

    @property
    def bookings(self) -> BookingRepository: ...

    @property
    def sessions(self) -> SessionRepository: ...

    @property
    def activities(self) -> ActivityRepository: ...

    @property
    def suggestions(self) -> SuggestionRepository: ...

    @property
    def notifications(self) -> NotificationRepository: ...


@attrs.frozen(kw_only=True)
class ChildSummary:
    child_id: ChildId
    first_name: str
    date_of_birth: date


@attrs.frozen(kw_only=True)
class UpcomingBooking:
    booking_id: BookingId
    child_id: ChildId
    session_id: SessionId
    activity_id: ActivityId
    activity_name: str
    starts_at: datetime
    status: BookingStatus
    confirmation_code: str


@attrs.frozen(kw_only=True)
class ParentDashboard:
    """``credits_*`` and the period are ``None`` while the parent has no balance for today;
    ``upcoming_bookings`` are pending or confirmed ones on sessions not yet started, soonest
    first; ``pending_suggestions`` counts this month's unanswered, unexpired ones."""

    user_id: UserId
    first_name: str
    last_name: str
    today: date
    credits_available: int | None
    credits_used: int | None
    credits_allocated: int | None
    period_start: date | None
    period_end: date | None
    days_remaining: int | None
    children: tuple[ChildSummary, ...]
    upcoming_bookings: tuple[UpcomingBooking, ...]
    pending_suggestions: int
    unread_notifications: int


class ParentDashboardQuery:
    """Builds :class:`ParentDashboard` for a parent; "today" is the parent's local date."""

    def __init__(self, uow_factory: Callable[[TenantId], DashboardUnitOfWork], clock: Clock):
        self._uow = uow_factory
        self._clock = checked_clock(clock)

    def for_parent(self, parent_id: UserId, *, actor: Actor) -> ParentDashboard:
        """The dashboard of ``parent_id``: the parent themself, or a platform admin."""
        if actor.role is not Role.PLATFORM_ADMIN and actor.user_id != parent_id:
            raise AccessDenied("a parent sees only their own dashboard", rule="own_dashboard")
        now = self._clock.now()
        with self._uow(actor.tenant_id) as uow:
            user = uow.users.get(parent_id)
            today = now.astimezone(ZoneInfo(user.timezone)).date()
            balance = uow.credits.find(parent_id, today)
            children = tuple(
                ChildSummary(child_id=c.id, first_name=c.first_name, date_of_birth=c.date_of_birth)
                for c in uow.children.for_parent(parent_id)
                if c.is_active
            )
            upcoming: list[UpcomingBooking] = []
            names: dict[UUID, str] = {}
            for booking in uow.bookings.for_parent(parent_id):
                if booking.status not in UPCOMING:
                    continue
                session = uow.sessions.get(booking.session_id)
                if session.starts_at <= now:
                    continue
                if session.activity_id not in names:
                    names[session.activity_id] = uow.activities.get(session.activity_id).name
                upcoming.append(
                    UpcomingBooking(
                        booking_id=booking.id,
                        child_id=booking.child_id,
                        session_id=session.id,
                        activity_id=session.activity_id,
                        activity_name=names[session.activity_id],
                        starts_at=session.starts_at,
                        status=booking.status,
                        confirmation_code=booking.confirmation_code,
                    )
                )
            pending = sum(
                1
                for s in uow.suggestions.for_parent(parent_id, month_start(today))
                if s.response is None and s.expires_at > now
            )
            unread = uow.notifications.unread_count(parent_id)
        upcoming.sort(key=lambda b: (b.starts_at, str(b.booking_id)))
        return ParentDashboard(
            user_id=parent_id,
            first_name=user.first_name,
            last_name=user.last_name,
            today=today,
            credits_available=None if balance is None else balance.available,
            credits_used=None if balance is None else balance.used,
            credits_allocated=None if balance is None else balance.allocated,
            period_start=None if balance is None else balance.period.start,
            period_end=None if balance is None else balance.period.end,
            days_remaining=None if balance is None else (balance.period.end - today).days,
            children=children,
            upcoming_bookings=tuple(upcoming),
            pending_suggestions=pending,
            unread_notifications=unread,
        )
