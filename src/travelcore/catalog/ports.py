"""What the catalog needs from storage.

Every repository works for the unit of work's tenant only. ``add`` raises ``AlreadyExists``
for a duplicate, ``get`` raises ``NotFound``, and ``save`` writes an entity read earlier:
if its stored ``version`` differs from the entity's it raises ``StaleVersion``, otherwise
it stores it with ``version + 1`` (and bumps the caller's object too).

Seats are taken by changing a :class:`Session`'s counts and saving it: the version check
makes concurrent bookings of one session conflict (one wins, the others retry), and
adapters also enforce ``booked_count + offered_count <= total_capacity`` in storage.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol

from travelcore.catalog.model import (
    Activity,
    ActivityId,
    ScheduleId,
    Session,
    SessionId,
    Venue,
    VenueId,
    VenueStatus,
)
from travelcore.catalog.schedule import RecurringSchedule
from travelcore.kernel import IdempotencyStore, UnitOfWork


class VenueRepository(Protocol):
    def add(self, venue: Venue) -> None:
        """``AlreadyExists`` for a taken id or slug."""
        ...

    def get(self, venue_id: VenueId) -> Venue:
        """A plain read (every booking reads its venue)."""
        ...

    def get_for_update(self, venue_id: VenueId) -> Venue:
        """``get`` for a command that changes the venue (the kernel's locking read)."""
        ...

    def save(self, venue: Venue) -> None: ...

    def with_status(self, status: VenueStatus) -> list[Venue]:
        """Venues in ``status``, ordered by name."""
        ...


class ActivityRepository(Protocol):
    def add(self, activity: Activity) -> None: ...

    def get(self, activity_id: ActivityId) -> Activity: ...

    def save(self, activity: Activity) -> None: ...

    def for_venue(self, venue_id: VenueId) -> list[Activity]:
        """The venue's activities, ordered by name."""
        ...


class SessionRepository(Protocol):
    def add(self, session: Session) -> None:
        """``AlreadyExists`` for a taken id, or a second session of one schedule on one
        local date."""
        ...

    def get(self, session_id: SessionId) -> Session: ...

    def save(self, session: Session) -> None:
        """Optimistic: ``StaleVersion`` if the session changed since it was read."""
        ...

    def find_for_schedule(self, schedule_id: ScheduleId, day: date) -> Session | None: ...

    def for_activity(
        self, activity_id: ActivityId, start: date | None = None, end: date | None = None
    ) -> list[Session]:
        """The activity's sessions with ``start <= session_date <= end``, by start instant."""
        ...

    def due_for_release(self, before: datetime) -> list[Session]:
        """Sessions not cancelled whose inventory is unreleased and that start at or
        before ``before``, by start instant."""
        ...


class ScheduleRepository(Protocol):
    def add(self, schedule: RecurringSchedule) -> None: ...

    def get(self, schedule_id: ScheduleId) -> RecurringSchedule: ...

    def save(self, schedule: RecurringSchedule) -> None: ...

    def active(self) -> list[RecurringSchedule]:
        """Active schedules, by ``effective_from`` then id."""
        ...


class CatalogUnitOfWork(UnitOfWork, Protocol):
    @property
    def venues(self) -> VenueRepository: ...

    @property
    def activities(self) -> ActivityRepository: ...

    @property
    def sessions(self) -> SessionRepository: ...

    @property
    def schedules(self) -> ScheduleRepository: ...

    @property
    def idempotency(self) -> IdempotencyStore: ...
