"""The weekly venue-score job and curation eligibility, over repositories.

``VenueScoring.run(tenant, now)`` scores every active or suspended venue for the week that
contains ``now`` in the venue's zone: one row per venue-week; re-running writes nothing new
and replaces nothing. The metrics come from a ``VenueMetricsReader``: the generic
``RepositoryMetricsReader`` walks the catalog and booking repositories venue by venue (any
adapter); the PostgreSQL adapter computes them for all venues in one set-based statement.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import Protocol
from uuid import UUID

import attrs

from travelcore.booking.ports import BookingUnitOfWork
from travelcore.catalog.model import Venue, VenueId, VenueStatus
from travelcore.discovery import access
from travelcore.discovery.feedback import ReviewRepository
from travelcore.discovery.scores import (
    DEFAULT_SCORING,
    BookingOutcome,
    ScoringPolicy,
    VenueMetrics,
    VenueScore,
    components,
    is_eligible,
    metrics_of,
    score_change,
    week_start,
    window,
)
from travelcore.kernel import Actor, require_tenant
from travelcore.kernel.clock import Clock, checked_clock
from travelcore.kernel.ids import TenantId
from travelcore.kernel.uow import UnitOfWork

SCORED_STATUSES = (VenueStatus.ACTIVE, VenueStatus.SUSPENDED)


class VenueScoreRepository(Protocol):
    def add_missing(self, scores: list[VenueScore]) -> int:
        """Insert the scores whose venue-week has none yet; how many were written."""
        ...

    def latest(self, before: date | None = None) -> dict[VenueId, VenueScore]:
        """Each venue's most recent score (with ``before``: of a week before it)."""
        ...

    def for_venue(self, venue_id: VenueId) -> list[VenueScore]:
        """Newest week first."""
        ...


class ScoringUnitOfWork(UnitOfWork, Protocol):
    @property
    def venue_scores(self) -> VenueScoreRepository: ...


class VenueMetricsReader(Protocol):
    def metrics(
        self, tenant_id: TenantId, now: datetime, policy: ScoringPolicy
    ) -> dict[VenueId, tuple[date, VenueMetrics]]:
        """For every scored venue: its week (Monday in its zone) and the window's metrics."""
        ...


class _ReaderUnitOfWork(BookingUnitOfWork, Protocol):
    @property
    def reviews(self) -> ReviewRepository: ...


class RepositoryMetricsReader:
    """Metrics through the repository ports, venue by venue (any adapter)."""

    def __init__(self, uow_factory: Callable[[TenantId], _ReaderUnitOfWork]) -> None:
        self._uow_factory = uow_factory

    def metrics(
        self, tenant_id: TenantId, now: datetime, policy: ScoringPolicy
    ) -> dict[VenueId, tuple[date, VenueMetrics]]:
        out: dict[VenueId, tuple[date, VenueMetrics]] = {}
        with self._uow_factory(tenant_id) as uow:
            venues = [v for status in SCORED_STATUSES for v in uow.venues.with_status(status)]
            for venue in venues:
                week = week_start(now, venue.timezone)
                start, end = window(week, venue.timezone, policy)
                outcomes = []
                for activity in uow.activities.for_venue(venue.id):
                    ratings = {
                        r.booking_id: r.rating
                        for r in uow.reviews.for_activity(activity.id, visible_only=True)
                    }
                    sessions = uow.sessions.for_activity(
                        activity.id,
                        (start - timedelta(days=1)).date(),
                        (end + timedelta(days=1)).date(),
                    )
                    for session in sessions:
                        for booking in uow.bookings.for_session(session.id):
                            outcomes.append(
                                BookingOutcome(
                                    child_id=booking.child_id,
                                    status=str(booking.status),
                                    session_ends_at=session.ends_at,
                                    rating=ratings.get(booking.id),
                                )
                            )
                out[venue.id] = (week, metrics_of(outcomes, start, end))
        return out


@attrs.frozen
class ScoringReport:
    written: int
    scores: tuple[VenueScore, ...]


class VenueScoring:
    def __init__(
        self,
        uow_factory: Callable[[TenantId], ScoringUnitOfWork],
        reader: VenueMetricsReader,
        clock: Clock,
        policy: ScoringPolicy = DEFAULT_SCORING,
    ) -> None:
        self._uow_factory = uow_factory
        self._reader = reader
        self._clock = checked_clock(clock)
        self._policy = policy

    def run(self, tenant_id: TenantId, *, actor: Actor) -> ScoringReport:
        require_tenant(actor, tenant_id)
        access.curate(actor)
        now = self._clock.now()
        metrics = self._reader.metrics(tenant_id, now, self._policy)
        with self._uow_factory(tenant_id) as uow:
            weeks = {week for week, _ in metrics.values()}
            previous: dict[date, dict[VenueId, VenueScore]] = {
                week: uow.venue_scores.latest(before=week) for week in weeks
            }
            scores = []
            for venue_id, (week, venue_metrics) in sorted(
                metrics.items(), key=lambda kv: str(kv[0])
            ):
                parts = components(venue_metrics, self._policy)
                scores.append(
                    VenueScore(
                        tenant_id=tenant_id,
                        venue_id=venue_id,
                        week_start=week,
                        components=parts,
                        metrics=venue_metrics,
                        change=score_change(parts.composite, previous[week].get(venue_id)),
                        calculated_at=now,
                    )
                )
            written = uow.venue_scores.add_missing(scores)
            uow.commit()
        return ScoringReport(written, tuple(scores))

    def eligible(
        self,
        tenant_id: TenantId,
        venues: Mapping[VenueId, Venue],
        *,
        min_score: int = 60,
        actor: Actor,
    ) -> set[VenueId]:
        """The venues among ``venues`` that curation may suggest."""
        require_tenant(actor, tenant_id)
        access.curate(actor)
        now = self._clock.now()
        with self._uow_factory(tenant_id) as uow:
            latest = uow.venue_scores.latest()
        return {
            venue_id
            for venue_id, venue in venues.items()
            if is_eligible(
                latest.get(venue_id),
                venue_since=venue.approved_at or now,
                now=now,
                min_score=min_score,
                policy=self._policy,
            )
        }


def score_key(score: VenueScore) -> tuple[UUID, date]:
    return (score.venue_id, score.week_start)
