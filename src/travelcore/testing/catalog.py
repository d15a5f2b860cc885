"""Contract suites for the catalog repositories: venues, activities, sessions, schedules."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

import pytest

from travelcore.catalog import (
    Activity,
    RecurringSchedule,
    Session,
    Venue,
    VenueStatus,
)
from travelcore.kernel import AlreadyExists, CapacityExceeded, TenantId
from travelcore.testing.builders import a_session, a_venue, an_activity, at
from travelcore.testing.repositories import RepositoryContract, UowFactory


def add_activity(uow: Any, capacity: int = 10) -> Activity:
    venue = a_venue(uow.tenant_id)
    uow.venues.add(venue)
    activity = an_activity(uow.tenant_id, venue, capacity=capacity)
    uow.activities.add(activity)
    return activity


class VenueRepositoryContract(RepositoryContract):
    repository = "venues"

    def build(self, uow: Any) -> Venue:
        return a_venue(uow.tenant_id, active=False)

    def change(self, entity: Any) -> None:
        entity.status = VenueStatus.SUSPENDED
        entity.rejection_reason = "paperwork"

    def test_slugs_are_unique(self, uow_factory: UowFactory, tenant: TenantId) -> None:
        venue = self.stored(uow_factory, tenant)
        with uow_factory(tenant, None) as uow:
            twin = self.build(uow)
            twin.slug = venue.slug
            with pytest.raises(AlreadyExists):
                uow.venues.add(twin)

    def test_with_status(self, uow_factory: UowFactory, tenant: TenantId) -> None:
        pending = self.stored(uow_factory, tenant)
        with uow_factory(tenant, None) as uow:
            active = a_venue(tenant)
            uow.venues.add(active)
            uow.commit()
        with uow_factory(tenant, None) as uow:
            assert [v.id for v in uow.venues.with_status(VenueStatus.ACTIVE)] == [active.id]
            assert [v.id for v in uow.venues.with_status(VenueStatus.PENDING_APPROVAL)] == [
                pending.id
            ]


class ActivityRepositoryContract(RepositoryContract):
    repository = "activities"

    def build(self, uow: Any) -> Activity:
        venue = a_venue(uow.tenant_id)
        uow.venues.add(venue)
        return an_activity(uow.tenant_id, venue)

    def change(self, entity: Any) -> None:
        entity.is_published = False
        entity.tags = ("outdoor", "messy")

    def test_for_venue(self, uow_factory: UowFactory, tenant: TenantId) -> None:
        activity = self.stored(uow_factory, tenant)
        with uow_factory(tenant, None) as uow:
            uow.activities.add(self.build(uow))
            uow.commit()
        with uow_factory(tenant, None) as uow:
            assert uow.activities.for_venue(activity.venue_id) == [activity]


class SessionRepositoryContract(RepositoryContract):
    repository = "sessions"

    def build(self, uow: Any) -> Session:
        return a_session(uow.tenant_id, add_activity(uow))

    def change(self, entity: Any) -> None:
        entity.booked_count += 2
        entity.offered_count += 1

    def test_seats_never_exceed_capacity(self, uow_factory: UowFactory, tenant: TenantId) -> None:
        session = self.stored(uow_factory, tenant)
        with uow_factory(tenant, None) as uow:
            loaded = uow.sessions.get(session.id)
            loaded.booked_count = loaded.total_capacity
            loaded.offered_count = 1
            with pytest.raises(CapacityExceeded):
                uow.sessions.save(loaded)

    def test_concurrent_seat_changes_conflict(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        from travelcore.kernel import StaleVersion

        session = self.stored(uow_factory, tenant)
        with uow_factory(tenant, None) as uow:
            first = uow.sessions.get(session.id)
        with uow_factory(tenant, None) as uow:
            second = uow.sessions.get(session.id)
            second.reserve(1)
            uow.sessions.save(second)
            uow.commit()
        with uow_factory(tenant, None) as uow:
            first.reserve(1)
            with pytest.raises(StaleVersion):
                uow.sessions.save(first)
        with uow_factory(tenant, None) as uow:
            assert uow.sessions.get(session.id).booked_count == 1

    def test_one_session_per_schedule_and_date(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        with uow_factory(tenant, None) as uow:
            activity = add_activity(uow)
            schedule = a_schedule(tenant, activity)
            uow.schedules.add(schedule)
            first = schedule.generate(activity, schedule.effective_from + timedelta(days=6))[0]
            uow.sessions.add(first)
            uow.commit()
        twin = a_session(tenant, activity, day=first.session_date, start=time(16), end=time(17))
        twin.schedule_id = schedule.id
        with uow_factory(tenant, None) as uow:
            with pytest.raises(AlreadyExists):
                uow.sessions.add(twin)
            assert uow.sessions.find_for_schedule(schedule.id, first.session_date) == first
            day_after = first.session_date + timedelta(days=1)
            assert uow.sessions.find_for_schedule(schedule.id, day_after) is None

    def test_for_activity_filters_dates_and_orders_by_start(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        with uow_factory(tenant, None) as uow:
            activity = add_activity(uow)
            late = a_session(tenant, activity, day=date(2026, 3, 15))
            early = a_session(tenant, activity, day=date(2026, 3, 14), start=time(16), end=time(17))
            earliest = a_session(tenant, activity, day=date(2026, 3, 14))
            outside = a_session(tenant, activity, day=date(2026, 4, 1))
            for session in (late, early, earliest, outside):
                uow.sessions.add(session)
            uow.sessions.add(self.build(uow))
            uow.commit()
        with uow_factory(tenant, None) as uow:
            found = uow.sessions.for_activity(activity.id, date(2026, 3, 1), date(2026, 3, 31))
            assert [s.id for s in found] == [earliest.id, early.id, late.id]
            assert len(uow.sessions.for_activity(activity.id)) == 4

    def test_due_for_release(self, uow_factory: UowFactory, tenant: TenantId) -> None:
        with uow_factory(tenant, None) as uow:
            activity = add_activity(uow)
            soon = a_session(tenant, activity, day=date(2026, 3, 14))
            later = a_session(tenant, activity, day=date(2026, 3, 20))
            released = a_session(tenant, activity, day=date(2026, 3, 13))
            released.inventory_released = True
            cancelled = a_session(tenant, activity, day=date(2026, 3, 12))
            cancelled.is_cancelled = True
            for session in (soon, later, released, cancelled):
                uow.sessions.add(session)
            uow.commit()
        with uow_factory(tenant, None) as uow:
            due = uow.sessions.due_for_release(at(2026, 3, 16))
            assert [s.id for s in due] == [soon.id]


def a_schedule(tenant: TenantId, activity: Activity) -> RecurringSchedule:
    return RecurringSchedule.create(
        tenant,
        activity=activity,
        days_of_week={1, 3},
        start_time=time(15, 30),
        duration_minutes=60,
        capacity=8,
        effective_from=date(2026, 3, 2),
        timezone="America/New_York",
    )


class ScheduleRepositoryContract(RepositoryContract):
    repository = "schedules"

    def build(self, uow: Any) -> RecurringSchedule:
        return a_schedule(uow.tenant_id, add_activity(uow))

    def change(self, entity: Any) -> None:
        entity.sessions_generated_until = date(2026, 4, 30)
        entity.days_of_week = frozenset({0, 6})

    def test_active_lists_only_active_schedules(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        active = self.stored(uow_factory, tenant)
        with uow_factory(tenant, None) as uow:
            inactive = self.build(uow)
            inactive.is_active = False
            uow.schedules.add(inactive)
            uow.commit()
        with uow_factory(tenant, None) as uow:
            assert [s.id for s in uow.schedules.active()] == [active.id]
