"""Recurring schedules: the rule that generates an activity's sessions.

Generation is idempotent (a session's id is derived from the schedule and its local date,
and the repository refuses a second session for the same pair) and resumable
(``sessions_generated_until`` records how far it got). Sessions keep the schedule's
wall-clock start time in its zone, so their UTC instants move across DST changes.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta

import attrs

from travelcore.catalog.model import (
    Activity,
    ActivityId,
    ScheduleId,
    Session,
    SessionId,
    wall_time_exists,
)
from travelcore.kernel import TenantId, ValidationFailed, new_uuid, zone

MAX_GENERATION_DAYS = 400
"""The most days of sessions one generation call covers (resume for more)."""


def session_id_for(schedule_id: ScheduleId, day: date) -> SessionId:
    """The one session id a schedule can generate for a local date."""
    return SessionId(uuid.uuid5(schedule_id, day.isoformat()))


@attrs.define(kw_only=True)
class RecurringSchedule:
    id: ScheduleId
    tenant_id: TenantId
    activity_id: ActivityId
    days_of_week: frozenset[int]
    start_time: time
    duration_minutes: int
    capacity: int
    effective_from: date
    timezone: str
    effective_until: date | None = None
    platform_allocated_spots: int = 0
    name: str | None = None
    is_active: bool = True
    sessions_generated_until: date | None = None
    version: int = 1

    @classmethod
    def create(
        cls,
        tenant_id: TenantId,
        *,
        activity: Activity,
        days_of_week: frozenset[int] | set[int] | tuple[int, ...],
        start_time: time,
        duration_minutes: int,
        capacity: int,
        effective_from: date,
        timezone: str,
        effective_until: date | None = None,
        platform_allocated_spots: int = 0,
        name: str | None = None,
    ) -> RecurringSchedule:
        days = frozenset(days_of_week)
        if not days or not days <= frozenset(range(7)):
            raise ValidationFailed("days_of_week", "non_empty_subset_of_0_to_6")
        if isinstance(duration_minutes, bool) or duration_minutes <= 0:
            raise ValidationFailed("duration_minutes", "positive")
        end = datetime.combine(date.min, start_time) + timedelta(minutes=duration_minutes)
        if end.date() != date.min:
            raise ValidationFailed("duration_minutes", "ends_same_day")
        if isinstance(capacity, bool) or capacity <= 0:
            raise ValidationFailed("capacity", "positive")
        if not 0 <= platform_allocated_spots <= capacity:
            raise ValidationFailed("platform_allocated_spots", "between_0_and_capacity")
        if effective_until is not None and effective_until < effective_from:
            raise ValidationFailed("effective_until", "not_before_effective_from")
        if name is not None and len(name) > 100:
            raise ValidationFailed("name", "max_length_100")
        zone(timezone)
        return cls(
            id=ScheduleId(new_uuid()),
            tenant_id=tenant_id,
            activity_id=activity.id,
            days_of_week=days,
            start_time=start_time,
            duration_minutes=duration_minutes,
            capacity=capacity,
            effective_from=effective_from,
            timezone=timezone,
            effective_until=effective_until,
            platform_allocated_spots=platform_allocated_spots,
            name=name,
        )

    @property
    def end_time(self) -> time:
        start = datetime.combine(date.min, self.start_time)
        return (start + timedelta(minutes=self.duration_minutes)).time()

    def pending_dates(self, through: date) -> list[date]:
        """Local dates still to generate, up to ``through``: at most
        :data:`MAX_GENERATION_DAYS` days from the first one not yet generated."""
        first = self.effective_from
        if self.sessions_generated_until is not None:
            first = max(first, self.sessions_generated_until + timedelta(days=1))
        last = through if self.effective_until is None else min(through, self.effective_until)
        days = (last - first).days + 1
        if days > MAX_GENERATION_DAYS:
            raise ValidationFailed(
                "through",
                f"max_{MAX_GENERATION_DAYS}_days",
                f"one call generates at most {MAX_GENERATION_DAYS} days of sessions "
                f"(from {first.isoformat()})",
            )
        candidates = (first + timedelta(days=n) for n in range(max(days, 0)))
        return [d for d in candidates if d.weekday() in self.days_of_week]

    def generate(self, activity: Activity, through: date) -> list[Session]:
        """The sessions due up to ``through``; advances ``sessions_generated_until``. A day
        on which the start or end time does not exist (a DST gap) has no session."""
        if activity.id != self.activity_id:
            raise ValidationFailed("activity", "schedule_activity")
        sessions = [
            Session.create(
                self.tenant_id,
                activity=activity,
                session_date=day,
                start_time=self.start_time,
                end_time=self.end_time,
                timezone=self.timezone,
                total_capacity=self.capacity,
                platform_allocated_spots=self.platform_allocated_spots,
                schedule_id=self.id,
                session_id=session_id_for(self.id, day),
            )
            for day in (self.pending_dates(through) if self.is_active else [])
            if wall_time_exists(day, self.start_time, self.timezone)
            and wall_time_exists(day, self.end_time, self.timezone)
        ]
        last = through if self.effective_until is None else min(through, self.effective_until)
        if self.sessions_generated_until is None or last > self.sessions_generated_until:
            self.sessions_generated_until = last
        return sessions
