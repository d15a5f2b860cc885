"""The catalog repositories (venues, activities, sessions, schedules) with explicit row
mapping.

Seats: ``sessions.get`` locks the session row (``FOR NO KEY UPDATE``), so concurrent
bookings of one session queue on it instead of racing, and ``save`` is the version-checked
conditional UPDATE of the base class (a CHECK constraint backs up
``booked_count + offered_count <= total_capacity``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from travelcore.catalog import (
    Activity,
    ActivityCategory,
    ActivityId,
    RecurringSchedule,
    ScheduleId,
    Session,
    SessionId,
    Venue,
    VenueId,
    VenueStatus,
)
from travelcore.kernel import CapacityExceeded, TenantId
from travelcore_adapters.postgres.repositories.base import TableRepository
from travelcore_adapters.postgres.tables.catalog import activities, venues
from travelcore_adapters.postgres.tables.catalog import activity_recurring_schedules as rs
from travelcore_adapters.postgres.tables.catalog import activity_sessions as s


class PostgresVenueRepository(TableRepository[Venue]):
    table, entity = venues, "venue"

    def to_row(self, entity: Venue) -> dict[str, Any]:
        return {
            "tenant_id": entity.tenant_id,
            "id": entity.id,
            "name": entity.name,
            "slug": entity.slug,
            "timezone": entity.timezone,
            "status": entity.status.value,
            "insurance_coverage_amount": entity.insurance_coverage,
            "insurance_expiry_date": entity.insurance_expiry_date,
            "rejection_reason": entity.rejection_reason,
            "approved_at": entity.approved_at,
            "version": entity.version,
        }

    def to_entity(self, row: Any) -> Venue:
        return Venue(
            id=VenueId(row.id),
            tenant_id=TenantId(row.tenant_id),
            name=row.name,
            slug=row.slug,
            timezone=row.timezone,
            status=VenueStatus(row.status),
            insurance_coverage=row.insurance_coverage_amount,
            insurance_expiry_date=row.insurance_expiry_date,
            rejection_reason=row.rejection_reason,
            approved_at=row.approved_at,
            version=row.version,
        )

    def with_status(self, status: VenueStatus) -> list[Venue]:
        query = self._select(venues.c.status == status.value)
        return self._all(query.order_by(venues.c.name, venues.c.id))


class PostgresActivityRepository(TableRepository[Activity]):
    table, entity = activities, "activity"

    def to_row(self, entity: Activity) -> dict[str, Any]:
        return {
            "tenant_id": entity.tenant_id,
            "id": entity.id,
            "venue_id": entity.venue_id,
            "name": entity.name,
            "category": entity.category.value,
            "min_age": entity.min_age,
            "max_age": entity.max_age,
            "duration_minutes": entity.duration_minutes,
            "credits_required": entity.credits_required,
            "capacity_per_session": entity.capacity_per_session,
            "tags": list(entity.tags),
            "is_published": entity.is_published,
            "is_active": entity.is_active,
            "version": entity.version,
        }

    def to_entity(self, row: Any) -> Activity:
        return Activity(
            id=ActivityId(row.id),
            tenant_id=TenantId(row.tenant_id),
            venue_id=VenueId(row.venue_id),
            name=row.name,
            category=ActivityCategory(row.category),
            min_age=row.min_age,
            max_age=row.max_age,
            duration_minutes=row.duration_minutes,
            credits_required=row.credits_required,
            capacity_per_session=row.capacity_per_session,
            tags=tuple(row.tags),
            is_published=row.is_published,
            is_active=row.is_active,
            version=row.version,
        )

    def for_venue(self, venue_id: VenueId) -> list[Activity]:
        query = self._select(activities.c.venue_id == venue_id)
        return self._all(query.order_by(activities.c.name, activities.c.id))


class PostgresSessionRepository(TableRepository[Session]):
    table, entity = s, "session"
    lock_on_get: ClassVar[bool] = True

    def to_row(self, entity: Session) -> dict[str, Any]:
        return {
            "tenant_id": entity.tenant_id,
            "id": entity.id,
            "activity_id": entity.activity_id,
            "venue_id": entity.venue_id,
            "recurring_schedule_id": entity.schedule_id,
            "session_date": entity.session_date,
            "start_time": entity.start_time,
            "end_time": entity.end_time,
            "timezone": entity.timezone,
            "time_of_day": entity.time_of_day.value,
            "starts_at": entity.starts_at,
            "ends_at": entity.ends_at,
            "total_capacity": entity.total_capacity,
            "booked_count": entity.booked_count,
            "offered_count": entity.offered_count,
            "platform_allocated_spots": entity.platform_allocated_spots,
            "is_cancelled": entity.is_cancelled,
            "cancellation_reason": entity.cancellation_reason,
            "cancelled_at": entity.cancelled_at,
            "cancelled_by": entity.cancelled_by,
            "is_completed": entity.is_completed,
            "completed_at": entity.completed_at,
            "inventory_released": entity.inventory_released,
            "inventory_released_at": entity.inventory_released_at,
            "version": entity.version,
        }

    def to_entity(self, row: Any) -> Session:
        return Session(
            id=SessionId(row.id),
            tenant_id=TenantId(row.tenant_id),
            activity_id=ActivityId(row.activity_id),
            venue_id=VenueId(row.venue_id),
            session_date=row.session_date,
            start_time=row.start_time,
            end_time=row.end_time,
            timezone=row.timezone,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            total_capacity=row.total_capacity,
            schedule_id=(
                None if row.recurring_schedule_id is None else ScheduleId(row.recurring_schedule_id)
            ),
            booked_count=row.booked_count,
            offered_count=row.offered_count,
            platform_allocated_spots=row.platform_allocated_spots,
            is_cancelled=row.is_cancelled,
            cancellation_reason=row.cancellation_reason,
            cancelled_at=row.cancelled_at,
            cancelled_by=row.cancelled_by,
            is_completed=row.is_completed,
            completed_at=row.completed_at,
            inventory_released=row.inventory_released,
            inventory_released_at=row.inventory_released_at,
            version=row.version,
        )

    def _check(self, entity: Session) -> None:
        super()._check(entity)
        if entity.booked_count + entity.offered_count > entity.total_capacity:
            raise CapacityExceeded("seats exceed the session's capacity", session_id=str(entity.id))

    def find_for_schedule(self, schedule_id: ScheduleId, day: date) -> Session | None:
        return self._first(
            self._select(s.c.recurring_schedule_id == schedule_id, s.c.session_date == day)
        )

    def for_activity(
        self, activity_id: ActivityId, start: date | None = None, end: date | None = None
    ) -> list[Session]:
        query = self._select(s.c.activity_id == activity_id)
        if start is not None:
            query = query.where(s.c.session_date >= start)
        if end is not None:
            query = query.where(s.c.session_date <= end)
        return self._all(query.order_by(s.c.starts_at, s.c.id))

    def due_for_release(self, before: datetime) -> list[Session]:
        query = self._select(
            s.c.is_cancelled.is_(False), s.c.inventory_released.is_(False), s.c.starts_at <= before
        )
        return self._all(query.order_by(s.c.starts_at, s.c.id))


class PostgresScheduleRepository(TableRepository[RecurringSchedule]):
    """``get`` locks the schedule's row: concurrent generations of its sessions queue, and
    each finds the sessions the one before it created."""

    table, entity = rs, "schedule"
    lock_on_get: ClassVar[bool] = True

    def to_row(self, entity: RecurringSchedule) -> dict[str, Any]:
        return {
            "tenant_id": entity.tenant_id,
            "id": entity.id,
            "activity_id": entity.activity_id,
            "schedule_name": entity.name,
            "days_of_week": sorted(entity.days_of_week),
            "start_time": entity.start_time,
            "duration_minutes": entity.duration_minutes,
            "capacity": entity.capacity,
            "effective_from": entity.effective_from,
            "effective_until": entity.effective_until,
            "timezone": entity.timezone,
            "platform_allocated_spots": entity.platform_allocated_spots,
            "is_active": entity.is_active,
            "sessions_generated_until": entity.sessions_generated_until,
            "version": entity.version,
        }

    def to_entity(self, row: Any) -> RecurringSchedule:
        return RecurringSchedule(
            id=ScheduleId(row.id),
            tenant_id=TenantId(row.tenant_id),
            activity_id=ActivityId(row.activity_id),
            days_of_week=frozenset(row.days_of_week),
            start_time=row.start_time,
            duration_minutes=row.duration_minutes,
            capacity=row.capacity,
            effective_from=row.effective_from,
            timezone=row.timezone,
            effective_until=row.effective_until,
            platform_allocated_spots=row.platform_allocated_spots,
            name=row.schedule_name,
            is_active=row.is_active,
            sessions_generated_until=row.sessions_generated_until,
            version=row.version,
        )

    def active(self) -> list[RecurringSchedule]:
        query = self._select(rs.c.is_active.is_(True))
        return self._all(query.order_by(rs.c.effective_from, rs.c.id))
