"""Venues, activities and sessions: what can be booked, where and when.

A session's wall-clock date and times are read in its own IANA zone; ``starts_at`` and
``ends_at`` are the matching UTC instants, fixed when the session is created.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import NewType
from uuid import UUID

import attrs

from travelcore.kernel import (
    Aggregate,
    CapacityExceeded,
    DomainEvent,
    InvalidTransition,
    RuleViolation,
    TenantId,
    ValidationFailed,
    new_uuid,
    positive_credits,
    zone,
)

VenueId = NewType("VenueId", UUID)
ActivityId = NewType("ActivityId", UUID)
SessionId = NewType("SessionId", UUID)
ScheduleId = NewType("ScheduleId", UUID)

MIN_INSURANCE_COVERAGE = Decimal(1_000_000)


class VenueStatus(StrEnum):
    PENDING_APPROVAL = "pending_approval"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REJECTED = "rejected"


VENUE_TRANSITIONS: dict[VenueStatus, frozenset[VenueStatus]] = {
    VenueStatus.PENDING_APPROVAL: frozenset({VenueStatus.ACTIVE, VenueStatus.REJECTED}),
    VenueStatus.ACTIVE: frozenset({VenueStatus.SUSPENDED}),
    VenueStatus.SUSPENDED: frozenset({VenueStatus.ACTIVE}),
    VenueStatus.REJECTED: frozenset(),
}


class ActivityCategory(StrEnum):
    STEM = "stem"
    ARTS_CRAFTS = "arts_crafts"
    MUSIC = "music"
    SPORTS = "sports"
    NATURE = "nature"
    COOKING = "cooking"
    READING = "reading"
    BUILDING = "building"
    DANCE = "dance"
    DRAMA = "drama"


class TimeOfDay(StrEnum):
    MORNING = "morning"
    AFTERNOON = "afternoon"
    EVENING = "evening"

    @classmethod
    def of(cls, start: time) -> TimeOfDay:
        """morning < 12:00 <= afternoon < 17:00 <= evening."""
        if start < time(12):
            return cls.MORNING
        if start < time(17):
            return cls.AFTERNOON
        return cls.EVENING


class VenueNotBookable(RuleViolation):
    code = "venue_not_bookable"


class SessionNotBookable(RuleViolation):
    code = "session_not_bookable"


@attrs.frozen(kw_only=True)
class VenueStatusChanged(DomainEvent):
    venue_id: VenueId
    from_status: VenueStatus
    to_status: VenueStatus


@attrs.frozen(kw_only=True)
class SessionCancelled(DomainEvent):
    session_id: SessionId
    activity_id: ActivityId


@attrs.frozen(kw_only=True)
class SessionCompleted(DomainEvent):
    session_id: SessionId


@attrs.frozen(kw_only=True)
class InventoryReleased(DomainEvent):
    session_id: SessionId
    spots: int


def _count(value: int, field: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValidationFailed(field, f"integer_at_least_{minimum}")
    return value


@attrs.define(kw_only=True)
class Venue(Aggregate):
    """A provider. Bookable only while active and compliant (insured for >= 1,000,000)."""

    id: VenueId
    tenant_id: TenantId
    name: str
    slug: str
    timezone: str = "America/New_York"
    status: VenueStatus = VenueStatus.PENDING_APPROVAL
    insurance_coverage: Decimal | None = None
    insurance_expiry_date: date | None = None
    rejection_reason: str | None = None
    approved_at: datetime | None = None
    version: int = 1

    @classmethod
    def apply(
        cls,
        tenant_id: TenantId,
        *,
        name: str,
        slug: str,
        timezone: str = "America/New_York",
        insurance_coverage: Decimal | None = None,
        insurance_expiry_date: date | None = None,
    ) -> Venue:
        """A new venue application, pending approval."""
        _text(name, "name", 255)
        if len(slug) > 255:
            raise ValidationFailed("slug", "max_length_255")
        if not slug or not slug.replace("-", "").isalnum() or slug.lower() != slug:
            raise ValidationFailed("slug", "lowercase_alnum_and_hyphens")
        zone(timezone)
        venue = cls(
            id=VenueId(new_uuid()),
            tenant_id=tenant_id,
            name=name.strip(),
            slug=slug,
            timezone=timezone,
        )
        if insurance_coverage is not None:
            venue.update_insurance(insurance_coverage, insurance_expiry_date)
        return venue

    def update_insurance(self, coverage: Decimal, expiry_date: date | None) -> None:
        if not isinstance(coverage, Decimal) or coverage < MIN_INSURANCE_COVERAGE:
            raise ValidationFailed("insurance_coverage", "at_least_1000000")
        if expiry_date is None:
            raise ValidationFailed("insurance_expiry_date", "required")
        self.insurance_coverage = coverage
        self.insurance_expiry_date = expiry_date

    def is_compliant(self, on: date) -> bool:
        """Insured for at least 1,000,000 with a policy still valid on ``on``."""
        return (
            self.insurance_coverage is not None
            and self.insurance_coverage >= MIN_INSURANCE_COVERAGE
            and self.insurance_expiry_date is not None
            and self.insurance_expiry_date >= on
        )

    def is_bookable(self, on: date) -> bool:
        return self.status is VenueStatus.ACTIVE and self.is_compliant(on)

    def require_bookable(self, on: date) -> None:
        if self.status is not VenueStatus.ACTIVE:
            raise VenueNotBookable(f"venue is {self.status}", venue_id=str(self.id))
        if not self.is_compliant(on):
            raise VenueNotBookable("venue is not compliant (insurance)", venue_id=str(self.id))

    def approve(self, at: datetime, *, actor: str | None = None) -> None:
        if not self.is_compliant(at.date()):
            raise VenueNotBookable("an uninsured venue cannot be approved", venue_id=str(self.id))
        self._move(VenueStatus.ACTIVE, at, actor, None)
        self.approved_at = at

    def reject(self, at: datetime, *, reason: str, actor: str | None = None) -> None:
        if not reason.strip():
            raise ValidationFailed("reason", "required")
        self._move(VenueStatus.REJECTED, at, actor, reason)
        self.rejection_reason = reason

    def suspend(self, at: datetime, *, reason: str, actor: str | None = None) -> None:
        self._move(VenueStatus.SUSPENDED, at, actor, reason)

    def reinstate(self, at: datetime, *, actor: str | None = None) -> None:
        if self.status is VenueStatus.SUSPENDED and not self.is_compliant(at.date()):
            raise VenueNotBookable("a non-compliant venue stays suspended", venue_id=str(self.id))
        self._move(VenueStatus.ACTIVE, at, actor, None)

    def _move(
        self, target: VenueStatus, at: datetime, actor: str | None, reason: str | None
    ) -> None:
        if target not in VENUE_TRANSITIONS[self.status]:
            raise InvalidTransition("venue", self.status.value, target.value)
        self.record(
            VenueStatusChanged(
                tenant_id=self.tenant_id,
                occurred_at=at,
                actor=actor,
                reason=reason,
                venue_id=self.id,
                from_status=self.status,
                to_status=target,
            )
        )
        self.status = target


@attrs.define(kw_only=True)
class Activity:
    """Something a venue offers, run as sessions."""

    id: ActivityId
    tenant_id: TenantId
    venue_id: VenueId
    name: str
    category: ActivityCategory
    min_age: int
    max_age: int
    duration_minutes: int
    credits_required: int
    capacity_per_session: int
    tags: tuple[str, ...] = ()
    is_published: bool = False
    is_active: bool = True
    version: int = 1

    @classmethod
    def create(
        cls,
        tenant_id: TenantId,
        *,
        venue_id: VenueId,
        name: str,
        category: ActivityCategory | str,
        min_age: int,
        max_age: int,
        duration_minutes: int,
        credits_required: int,
        capacity_per_session: int,
        tags: tuple[str, ...] = (),
        is_published: bool = False,
    ) -> Activity:
        _text(name, "name", 255)
        try:
            category = ActivityCategory(category)
        except ValueError as exc:
            raise ValidationFailed("category", "activity_category") from exc
        for value, field in ((min_age, "min_age"), (max_age, "max_age")):
            if _count(value, field) > 18:
                raise ValidationFailed(field, "between_0_and_18")
        if min_age > max_age:
            raise ValidationFailed("min_age", "at_most_max_age")
        return cls(
            id=ActivityId(new_uuid()),
            tenant_id=tenant_id,
            venue_id=venue_id,
            name=name.strip(),
            category=category,
            min_age=min_age,
            max_age=max_age,
            duration_minutes=_count(duration_minutes, "duration_minutes", 1),
            credits_required=positive_credits(credits_required, "credits_required"),
            capacity_per_session=_count(capacity_per_session, "capacity_per_session", 1),
            tags=tuple(tags),
            is_published=is_published,
        )

    def accepts_age(self, age: int) -> bool:
        return self.min_age <= age <= self.max_age


def _text(value: str, field: str, max_length: int) -> None:
    """Refuse a blank ``value`` or one longer than ``max_length`` (once stripped)."""
    if not value.strip():
        raise ValidationFailed(field, "required")
    if len(value.strip()) > max_length:
        raise ValidationFailed(field, f"max_length_{max_length}")


def local_instant(day: date, wall: time, tz: str, field: str = "start_time") -> datetime:
    """The UTC instant of wall-clock ``wall`` on ``day`` in zone ``tz``.

    The rule for the days a zone changes its offset: a wall time that does not exist on
    ``day`` (skipped by a spring-forward gap, such as 02:30 in New York on the second
    Sunday of March) is refused with ``ValidationFailed(field, "exists_in_time_zone")``;
    an ambiguous one (repeated by a fall-back, such as 01:30 on the first Sunday of
    November) is its first occurrence, the one before the clocks go back.
    """
    if not wall_time_exists(day, wall, tz):
        raise ValidationFailed(
            field, "exists_in_time_zone", f"{wall} does not exist on {day} in {tz}"
        )
    return datetime.combine(day, wall, zone(tz)).astimezone(UTC)


def wall_time_exists(day: date, wall: time, tz: str) -> bool:
    """Whether ``wall`` happens on ``day`` in zone ``tz`` (it is not in a DST gap)."""
    local = datetime.combine(day, wall, zone(tz))
    return local.astimezone(UTC).astimezone(local.tzinfo).replace(tzinfo=None) == (
        local.replace(tzinfo=None)
    )


@attrs.define(kw_only=True)
class Session(Aggregate):
    """One scheduled run of an activity, with its seats.

    Seats: ``booked_count`` counts bookings holding a seat (pending, confirmed, completed,
    no-show); ``offered_count`` counts seats held for outstanding waitlist offers. Always
    ``booked_count + offered_count <= total_capacity``.
    """

    id: SessionId
    tenant_id: TenantId
    activity_id: ActivityId
    venue_id: VenueId
    session_date: date
    start_time: time
    end_time: time
    timezone: str
    starts_at: datetime
    ends_at: datetime
    total_capacity: int
    schedule_id: ScheduleId | None = None
    booked_count: int = 0
    offered_count: int = 0
    platform_allocated_spots: int = 0
    is_cancelled: bool = False
    cancellation_reason: str | None = None
    cancelled_at: datetime | None = None
    cancelled_by: str | None = None
    is_completed: bool = False
    completed_at: datetime | None = None
    inventory_released: bool = False
    inventory_released_at: datetime | None = None
    version: int = 1

    @classmethod
    def create(
        cls,
        tenant_id: TenantId,
        *,
        activity: Activity,
        session_date: date,
        start_time: time,
        end_time: time,
        timezone: str,
        total_capacity: int | None = None,
        platform_allocated_spots: int = 0,
        schedule_id: ScheduleId | None = None,
        session_id: SessionId | None = None,
    ) -> Session:
        if end_time <= start_time:
            raise ValidationFailed("end_time", "after_start_time")
        capacity = _count(
            activity.capacity_per_session if total_capacity is None else total_capacity,
            "total_capacity",
            1,
        )
        if _count(platform_allocated_spots, "platform_allocated_spots") > capacity:
            raise ValidationFailed("platform_allocated_spots", "at_most_total_capacity")
        return cls(
            id=session_id or SessionId(new_uuid()),
            tenant_id=tenant_id,
            activity_id=activity.id,
            venue_id=activity.venue_id,
            session_date=session_date,
            start_time=start_time,
            end_time=end_time,
            timezone=timezone,
            starts_at=local_instant(session_date, start_time, timezone, "start_time"),
            ends_at=local_instant(session_date, end_time, timezone, "end_time"),
            total_capacity=capacity,
            platform_allocated_spots=platform_allocated_spots,
            schedule_id=schedule_id,
        )

    @property
    def time_of_day(self) -> TimeOfDay:
        return TimeOfDay.of(self.start_time)

    @property
    def free_seats(self) -> int:
        return self.total_capacity - self.booked_count - self.offered_count

    def has_started(self, at: datetime) -> bool:
        return at >= self.starts_at

    def require_open(self, at: datetime) -> None:
        """Refuse unless the session can still take bookings or offers."""
        if self.is_cancelled:
            raise SessionNotBookable("the session is cancelled", session_id=str(self.id))
        if self.is_completed or self.has_started(at):
            raise SessionNotBookable("the session has started", session_id=str(self.id))

    def reserve(self, seats: int = 1) -> None:
        """Take ``seats`` free seats for bookings, or ``CapacityExceeded``."""
        if seats > self.free_seats:
            raise CapacityExceeded(
                f"{seats} seats requested, {self.free_seats} free",
                session_id=str(self.id),
                requested=seats,
                free=self.free_seats,
            )
        self.booked_count += seats

    def release(self, seats: int = 1) -> None:
        """Give back seats taken by bookings that were cancelled."""
        if seats > self.booked_count:
            raise ValidationFailed("seats", "at_most_booked_count")
        self.booked_count -= seats

    def hold_for_offer(self) -> None:
        """Hold one free seat for a waitlist offer."""
        if self.free_seats < 1:
            raise CapacityExceeded("no free seat to offer", session_id=str(self.id))
        self.offered_count += 1

    def release_offer(self, *, to_booking: bool = False) -> None:
        """End an offer's hold: the seat is freed, or becomes the accepted booking's."""
        if self.offered_count < 1:
            raise ValidationFailed("offered_count", "positive")
        self.offered_count -= 1
        if to_booking:
            self.booked_count += 1

    def cancel(self, at: datetime, *, reason: str, actor: str | None = None) -> None:
        if self.is_cancelled:
            raise InvalidTransition("session", "cancelled", "cancelled")
        if self.is_completed:
            raise InvalidTransition("session", "completed", "cancelled")
        self.is_cancelled = True
        self.cancellation_reason = reason
        self.cancelled_at = at
        self.cancelled_by = actor
        self.record(
            SessionCancelled(
                tenant_id=self.tenant_id,
                occurred_at=at,
                actor=actor,
                reason=reason,
                session_id=self.id,
                activity_id=self.activity_id,
            )
        )

    def complete(self, at: datetime, *, actor: str | None = None) -> None:
        if self.is_cancelled:
            raise InvalidTransition("session", "cancelled", "completed")
        if self.is_completed:
            raise InvalidTransition("session", "completed", "completed")
        if at < self.ends_at:
            raise RuleViolation("the session has not ended", session_id=str(self.id))
        self.is_completed = True
        self.completed_at = at
        self.record(
            SessionCompleted(
                tenant_id=self.tenant_id, occurred_at=at, actor=actor, session_id=self.id
            )
        )

    def release_inventory(self, at: datetime, lead: timedelta) -> int:
        """From ``lead`` (policy.inventory_release) before start, give the unsold
        platform-allocated spots back to the venue, once. Returns how many."""
        if self.inventory_released:
            return 0
        if at < self.starts_at - lead:
            raise RuleViolation(
                "inventory is released only shortly before start", session_id=str(self.id)
            )
        spots = max(0, self.platform_allocated_spots - self.booked_count)
        self.inventory_released = True
        self.inventory_released_at = at
        self.record(
            InventoryReleased(
                tenant_id=self.tenant_id, occurred_at=at, session_id=self.id, spots=spots
            )
        )
        return spots
