"""Catalog rules: venue workflow and compliance, activities, sessions, schedules and DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import product

import pytest

from travelcore.catalog import (
    Activity,
    ActivityCategory,
    CatalogService,
    ChangeVenueStatus,
    CreateActivity,
    CreateSchedule,
    GenerateSessions,
    RecurringSchedule,
    ScheduleSession,
    Session,
    TimeOfDay,
    Venue,
    VenueNotBookable,
    VenueStatus,
)
from travelcore.catalog.service import ApplyVenue
from travelcore.kernel import (
    InvalidTransition,
    ManualClock,
    RuleViolation,
    StaticPolicies,
    TenantId,
    UserId,
    ValidationFailed,
    new_uuid,
)
from travelcore.people import Child, age_on
from travelcore.testing.actors import admin, job
from travelcore.testing.builders import a_venue, an_activity
from travelcore_adapters.memory import MemoryDatabase

TENANT = TenantId(new_uuid())
NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)
NY = "America/New_York"


def venue(status: VenueStatus) -> Venue:
    v = a_venue(TENANT, active=False)
    v.status = status
    return v


ALLOWED = {
    (VenueStatus.PENDING_APPROVAL, VenueStatus.ACTIVE),
    (VenueStatus.PENDING_APPROVAL, VenueStatus.REJECTED),
    (VenueStatus.ACTIVE, VenueStatus.SUSPENDED),
    (VenueStatus.SUSPENDED, VenueStatus.ACTIVE),
}


@pytest.mark.parametrize(("start", "target"), list(product(VenueStatus, VenueStatus)))
def test_venue_workflow(start: VenueStatus, target: VenueStatus) -> None:
    v = venue(start)

    def move() -> None:
        if target is VenueStatus.ACTIVE:
            if start is VenueStatus.SUSPENDED:
                v.reinstate(NOW)
            else:
                v.approve(NOW)
        elif target is VenueStatus.REJECTED:
            v.reject(NOW, reason="no insurance documents")
        elif target is VenueStatus.SUSPENDED:
            v.suspend(NOW, reason="complaints")
        else:
            v._move(target, NOW, None, None)

    if (start, target) in ALLOWED:
        move()
        assert v.status is target
        assert v.pull_events()[-1].to_status is target  # type: ignore[attr-defined]
    else:
        with pytest.raises(InvalidTransition):
            move()
        assert v.status is start


def test_insurance_below_one_million_is_refused() -> None:
    v = venue(VenueStatus.PENDING_APPROVAL)
    with pytest.raises(ValidationFailed) as error:
        v.update_insurance(Decimal("999999.99"), date(2030, 1, 1))
    assert error.value.field == "insurance_coverage"
    v.update_insurance(Decimal(1_000_000), date(2030, 1, 1))
    assert v.is_compliant(date(2030, 1, 1))
    assert not v.is_compliant(date(2030, 1, 2))


def test_non_compliant_venues_are_neither_approved_nor_bookable() -> None:
    v = Venue.apply(TENANT, name="Bare", slug="bare")
    with pytest.raises(VenueNotBookable):
        v.approve(NOW)
    insured = a_venue(TENANT, insured_until=date(2026, 3, 10))
    assert insured.is_bookable(date(2026, 3, 10))
    assert not insured.is_bookable(date(2026, 3, 11))
    insured.suspend(NOW, reason="audit")
    assert not insured.is_bookable(date(2026, 3, 5))


def test_venue_service_workflow(clock: ManualClock) -> None:
    db = MemoryDatabase()
    service = CatalogService(db, clock, policies=StaticPolicies())
    venue_id = service.apply_venue(
        ApplyVenue(
            tenant_id=TENANT,
            name="Lab",
            slug="lab",
            insurance_coverage=Decimal(2_000_000),
            insurance_expiry_date=date(2027, 1, 1),
            idempotency_key="v",
        ),
        actor=admin(TENANT),
    )
    assert (
        service.venue(TENANT, venue_id, actor=admin(TENANT)).status is VenueStatus.PENDING_APPROVAL
    )
    approve = ChangeVenueStatus(
        tenant_id=TENANT, venue_id=venue_id, action="approve", idempotency_key="a"
    )
    assert (
        service.change_venue_status(approve, actor=admin(approve.tenant_id)) is VenueStatus.ACTIVE
    )
    assert (
        service.change_venue_status(approve, actor=admin(approve.tenant_id)) is VenueStatus.ACTIVE
    )  # idempotent retry
    with pytest.raises(InvalidTransition):
        service.change_venue_status(
            ChangeVenueStatus(
                tenant_id=TENANT,
                venue_id=venue_id,
                action="reject",
                reason="late",
                idempotency_key="r",
            ),
            actor=admin(TENANT),
        )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"min_age": -1}, "min_age"),
        ({"max_age": 19}, "max_age"),
        ({"min_age": 9, "max_age": 8}, "min_age"),
        ({"credits_required": 0}, "credits_required"),
        ({"capacity_per_session": 0}, "capacity_per_session"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"category": "knitting"}, "category"),
    ],
)
def test_activity_validation(changes: dict[str, object], field: str) -> None:
    values: dict[str, object] = {
        "venue_id": new_uuid(),
        "name": "Clay",
        "category": ActivityCategory.ARTS_CRAFTS,
        "min_age": 0,
        "max_age": 18,
        "duration_minutes": 60,
        "credits_required": 1,
        "capacity_per_session": 1,
    }
    Activity.create(TENANT, **values)  # type: ignore[arg-type]
    with pytest.raises(ValidationFailed) as error:
        Activity.create(TENANT, **{**values, **changes})  # type: ignore[arg-type]
    assert error.value.field == field


def _activity() -> Activity:
    return an_activity(TENANT, a_venue(TENANT))


@pytest.mark.parametrize(
    ("start", "part"),
    [
        (time(0), TimeOfDay.MORNING),
        (time(11, 59, 59), TimeOfDay.MORNING),
        (time(12), TimeOfDay.AFTERNOON),
        (time(16, 59, 59), TimeOfDay.AFTERNOON),
        (time(17), TimeOfDay.EVENING),
        (time(22), TimeOfDay.EVENING),
    ],
)
def test_time_of_day(start: time, part: TimeOfDay) -> None:
    session = Session.create(
        TENANT,
        activity=_activity(),
        session_date=date(2026, 5, 1),
        start_time=start,
        end_time=time(23, 30),
        timezone=NY,
    )
    assert session.time_of_day is part


def test_session_end_must_follow_start() -> None:
    with pytest.raises(ValidationFailed) as error:
        Session.create(
            TENANT,
            activity=_activity(),
            session_date=date(2026, 5, 1),
            start_time=time(10),
            end_time=time(10),
            timezone=NY,
        )
    assert error.value.field == "end_time"
    with pytest.raises(ValidationFailed):
        Session.create(
            TENANT,
            activity=_activity(),
            session_date=date(2026, 5, 1),
            start_time=time(10),
            end_time=time(11),
            timezone="Mars/Olympus",
        )


def test_inventory_is_released_72_hours_before_start(clock: ManualClock) -> None:
    db = MemoryDatabase()
    service = CatalogService(db, clock, policies=StaticPolicies())
    activity = _activity()
    with db(TENANT) as uow:
        uow.venues.add(a_venue(TENANT))
        uow.activities.add(activity)
        uow.commit()
    session_id = service.schedule_session(
        ScheduleSession(
            tenant_id=TENANT,
            activity_id=activity.id,
            session_date=date(2026, 3, 9),
            start_time=time(10),
            end_time=time(11),
            timezone="UTC",
            platform_allocated_spots=4,
            idempotency_key="s",
        ),
        actor=admin(TENANT),
    )
    starts_at = datetime(2026, 3, 9, 10, tzinfo=UTC)
    clock.set(starts_at - timedelta(hours=72, microseconds=1))
    assert service.release_inventory(TENANT, actor=job(TENANT)) == 0
    assert not service.session(TENANT, session_id, actor=admin(TENANT)).inventory_released
    clock.set(starts_at - timedelta(hours=72))
    assert service.release_inventory(TENANT, actor=job(TENANT)) == 4
    assert service.release_inventory(TENANT, actor=job(TENANT)) == 0
    session = service.session(TENANT, session_id, actor=admin(TENANT))
    assert session.inventory_released_at == clock.now()
    with pytest.raises(RuleViolation):
        Session.create(
            TENANT,
            activity=activity,
            session_date=date(2026, 4, 1),
            start_time=time(10),
            end_time=time(11),
            timezone="UTC",
            total_capacity=3,
        ).release_inventory(NOW, timedelta(hours=72))


# -- schedules ------------------------------------------------------------------------------


def _service(clock: ManualClock) -> tuple[CatalogService, Activity]:
    db = MemoryDatabase()
    activity = _activity()
    with db(TENANT) as uow:
        uow.venues.add(a_venue(TENANT))
        uow.activities.add(activity)
        uow.commit()
    return CatalogService(db, clock, policies=StaticPolicies()), activity


def _schedule(service: CatalogService, activity: Activity, **extra: object) -> object:
    values: dict[str, object] = {
        "tenant_id": TENANT,
        "activity_id": activity.id,
        "days_of_week": tuple(range(7)),
        "start_time": time(9),
        "duration_minutes": 60,
        "capacity": 6,
        "effective_from": date(2026, 3, 2),
        "timezone": NY,
        "idempotency_key": "sched",
    }
    values.update(extra)
    cmd = CreateSchedule(**values)  # type: ignore[arg-type]
    return service.create_schedule(cmd, actor=admin(cmd.tenant_id))


def _generate(service: CatalogService, schedule_id: object, through: date, key: str):  # type: ignore[no-untyped-def]
    return service.generate_sessions(
        GenerateSessions(
            tenant_id=TENANT,
            schedule_id=schedule_id,
            through=through,  # type: ignore[arg-type]
            idempotency_key=key,
        ),
        actor=job(TENANT),
    )


def test_generation_is_idempotent_and_resumable(clock: ManualClock) -> None:
    service, activity = _service(clock)
    schedule_id = _schedule(
        service, activity, days_of_week=(0, 2, 4)
    )  # Mon Wed Fri, as date.weekday()
    first = _generate(service, schedule_id, date(2026, 3, 8), "g1")
    assert len(first.created) == 3
    assert first.generated_until == date(2026, 3, 8)
    assert _generate(service, schedule_id, date(2026, 3, 8), "g2").created == ()
    second = _generate(service, schedule_id, date(2026, 3, 15), "g3")
    assert len(second.created) == 3
    sessions = service.sessions(TENANT, activity.id, actor=admin(TENANT))
    assert [s.session_date.isoweekday() for s in sessions] == [1, 3, 5, 1, 3, 5]
    assert len({s.id for s in sessions}) == 6


def test_a_lost_progress_marker_still_never_duplicates(clock: ManualClock) -> None:
    service, activity = _service(clock)
    schedule_id = _schedule(service, activity)
    _generate(service, schedule_id, date(2026, 3, 4), "g1")
    db = service._uow_factory
    with db(TENANT) as uow:
        schedule = uow.schedules.get(schedule_id)  # type: ignore[arg-type]
        schedule.sessions_generated_until = None
        uow.schedules.save(schedule)
        uow.commit()
    again = _generate(service, schedule_id, date(2026, 3, 5), "g2")
    assert len(again.created) == 1
    assert len(service.sessions(TENANT, activity.id, actor=admin(TENANT))) == 4


def test_effective_until_bounds_generation(clock: ManualClock) -> None:
    service, activity = _service(clock)
    schedule_id = _schedule(service, activity, effective_until=date(2026, 3, 3))
    result = _generate(service, schedule_id, date(2026, 3, 31), "g")
    assert len(result.created) == 2
    assert result.generated_until == date(2026, 3, 3)


def test_spring_forward_keeps_the_wall_clock_time(clock: ManualClock) -> None:
    service, activity = _service(clock)
    schedule_id = _schedule(service, activity, effective_from=date(2026, 3, 5))
    _generate(service, schedule_id, date(2026, 3, 11), "g")
    sessions = service.sessions(TENANT, activity.id, actor=admin(TENANT))
    assert [s.start_time for s in sessions] == [time(9)] * 7
    utc_hours = {s.session_date.day: s.starts_at.hour for s in sessions}
    assert utc_hours == {5: 14, 6: 14, 7: 14, 8: 13, 9: 13, 10: 13, 11: 13}
    assert all(s.ends_at - s.starts_at == timedelta(hours=1) for s in sessions)


def test_fall_back_keeps_the_wall_clock_time(clock: ManualClock) -> None:
    service, activity = _service(clock)
    schedule_id = _schedule(service, activity, effective_from=date(2026, 10, 29))
    _generate(service, schedule_id, date(2026, 11, 4), "g")
    sessions = service.sessions(TENANT, activity.id, actor=admin(TENANT))
    utc_hours = {s.session_date.day: s.starts_at.hour for s in sessions}
    assert utc_hours == {29: 13, 30: 13, 31: 13, 1: 14, 2: 14, 3: 14, 4: 14}


def test_a_schedule_has_no_session_on_the_day_its_time_falls_in_the_spring_gap() -> None:
    schedule = RecurringSchedule.create(
        TENANT,
        activity=_activity(),
        days_of_week={6},  # Sunday
        start_time=time(2, 30),
        duration_minutes=60,
        capacity=5,
        effective_from=date(2026, 3, 1),
        timezone=NY,
    )
    sessions = schedule.generate(_activity_for(schedule), date(2026, 3, 15))
    assert [s.session_date for s in sessions] == [date(2026, 3, 1), date(2026, 3, 15)]
    assert schedule.sessions_generated_until == date(2026, 3, 15)


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [(time(2, 30), time(3, 30), "start_time"), (time(1, 30), time(2, 15), "end_time")],
)
def test_a_session_at_a_wall_time_that_does_not_exist_is_refused(
    start: time, end: time, field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        Session.create(
            TENANT,
            activity=_activity(),
            session_date=date(2026, 3, 8),
            start_time=start,
            end_time=end,
            timezone=NY,
        )
    assert (refused.value.field, refused.value.rule) == (field, "exists_in_time_zone")


def test_an_ambiguous_wall_time_is_its_first_occurrence() -> None:
    session = Session.create(
        TENANT,
        activity=_activity(),
        session_date=date(2026, 11, 1),
        start_time=time(1, 30),
        end_time=time(2, 30),
        timezone=NY,
    )
    assert session.starts_at == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT
    assert session.ends_at == datetime(2026, 11, 1, 7, 30, tzinfo=UTC)  # 02:30 EST


def _activity_for(schedule: RecurringSchedule) -> Activity:
    activity = _activity()
    activity.id = schedule.activity_id
    return activity


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"days_of_week": set()}, "days_of_week"),
        ({"days_of_week": {7}}, "days_of_week"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"start_time": time(23, 30)}, "duration_minutes"),
        ({"capacity": 0}, "capacity"),
        ({"effective_until": date(2026, 1, 1)}, "effective_until"),
        ({"timezone": "Nowhere/Land"}, "timezone"),
    ],
)
def test_schedule_validation(changes: dict[str, object], field: str) -> None:
    values: dict[str, object] = {
        "activity": _activity(),
        "days_of_week": {1},
        "start_time": time(9),
        "duration_minutes": 60,
        "capacity": 5,
        "effective_from": date(2026, 3, 2),
        "timezone": NY,
    }
    with pytest.raises(ValidationFailed) as error:
        RecurringSchedule.create(TENANT, **{**values, **changes})  # type: ignore[arg-type]
    assert error.value.field == field


# -- people ---------------------------------------------------------------------------------


def test_age_on_a_day() -> None:
    assert age_on(date(2018, 5, 1), date(2026, 4, 30)) == 7
    assert age_on(date(2018, 5, 1), date(2026, 5, 1)) == 8
    assert age_on(date(2016, 2, 29), date(2026, 2, 28)) == 9
    assert age_on(date(2016, 2, 29), date(2026, 3, 1)) == 10


def test_child_validation_and_consent() -> None:
    parent = UserId(new_uuid())
    with pytest.raises(ValidationFailed):
        Child.create(
            TENANT,
            parent_id=parent,
            first_name="A",
            date_of_birth=date(2027, 1, 1),
            today=date(2026, 1, 1),
        )
    with pytest.raises(ValidationFailed):
        Child.create(
            TENANT,
            parent_id=parent,
            first_name="A",
            date_of_birth=date(2018, 1, 1),
            today=date(2026, 1, 1),
            interests=("stem", "juggling"),
        )
    child = Child.create(
        TENANT,
        parent_id=parent,
        first_name="A",
        date_of_birth=date(2018, 1, 1),
        today=date(2026, 1, 1),
        interests=("stem",),
        activities_to_avoid=("messy",),
        accessibility_needs=("sensory_friendly",),
    )
    child.give_consent(NOW)
    child.give_consent(NOW + timedelta(days=1))
    assert child.parental_consent_at == NOW


def test_create_activity_through_the_service(clock: ManualClock) -> None:
    db = MemoryDatabase()
    service = CatalogService(db, clock, policies=StaticPolicies())
    v = a_venue(TENANT)
    with db(TENANT) as uow:
        uow.venues.add(v)
        uow.commit()
    activity_id = service.create_activity(
        CreateActivity(
            tenant_id=TENANT,
            venue_id=v.id,
            name="Drums",
            category=ActivityCategory.MUSIC,
            min_age=6,
            max_age=10,
            duration_minutes=45,
            credits_required=3,
            capacity_per_session=8,
            idempotency_key="act",
        ),
        actor=admin(TENANT),
    )
    with db(TENANT) as uow:
        assert uow.activities.get(activity_id).category is ActivityCategory.MUSIC


def test_one_call_generates_at_most_400_days(clock: ManualClock) -> None:
    service, activity = _service(clock)
    schedule_id = _schedule(service, activity, days_of_week=(0,))  # Mondays from 2026-03-02
    start = date(2026, 3, 2)
    with pytest.raises(ValidationFailed) as err:
        _generate(service, schedule_id, date(9999, 12, 31), "far")
    assert (err.value.field, err.value.rule) == ("through", "max_400_days")
    with pytest.raises(ValidationFailed):
        _generate(service, schedule_id, start + timedelta(days=400), "past")
    assert service.sessions(TENANT, activity.id, actor=admin(TENANT)) == []
    first = _generate(service, schedule_id, start + timedelta(days=399), "at")
    assert first.generated_until == start + timedelta(days=399)
    assert len(first.created) == 58  # Mondays in 400 days from a Monday
    resumed = _generate(service, schedule_id, start + timedelta(days=799), "resumed")
    assert len(resumed.created) == 57
