"""The contract of search enrichment (``ActivityReader``): which candidates come back and
with which next sessions.

Subclass and provide the fixtures ``uow_factory`` (``(TenantId) -> unit of work`` with the
catalog repositories), ``clock`` and ``reader`` (``(uow_factory) -> ActivityReader``, built
with the default 30-day horizon and three sessions shown).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from travelcore.catalog import Activity, Session, TimeOfDay, VenueStatus
from travelcore.discovery.intent import DAYS, SearchIntent
from travelcore.discovery.search import ActivityReader, ActivityView, SessionSlot
from travelcore.kernel import ManualClock, TenantId, new_uuid, zone
from travelcore.testing.builders import a_venue, an_activity

ZONE = "America/New_York"
SHOWN = 3


@attrs.define
class ReaderWorld:
    """A tenant's catalog in which one activity (``open``) has open sessions and every other
    activity is one reason to leave a candidate out."""

    tenant: TenantId
    now: datetime
    open: Activity
    open_sessions: list[Session]
    """The sessions of ``open`` that are neither cancelled, completed nor full."""
    left_out: dict[str, str]
    """Why each other candidate is left out, by activity id."""


def _session(activity: Activity, day: date, start: time, **changes: Any) -> Session:
    session = Session.create(
        activity.tenant_id,
        activity=activity,
        session_date=day,
        start_time=start,
        end_time=time(start.hour + 1, start.minute),
        timezone=ZONE,
        total_capacity=6,
    )
    return attrs.evolve(session, **changes)


def build(uow_factory: Callable[[TenantId], Any], now: datetime) -> ReaderWorld:
    tenant = TenantId(new_uuid())
    today = now.astimezone(zone(ZONE)).date()
    starts = [time(9), time(15, 30), time(18)]
    left_out: dict[str, str] = {}
    with uow_factory(tenant) as uow:
        venue = a_venue(tenant)
        uow.venues.add(venue)
        activity = an_activity(tenant, venue)
        uow.activities.add(activity)
        # a session every day of the next five weeks at one of the three times, some not open
        sessions, open_sessions = [], []
        for offset in range(-2, 36):
            day = today + timedelta(days=offset)
            session = _session(activity, day, starts[offset % 3])
            if offset % 7 == 1:
                session = attrs.evolve(session, booked_count=4, offered_count=2)  # full
            elif offset % 7 == 3:
                session = attrs.evolve(session, is_cancelled=True, cancelled_at=now)
            elif offset % 11 == 5:
                session = attrs.evolve(session, is_completed=True, completed_at=now)
            elif offset % 5 == 2:
                session = attrs.evolve(session, booked_count=5)  # one seat left: open
            sessions.append(session)
            if session.free_seats > 0 and not session.is_cancelled and not session.is_completed:
                open_sessions.append(session)
        for session in sessions:
            uow.sessions.add(session)

        def other(reason: str, act: Activity) -> None:
            uow.activities.add(act)
            uow.sessions.add(_session(act, today + timedelta(days=2), time(10)))
            left_out[str(act.id)] = reason

        other("unpublished", attrs.evolve(an_activity(tenant, venue), is_published=False))
        other("inactive", attrs.evolve(an_activity(tenant, venue), is_active=False))
        pending = a_venue(tenant, active=False)
        uow.venues.add(pending)
        other("venue not active", an_activity(tenant, pending))
        suspended = attrs.evolve(a_venue(tenant), status=VenueStatus.SUSPENDED)
        uow.venues.add(suspended)
        other("venue suspended", an_activity(tenant, suspended))
        uninsured = a_venue(tenant, insured_until=today - timedelta(days=1))
        uow.venues.add(uninsured)
        other("venue insurance expired", an_activity(tenant, uninsured))
        bare = an_activity(tenant, venue)
        uow.activities.add(bare)
        left_out[str(bare.id)] = "no sessions"
        full = an_activity(tenant, venue)
        uow.activities.add(full)
        uow.sessions.add(
            _session(full, today + timedelta(days=3), time(10), booked_count=6, offered_count=0)
        )
        left_out[str(full.id)] = "every session full"
        late = an_activity(tenant, venue)
        uow.activities.add(late)
        uow.sessions.add(_session(late, today + timedelta(days=40), time(10)))
        left_out[str(late.id)] = "sessions beyond the horizon only"
        uow.commit()
    return ReaderWorld(
        tenant=tenant, now=now, open=activity, open_sessions=open_sessions, left_out=left_out
    )


def expected_slots(
    world: ReaderWorld, intent: SearchIntent, after: datetime
) -> tuple[SessionSlot, ...]:
    """The open activity's first sessions after ``after`` within the 30-day horizon that fit
    the intent (written out plainly)."""
    last_day = (after + timedelta(days=30)).date()
    fitting = [
        s
        for s in world.open_sessions
        if s.starts_at > after
        and after.date() <= s.session_date <= last_day
        and (not intent.days or DAYS[s.session_date.weekday()] in intent.days)
        and (not intent.times_of_day or s.time_of_day in intent.times_of_day)
    ]
    return tuple(
        SessionSlot(
            session_id=s.id,
            session_date=s.session_date,
            starts_at=s.starts_at,
            free_seats=s.free_seats,
            time_of_day=s.time_of_day,
        )
        for s in sorted(fitting, key=lambda s: (s.starts_at, s.id))[:SHOWN]
    )


class ActivityReaderContract:
    @pytest.fixture
    def world(self, uow_factory: Callable[[TenantId], Any], clock: ManualClock) -> ReaderWorld:
        return build(uow_factory, clock.now())

    @pytest.fixture
    def activity_reader(
        self,
        reader: Callable[[Callable[[TenantId], Any]], ActivityReader],
        uow_factory: Callable[[TenantId], Any],
    ) -> ActivityReader:
        return reader(uow_factory)

    def test_an_open_activity_comes_with_its_next_open_sessions(
        self, world: ReaderWorld, activity_reader: ActivityReader
    ) -> None:
        key = str(world.open.id)
        views = activity_reader.views(world.tenant, [key], after=world.now, intent=SearchIntent())
        a = world.open
        assert views == {
            key: ActivityView(
                activity_id=key,
                name=a.name,
                category=str(a.category),
                tags=frozenset(a.tags),
                credits=a.credits_required,
                min_age=a.min_age,
                max_age=a.max_age,
                venue_id=str(a.venue_id),
                venue_name=views[key].venue_name,
                next_sessions=expected_slots(world, SearchIntent(), world.now),
            )
        }
        assert views[key].venue_name.startswith("Venue ")
        assert len(views[key].next_sessions) == SHOWN

    def test_candidates_without_an_open_session_or_bookable_venue_are_left_out(
        self, world: ReaderWorld, activity_reader: ActivityReader
    ) -> None:
        candidates = [*world.left_out, "not-a-uuid", str(new_uuid()), str(world.open.id)]
        views = activity_reader.views(
            world.tenant, candidates, after=world.now, intent=SearchIntent()
        )
        assert list(views) == [str(world.open.id)]

    def test_another_tenants_activities_are_not_seen(
        self, world: ReaderWorld, activity_reader: ActivityReader
    ) -> None:
        views = activity_reader.views(
            TenantId(new_uuid()), [str(world.open.id)], after=world.now, intent=SearchIntent()
        )
        assert views == {}

    def test_the_views_follow_the_order_of_the_candidates(
        self, world: ReaderWorld, activity_reader: ActivityReader
    ) -> None:
        assert activity_reader.views(world.tenant, [], after=world.now, intent=SearchIntent()) == {}
        key = str(world.open.id)
        twice = activity_reader.views(
            world.tenant, [key, key.upper()], after=world.now, intent=SearchIntent()
        )
        assert list(twice) == [key, key.upper()]
        assert twice[key].next_sessions == twice[key.upper()].next_sessions
        assert twice[key.upper()].activity_id == key.upper()

    @settings(
        max_examples=25,
        deadline=None,
        # The world is only read. The method runs once per adapter subclass, which is what
        # differing_executors reports.
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.differing_executors,
        ],
    )
    @given(
        days=st.frozensets(st.sampled_from(DAYS)),
        times=st.frozensets(st.sampled_from(list(TimeOfDay))),
        hours=st.integers(min_value=0, max_value=24 * 33),
    )
    def test_sessions_fit_the_intents_days_and_times(
        self,
        world: ReaderWorld,
        activity_reader: ActivityReader,
        days: frozenset[str],
        times: frozenset[TimeOfDay],
        hours: int,
    ) -> None:
        intent = SearchIntent(days=days, times_of_day=times)
        after = world.now + timedelta(hours=hours)
        key = str(world.open.id)
        views = activity_reader.views(world.tenant, [key], after=after, intent=intent)
        slots = expected_slots(world, intent, after)
        if slots:
            assert views[key].next_sessions == slots
        else:
            assert key not in views
