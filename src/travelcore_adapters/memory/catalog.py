"""Catalog repositories in memory: venues, activities, sessions, schedules."""

from __future__ import annotations

from datetime import date, datetime

from travelcore.catalog import (
    Activity,
    ActivityId,
    RecurringSchedule,
    ScheduleId,
    Session,
    Venue,
    VenueId,
    VenueStatus,
)
from travelcore.kernel import CapacityExceeded
from travelcore_adapters.memory.repository import MemoryRepository


class MemoryVenueRepository(MemoryRepository[Venue]):
    table, entity = "venues", "venue"

    def _check_unique(self, entity: Venue) -> None:
        self._clash(entity, lambda row: row.slug == entity.slug, "slug")

    def with_status(self, status: VenueStatus) -> list[Venue]:
        rows = self._rows(lambda row: row.status is status)
        return sorted(rows, key=lambda row: (row.name, str(row.id)))


class MemoryActivityRepository(MemoryRepository[Activity]):
    table, entity = "activities", "activity"

    def for_venue(self, venue_id: VenueId) -> list[Activity]:
        rows = self._rows(lambda row: row.venue_id == venue_id)
        return sorted(rows, key=lambda row: (row.name, str(row.id)))


class MemorySessionRepository(MemoryRepository[Session]):
    table, entity = "sessions", "session"

    def _check_unique(self, entity: Session) -> None:
        if entity.booked_count + entity.offered_count > entity.total_capacity:
            raise CapacityExceeded("seats exceed the session's capacity", session_id=str(entity.id))
        if entity.schedule_id is not None:
            self._clash(
                entity,
                lambda row: (
                    row.schedule_id == entity.schedule_id
                    and row.session_date == entity.session_date
                ),
                "schedule and date",
            )

    def find_for_schedule(self, schedule_id: ScheduleId, day: date) -> Session | None:
        rows = self._rows(lambda row: row.schedule_id == schedule_id and row.session_date == day)
        return rows[0] if rows else None

    def for_activity(
        self, activity_id: ActivityId, start: date | None = None, end: date | None = None
    ) -> list[Session]:
        rows = self._rows(
            lambda row: (
                row.activity_id == activity_id
                and (start is None or row.session_date >= start)
                and (end is None or row.session_date <= end)
            )
        )
        return sorted(rows, key=lambda row: (row.starts_at, str(row.id)))

    def due_for_release(self, before: datetime) -> list[Session]:
        rows = self._rows(
            lambda row: (
                not row.is_cancelled and not row.inventory_released and row.starts_at <= before
            )
        )
        return sorted(rows, key=lambda row: (row.starts_at, str(row.id)))


class MemoryScheduleRepository(MemoryRepository[RecurringSchedule]):
    table, entity = "schedules", "schedule"

    def active(self) -> list[RecurringSchedule]:
        rows = self._rows(lambda row: row.is_active)
        return sorted(rows, key=lambda row: (row.effective_from, str(row.id)))
