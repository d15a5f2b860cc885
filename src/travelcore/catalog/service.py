"""Catalog use cases: venue onboarding, activities, sessions and schedule generation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import TypeVar

import attrs

from travelcore.catalog import access
from travelcore.catalog.model import (
    Activity,
    ActivityCategory,
    ActivityId,
    ScheduleId,
    Session,
    SessionId,
    Venue,
    VenueId,
    VenueStatus,
)
from travelcore.catalog.ports import CatalogUnitOfWork
from travelcore.catalog.schedule import RecurringSchedule
from travelcore.kernel import (
    Actor,
    Clock,
    PolicyProvider,
    StaticPolicies,
    TenantId,
    ValidationFailed,
    checked_clock,
    require_tenant,
    run_use_case,
)
from travelcore.kernel import validation as v

R = TypeVar("R")
UowFactory = Callable[[TenantId], CatalogUnitOfWork]


@attrs.frozen(kw_only=True)
class ApplyVenue:
    tenant_id: TenantId
    name: str
    slug: str
    timezone: str = "America/New_York"
    insurance_coverage: Decimal | None = None
    insurance_expiry_date: date | None = None
    idempotency_key: str | None = None


class VenueAction(StrEnum):
    """What :class:`ChangeVenueStatus` does to a venue."""

    APPROVE = "approve"
    REJECT = "reject"
    SUSPEND = "suspend"
    REINSTATE = "reinstate"


def _venue_action(value: VenueAction | str) -> VenueAction:
    try:
        return VenueAction(value)
    except ValueError as exc:
        raise ValidationFailed("action", "venue_action", f"not a venue action: {value!r}") from exc


@attrs.frozen(kw_only=True)
class ChangeVenueStatus:
    """Approve, reject, suspend or reinstate a venue (``reason`` for reject and suspend)."""

    tenant_id: TenantId
    venue_id: VenueId
    action: VenueAction = attrs.field(converter=_venue_action)
    reason: str | None = None
    idempotency_key: str | None = None


@attrs.frozen(kw_only=True)
class UpdateInsurance:
    tenant_id: TenantId
    venue_id: VenueId
    coverage: Decimal
    expiry_date: date
    idempotency_key: str | None = None


@attrs.frozen(kw_only=True)
class CreateActivity:
    tenant_id: TenantId
    venue_id: VenueId
    name: str
    category: ActivityCategory
    duration_minutes: int
    credits_required: int
    capacity_per_session: int
    min_age: int = 0
    max_age: int = 18
    tags: tuple[str, ...] = ()
    is_published: bool = True
    idempotency_key: str | None = None


@attrs.frozen(kw_only=True)
class ScheduleSession:
    """A one-off session at wall-clock times in ``timezone`` (the venue's by default);
    ``end_time`` defaults to the start plus the activity's duration."""

    tenant_id: TenantId
    activity_id: ActivityId
    session_date: date
    start_time: time
    end_time: time | None = None
    timezone: str | None = None
    total_capacity: int | None = None
    platform_allocated_spots: int = 0
    idempotency_key: str | None = None


@attrs.frozen(kw_only=True)
class CreateSchedule:
    """A recurring schedule; ``days_of_week`` count as ``date.weekday()`` does (Monday = 0
    ... Sunday = 6)."""

    tenant_id: TenantId
    activity_id: ActivityId
    days_of_week: tuple[int, ...]
    start_time: time
    duration_minutes: int
    capacity: int
    effective_from: date
    effective_until: date | None = None
    timezone: str | None = None
    platform_allocated_spots: int = 0
    name: str | None = None
    idempotency_key: str | None = None


@attrs.frozen(kw_only=True)
class GenerateSessions:
    tenant_id: TenantId
    schedule_id: ScheduleId
    through: date
    idempotency_key: str | None = None


@attrs.frozen(kw_only=True)
class Generated:
    schedule_id: ScheduleId
    created: tuple[SessionId, ...]
    generated_until: date | None


class CatalogService:
    """Venue onboarding, activities, sessions and schedules. Its commands are set-up
    commands: their ``idempotency_key`` is optional (without one a command runs each time
    it is sent)."""

    def __init__(
        self, uow_factory: UowFactory, clock: Clock, *, policies: PolicyProvider | None = None
    ) -> None:
        self._uow_factory = uow_factory
        self._clock = checked_clock(clock)
        self._policies = policies or StaticPolicies()

    def apply_venue(self, cmd: ApplyVenue, *, actor: Actor) -> VenueId:
        def action(uow: CatalogUnitOfWork, now: datetime) -> VenueId:
            venue = Venue.apply(
                cmd.tenant_id,
                name=cmd.name,
                slug=cmd.slug,
                timezone=cmd.timezone,
                insurance_coverage=cmd.insurance_coverage,
                insurance_expiry_date=cmd.insurance_expiry_date,
            )
            access.review(actor)
            uow.venues.add(venue)
            return venue.id

        return self._run(cmd.tenant_id, cmd, VenueId, action, actor=actor)

    def change_venue_status(self, cmd: ChangeVenueStatus, *, actor: Actor) -> VenueStatus:
        def action(uow: CatalogUnitOfWork, now: datetime) -> VenueStatus:
            access.review(actor)
            move = cmd.action
            venue = uow.venues.get_for_update(cmd.venue_id)
            if move is VenueAction.APPROVE:
                venue.approve(now, actor=actor.label)
            elif move is VenueAction.REJECT:
                venue.reject(now, reason=cmd.reason or "", actor=actor.label)
            elif move is VenueAction.SUSPEND:
                venue.suspend(now, reason=cmd.reason or "", actor=actor.label)
            else:
                venue.reinstate(now, actor=actor.label)
            uow.venues.save(venue)
            return venue.status

        return self._run(cmd.tenant_id, cmd, VenueStatus, action, actor=actor)

    def update_insurance(self, cmd: UpdateInsurance, *, actor: Actor) -> VenueId:
        def action(uow: CatalogUnitOfWork, now: datetime) -> VenueId:
            venue = uow.venues.get_for_update(cmd.venue_id)
            access.manage(actor, venue.id)
            venue.update_insurance(cmd.coverage, cmd.expiry_date)
            uow.venues.save(venue)
            return venue.id

        return self._run(cmd.tenant_id, cmd, VenueId, action, actor=actor)

    def create_activity(self, cmd: CreateActivity, *, actor: Actor) -> ActivityId:
        def action(uow: CatalogUnitOfWork, now: datetime) -> ActivityId:
            access.manage(actor, uow.venues.get(cmd.venue_id).id)
            activity = Activity.create(
                cmd.tenant_id,
                venue_id=cmd.venue_id,
                name=cmd.name,
                category=cmd.category,
                min_age=cmd.min_age,
                max_age=cmd.max_age,
                duration_minutes=cmd.duration_minutes,
                credits_required=cmd.credits_required,
                capacity_per_session=cmd.capacity_per_session,
                tags=cmd.tags,
                is_published=cmd.is_published,
            )
            uow.activities.add(activity)
            return activity.id

        return self._run(cmd.tenant_id, cmd, ActivityId, action, actor=actor)

    def schedule_session(self, cmd: ScheduleSession, *, actor: Actor) -> SessionId:
        def action(uow: CatalogUnitOfWork, now: datetime) -> SessionId:
            activity = uow.activities.get(cmd.activity_id)
            access.manage(actor, activity.venue_id)
            timezone = cmd.timezone or uow.venues.get(activity.venue_id).timezone
            session = Session.create(
                cmd.tenant_id,
                activity=activity,
                session_date=cmd.session_date,
                start_time=cmd.start_time,
                end_time=cmd.end_time or _after(cmd.start_time, activity.duration_minutes),
                timezone=timezone,
                total_capacity=cmd.total_capacity,
                platform_allocated_spots=cmd.platform_allocated_spots,
            )
            uow.sessions.add(session)
            return session.id

        return self._run(cmd.tenant_id, cmd, SessionId, action, actor=actor)

    def create_schedule(self, cmd: CreateSchedule, *, actor: Actor) -> ScheduleId:
        def action(uow: CatalogUnitOfWork, now: datetime) -> ScheduleId:
            activity = uow.activities.get(cmd.activity_id)
            access.manage(actor, activity.venue_id)
            schedule = RecurringSchedule.create(
                cmd.tenant_id,
                activity=activity,
                days_of_week=cmd.days_of_week,
                start_time=cmd.start_time,
                duration_minutes=cmd.duration_minutes,
                capacity=cmd.capacity,
                effective_from=cmd.effective_from,
                effective_until=cmd.effective_until,
                timezone=cmd.timezone or uow.venues.get(activity.venue_id).timezone,
                platform_allocated_spots=cmd.platform_allocated_spots,
                name=cmd.name,
            )
            uow.schedules.add(schedule)
            return schedule.id

        return self._run(cmd.tenant_id, cmd, ScheduleId, action, actor=actor)

    def generate_sessions(self, cmd: GenerateSessions, *, actor: Actor) -> Generated:
        """Create the schedule's sessions up to ``through``; sessions that already exist
        are left alone, so re-running (or resuming) never duplicates one."""

        def action(uow: CatalogUnitOfWork, now: datetime) -> Generated:
            schedule = uow.schedules.get(cmd.schedule_id)
            activity = uow.activities.get(schedule.activity_id)
            access.manage(actor, activity.venue_id, jobs=True)
            created = []
            for session in schedule.generate(activity, cmd.through):
                if uow.sessions.find_for_schedule(schedule.id, session.session_date) is None:
                    uow.sessions.add(session)
                    created.append(session.id)
            uow.schedules.save(schedule)
            return Generated(
                schedule_id=schedule.id,
                created=tuple(created),
                generated_until=schedule.sessions_generated_until,
            )

        return self._run(cmd.tenant_id, cmd, Generated, action, actor=actor)

    def release_inventory(self, tenant_id: TenantId, *, actor: Actor) -> int:
        """The job: release unsold platform spots of sessions starting within
        ``policy.inventory_release`` (72 h). Returns the number of spots released."""
        require_tenant(actor, tenant_id)
        access.job(actor)
        now = self._clock.now()
        lead = self._policies.policy_for(tenant_id).inventory_release
        released = 0
        with self._uow_factory(tenant_id) as uow:
            for session in uow.sessions.due_for_release(now + lead):
                released += session.release_inventory(now, lead)
                uow.sessions.save(session)
            uow.commit()
        return released

    # queries

    def venue(self, tenant_id: TenantId, venue_id: VenueId, *, actor: Actor) -> Venue:
        v.ids(venue_id=venue_id)
        require_tenant(actor, tenant_id)
        with self._uow_factory(tenant_id) as uow:
            return uow.venues.get(venue_id)

    def activity(self, tenant_id: TenantId, activity_id: ActivityId, *, actor: Actor) -> Activity:
        require_tenant(actor, tenant_id)
        with self._uow_factory(tenant_id) as uow:
            return uow.activities.get(activity_id)

    def session(self, tenant_id: TenantId, session_id: SessionId, *, actor: Actor) -> Session:
        v.ids(session_id=session_id)
        require_tenant(actor, tenant_id)
        with self._uow_factory(tenant_id) as uow:
            return uow.sessions.get(session_id)

    def sessions(
        self,
        tenant_id: TenantId,
        activity_id: ActivityId,
        start: date | None = None,
        end: date | None = None,
        *,
        actor: Actor,
    ) -> list[Session]:
        v.ids(activity_id=activity_id)
        v.check_all({"start": start, "end": end}, {"start": _DAY, "end": _DAY})
        require_tenant(actor, tenant_id)
        with self._uow_factory(tenant_id) as uow:
            return uow.sessions.for_activity(activity_id, start, end)

    def _run(
        self,
        tenant_id: TenantId,
        cmd: object,
        result_type: type[R],
        action: Callable[[CatalogUnitOfWork, datetime], R],
        *,
        actor: Actor,
    ) -> R:
        key: str | None = getattr(cmd, "idempotency_key")  # noqa: B009
        return run_use_case(
            self._uow_factory,
            tenant_id,
            self._clock,
            key,
            cmd,
            result_type,
            action,
            attempts=3,
            actor=actor,
        )


def _after(start: time, minutes: int) -> time:
    """``start`` plus ``minutes`` on the same day (midnight when that runs past it, which
    ``Session.create`` refuses as an end not after the start)."""
    end = datetime.combine(date.min, start) + timedelta(minutes=minutes)
    return end.time() if end.date() == date.min else time(0)


# -- boundary checks -----------------------------------------------------------------------

MAX_DURATION_MINUTES = 24 * 60
MAX_CAPACITY = 10_000
MAX_TAGS = 20
MAX_CREDITS_REQUIRED = 1_000_000
"""A session costs at most what one ledger command may move."""
_KEY = {"idempotency_key": v.optional(v.text(255))}
_DAY = v.optional(v.day)
_ZONE = v.optional(v.time_zone)
_COVERAGE = v.decimal(2, maximum=Decimal(10) ** 10)
_AGE = v.integer(0, 18, rule="between_0_and_18")
v.validated(
    ApplyVenue,
    tenant_id=v.uuid,
    name=v.text(255),
    slug=v.text(255),
    timezone=v.time_zone,
    insurance_coverage=v.optional(_COVERAGE),
    insurance_expiry_date=v.optional(v.day),
    **_KEY,
)
v.validated(
    ChangeVenueStatus,
    tenant_id=v.uuid,
    venue_id=v.uuid,
    action=v.member(VenueAction),
    reason=v.optional(v.text(1_000)),
    **_KEY,
)
v.validated(
    UpdateInsurance,
    tenant_id=v.uuid,
    venue_id=v.uuid,
    coverage=_COVERAGE,
    expiry_date=v.day,
    **_KEY,
)
v.validated(
    CreateActivity,
    tenant_id=v.uuid,
    venue_id=v.uuid,
    name=v.text(255),
    category=v.member(ActivityCategory),
    duration_minutes=v.integer(1, MAX_DURATION_MINUTES),
    credits_required=v.integer(1, MAX_CREDITS_REQUIRED),
    capacity_per_session=v.integer(1, MAX_CAPACITY),
    min_age=_AGE,
    max_age=_AGE,
    tags=v.items(v.text(50), max_items=MAX_TAGS),
    is_published=v.boolean,
    **_KEY,
)
v.validated(
    ScheduleSession,
    tenant_id=v.uuid,
    activity_id=v.uuid,
    session_date=v.day,
    start_time=v.wall_time,
    end_time=v.optional(v.wall_time),
    timezone=_ZONE,
    total_capacity=v.optional(v.integer(1, MAX_CAPACITY)),
    platform_allocated_spots=v.integer(0, MAX_CAPACITY),
    **_KEY,
)
v.validated(
    CreateSchedule,
    tenant_id=v.uuid,
    activity_id=v.uuid,
    days_of_week=v.items(v.integer(0, 6), min_items=1, max_items=7),
    start_time=v.wall_time,
    duration_minutes=v.integer(1, MAX_DURATION_MINUTES),
    capacity=v.integer(1, MAX_CAPACITY),
    effective_from=v.day,
    effective_until=v.optional(v.day),
    timezone=_ZONE,
    platform_allocated_spots=v.integer(0, MAX_CAPACITY),
    name=v.optional(v.text(100)),
    **_KEY,
)
v.validated(GenerateSessions, tenant_id=v.uuid, schedule_id=v.uuid, through=v.day, **_KEY)
