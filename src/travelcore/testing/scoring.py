"""The contract of the weekly venue-score job: real bookings, attendance, cancellations and
reviews, scored through the ``VenueMetricsReader`` under test.

Provide the fixtures ``uow_factory`` (every repository), ``clock`` (a ``ManualClock`` on a
Monday morning, UTC) and ``reader`` (the ``VenueMetricsReader``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from travelcore.booking import (
    BookingId,
    BookSession,
    CancelSession,
    ConfirmBooking,
    MarkAttendance,
)
from travelcore.catalog import Session, VenueId
from travelcore.discovery.feedback import FeedbackService
from travelcore.discovery.scores import VenueMetrics, components
from travelcore.discovery.scoring import VenueMetricsReader, VenueScoring
from travelcore.kernel import ManualClock, TenantId, zone
from travelcore.testing.actors import admin, job
from travelcore.testing.world import World
from travelcore.vectors import HashingEmbedder


class VenueScoringContract:
    @pytest.fixture
    def world(self, uow_factory: Callable[[TenantId], Any], clock: ManualClock) -> World:
        return World(uow_factory, clock)

    def _book(self, world: World, session: Session, parent: Any, child: Any) -> BookingId:
        receipt = world.bookings.book(
            BookSession(
                tenant_id=world.tenant,
                session_id=session.id,
                child_id=child,
                parent_id=parent,
                idempotency_key=world.key(),
            ),
            actor=admin(world.tenant),
        )
        world.bookings.confirm(
            ConfirmBooking(
                tenant_id=world.tenant, booking_id=receipt.booking_id, idempotency_key=world.key()
            ),
            actor=admin(world.tenant),
        )
        return receipt.booking_id

    def _attend(self, world: World, booking_id: BookingId, attended: bool) -> None:
        world.bookings.mark_attendance(
            MarkAttendance(
                tenant_id=world.tenant,
                booking_id=booking_id,
                attended=attended,
                idempotency_key=world.key(),
            ),
            actor=admin(world.tenant),
        )

    def _history(
        self, world: World, uow_factory: Callable[[TenantId], Any]
    ) -> tuple[VenueId, VenueId]:
        """Venue A: child 1 completes two sessions (reviews 5 and 4), child 2 misses one and
        has one cancelled by the venue. Venue B: no bookings."""
        parent, [one, two] = world.family(
            credits=100, born=[world.clock.now().date().replace(year=2018)] * 2
        )
        first = world.get_session(world.session(starts_in=timedelta(days=1)))
        with uow_factory(world.tenant) as uow:
            activity = uow.activities.get(first.activity_id)
            later = []
            for days in (2, 3):
                start = (world.clock.now() + timedelta(days=days)).astimezone(zone(first.timezone))
                session = Session.create(
                    world.tenant,
                    activity=activity,
                    session_date=start.date(),
                    start_time=start.time().replace(tzinfo=None, microsecond=0),
                    end_time=(start + timedelta(hours=1))
                    .time()
                    .replace(tzinfo=None, microsecond=0),
                    timezone=first.timezone,
                    total_capacity=10,
                )
                uow.sessions.add(session)
                later.append(session)
            uow.commit()
        second, third = later
        done_1 = self._book(world, first, parent, one)
        missed = self._book(world, first, parent, two)
        done_2 = self._book(world, second, parent, one)
        self._book(world, third, parent, two)
        world.bookings.cancel_session(
            CancelSession(
                tenant_id=world.tenant,
                session_id=third.id,
                reason="flood",
                idempotency_key=world.key(),
            ),
            actor=admin(world.tenant),
        )
        world.clock.advance(timedelta(days=2, hours=3))
        self._attend(world, done_1, True)
        self._attend(world, missed, False)
        self._attend(world, done_2, True)
        feedback = FeedbackService(
            uow_factory, world.clock, embedder=HashingEmbedder(8), store=_NoVectors()
        )
        feedback.review(world.tenant, parent, done_1, rating=5, actor=admin(world.tenant))
        feedback.review(world.tenant, parent, done_2, rating=4, actor=admin(world.tenant))
        other = world.get_session(world.session(starts_in=timedelta(days=30)))
        return first.venue_id, other.venue_id

    def test_scores_are_the_formula_of_the_venue_history(
        self,
        world: World,
        uow_factory: Callable[[TenantId], Any],
        reader: VenueMetricsReader,
        clock: ManualClock,
    ) -> None:
        busy, quiet = self._history(world, uow_factory)
        clock.advance(timedelta(days=7) - timedelta(days=2, hours=3))  # next Monday 09:00
        scoring = VenueScoring(uow_factory, reader, clock)
        report = scoring.run(world.tenant, actor=job(world.tenant))
        assert report.written == 2
        by_venue = {s.venue_id: s for s in report.scores}
        expected = VenueMetrics(
            total_bookings=4,
            venue_cancelled=1,
            completed=2,
            no_shows=1,
            review_count=2,
            rating_sum=9,
            children_completed=1,
            children_repeat=1,
        )
        assert by_venue[busy].metrics == expected
        assert by_venue[busy].components == components(expected)
        assert by_venue[busy].composite == Decimal("77.86")
        assert by_venue[quiet].composite == Decimal("50.00")
        assert by_venue[busy].change is None
        with uow_factory(world.tenant) as uow:
            assert uow.venue_scores.for_venue(busy) == [by_venue[busy]]
        assert scoring.eligible(
            world.tenant, _venues(uow_factory, world.tenant), actor=admin(world.tenant)
        ) == {busy}

    def test_rerunning_a_week_writes_nothing_and_the_next_week_has_a_change(
        self,
        world: World,
        uow_factory: Callable[[TenantId], Any],
        reader: VenueMetricsReader,
        clock: ManualClock,
    ) -> None:
        busy, _ = self._history(world, uow_factory)
        clock.advance(timedelta(days=7) - timedelta(days=2, hours=3))
        scoring = VenueScoring(uow_factory, reader, clock)
        first = scoring.run(world.tenant, actor=job(world.tenant))
        clock.advance(timedelta(hours=30))
        assert scoring.run(world.tenant, actor=job(world.tenant)).written == 0
        clock.advance(timedelta(days=6))
        later = scoring.run(world.tenant, actor=job(world.tenant))
        assert later.written == 2
        [score] = [s for s in later.scores if s.venue_id == busy]
        assert score.change == Decimal("0.00")
        [before] = [s for s in first.scores if s.venue_id == busy]
        assert score.week_start == before.week_start + timedelta(days=7)
        with uow_factory(world.tenant) as uow:
            assert [s.week_start for s in uow.venue_scores.for_venue(busy)] == [
                score.week_start,
                score.week_start - timedelta(days=7),
            ]


def _venues(uow_factory: Callable[[TenantId], Any], tenant: TenantId) -> dict[VenueId, Any]:
    from travelcore.catalog import VenueStatus

    with uow_factory(tenant) as uow:
        return {v.id: v for v in uow.venues.with_status(VenueStatus.ACTIVE)}


class _NoVectors:
    """Reviews never touch the vector store."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the vector store was used: {name}")
