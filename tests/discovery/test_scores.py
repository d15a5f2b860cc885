"""The venue performance score against a plain reference implementation."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from uuid import UUID
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from travelcore.catalog import VenueId
from travelcore.discovery.scores import (
    BookingOutcome,
    VenueMetrics,
    VenueScore,
    components,
    is_eligible,
    metrics_of,
    week_start,
    window,
)
from travelcore.kernel import TenantId, ValidationFailed

ZONE = "America/New_York"
WEEK = date(2026, 3, 9)  # a Monday, the day after the change to daylight saving time
CHILDREN = [UUID(int=i) for i in range(1, 6)]
STATUSES = ["pending", "confirmed", "completed", "cancelled_parent", "cancelled_venue", "no_show"]


def reference(history: list[BookingOutcome], week: date, timezone: str) -> dict[str, Decimal]:
    """The formula of the specification, written out plainly in exact fractions."""
    tz = ZoneInfo(timezone)
    end = datetime(week.year, week.month, week.day, tzinfo=tz)
    start_day = week - timedelta(days=84)
    start = datetime(start_day.year, start_day.month, start_day.day, tzinfo=tz)
    rows = [b for b in history if start <= b.session_ends_at < end]
    ratings = [b.rating for b in rows if b.rating is not None]
    f = (
        100 * ((Fraction(35, 2) + sum(ratings)) / (5 + len(ratings)) - 1) / 4
        if ratings
        else Fraction(50)
    )
    completed: dict[UUID, int] = {}
    for b in rows:
        if b.status == "completed":
            completed[b.child_id] = completed.get(b.child_id, 0) + 1
    repeaters = len([c for c, n in completed.items() if n >= 2])
    r = Fraction(100 * repeaters, len(completed)) if completed else Fraction(50)
    cancelled = len([b for b in rows if b.status == "cancelled_venue"])
    c = 100 - Fraction(100 * cancelled, len(rows)) if rows else Fraction(50)
    done = len([b for b in rows if b.status == "completed"])
    missed = len([b for b in rows if b.status == "no_show"])
    n = 100 - Fraction(100 * missed, done + missed) if done + missed else Fraction(50)
    composite = Fraction(40, 100) * f + Fraction(25, 100) * r + Fraction(20, 100) * c
    composite += Fraction(15, 100) * n

    def q(x: Fraction) -> Decimal:
        return Decimal(math.floor(x * 100 + Fraction(1, 2))) / 100

    return {
        "feedback": q(f),
        "repeat": q(r),
        "cancellation": q(c),
        "no_show": q(n),
        "composite": q(composite),
    }


instants = st.integers(-16 * 7 * 24, 2 * 7 * 24).map(
    lambda hours: datetime(2026, 3, 9, 5, tzinfo=UTC) + timedelta(hours=hours)
)
outcomes = st.builds(
    BookingOutcome,
    child_id=st.sampled_from(CHILDREN),
    status=st.sampled_from(STATUSES),
    session_ends_at=instants,
    rating=st.none() | st.integers(1, 5),
)


@given(st.lists(outcomes, max_size=40))
def test_the_score_is_the_formula_and_stays_in_0_to_100(history: list[BookingOutcome]) -> None:
    start, end = window(WEEK, ZONE)
    got = components(metrics_of(history, start, end))
    expected = reference(history, WEEK, ZONE)
    assert {k: getattr(got, k) for k in expected} == expected
    for value in expected.values():
        assert Decimal(0) <= value <= Decimal(100)
    for field in ("feedback", "repeat", "cancellation", "no_show", "composite"):
        assert getattr(got, field).as_tuple().exponent == -2


def test_no_bookings_means_every_component_is_50() -> None:
    got = components(VenueMetrics())
    assert (got.feedback, got.repeat, got.cancellation, got.no_show, got.composite) == (
        Decimal("50.00"),
    ) * 5
    assert got.average_rating is None


def test_a_worked_example() -> None:
    # 1 review of 5 stars: r = (17.5 + 5) / 6 = 3.75, F = 68.75; 2 children, 1 repeats: R = 50;
    # 1 of 4 bookings cancelled by the venue: C = 75; 3 completed, 0 no-shows: N = 100.
    got = components(
        VenueMetrics(
            total_bookings=4,
            venue_cancelled=1,
            completed=3,
            review_count=1,
            rating_sum=5,
            children_completed=2,
            children_repeat=1,
        )
    )
    assert got.feedback == Decimal("68.75")
    assert got.composite == Decimal("70.00")  # 27.5 + 12.5 + 15 + 15
    assert (got.venue_cancellation_rate, got.repeat_booking_rate) == (
        Decimal("25.00"),
        Decimal("50.00"),
    )


def test_an_exact_tie_rounds_up() -> None:
    # F = 39.0625, R = 0, C = 100, N = 33.33...: composite = 40.625 exactly -> 40.63
    got = components(
        VenueMetrics(
            total_bookings=4,
            completed=1,
            no_shows=2,
            review_count=3,
            rating_sum=3,
            children_completed=1,
        )
    )
    assert got.composite == Decimal("40.63")


def test_rounding_is_half_up() -> None:
    got = components(VenueMetrics(total_bookings=8, venue_cancelled=1))
    assert got.cancellation == Decimal("87.50")
    tie = components(VenueMetrics(total_bookings=16 * 25, venue_cancelled=1))  # 99.75 exact
    assert tie.cancellation == Decimal("99.75")
    odd = components(VenueMetrics(total_bookings=800, venue_cancelled=1))  # 99.875 -> 99.88
    assert odd.cancellation == Decimal("99.88")


def test_the_window_is_the_12_weeks_before_monday_in_the_venue_zone() -> None:
    start, end = window(WEEK, ZONE)
    assert end == datetime(2026, 3, 9, tzinfo=ZoneInfo(ZONE))
    assert start == datetime(2025, 12, 15, tzinfo=ZoneInfo(ZONE))
    at_end = BookingOutcome(child_id=CHILDREN[0], status="completed", session_ends_at=end)
    at_start = BookingOutcome(child_id=CHILDREN[0], status="completed", session_ends_at=start)
    assert metrics_of([at_end, at_start], start, end).completed == 1
    with pytest.raises(ValidationFailed):
        window(date(2026, 3, 10), ZONE)


def test_the_week_starts_on_monday_in_the_venue_zone() -> None:
    sunday_night_local = datetime(2026, 3, 16, 3, 30, tzinfo=UTC)  # 23:30 Sunday in New York
    assert week_start(sunday_night_local, ZONE) == WEEK
    assert week_start(sunday_night_local, "Europe/Paris") == date(2026, 3, 16)


def _score(composite: str) -> VenueScore:
    metrics = VenueMetrics()
    return VenueScore(
        tenant_id=TenantId(UUID(int=1)),
        venue_id=VenueId(UUID(int=2)),
        week_start=WEEK,
        components=attrs.evolve(components(metrics), composite=Decimal(composite)),
        metrics=metrics,
        change=None,
        calculated_at=datetime(2026, 3, 9, tzinfo=UTC),
    )


def test_eligibility_for_curation() -> None:
    now = datetime(2026, 3, 9, tzinfo=UTC)
    old = now - timedelta(weeks=20)
    assert is_eligible(_score("60.00"), venue_since=old, now=now)
    assert not is_eligible(_score("59.99"), venue_since=old, now=now)
    assert is_eligible(None, venue_since=now - timedelta(weeks=8) + timedelta(seconds=1), now=now)
    assert not is_eligible(None, venue_since=now - timedelta(weeks=8), now=now)
    assert is_eligible(_score("55.00"), venue_since=old, now=now, min_score=50)


def test_impossible_metrics_are_refused() -> None:
    with pytest.raises(ValidationFailed) as info:
        VenueMetrics(total_bookings=1, completed=2)
    assert info.value.field == "total_bookings"
    with pytest.raises(ValidationFailed):
        VenueMetrics(review_count=1, rating_sum=6)
    with pytest.raises(ValidationFailed):
        BookingOutcome(child_id=CHILDREN[0], status="lost", session_ends_at=datetime.now(UTC))
