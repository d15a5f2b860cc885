"""The weekly venue performance score and curation eligibility (pure rules).

Over the trailing ``window_weeks`` (12) of sessions that ended before the score week's Monday
(in the venue's zone):

- feedback ``F = 100·(r̄-1)/4`` with the Bayesian average ``r̄ = (k·m + Σ ratings)/(k + n)``
  (prior mean ``m`` = 3.5 stars, prior weight ``k`` = 5 reviews);
- repeat ``R = 100 ·`` share of the children with a completed booking who have at least 2;
- cancellation ``C = 100·(1 - venue-cancelled / all bookings)``;
- no-show ``N = 100·(1 - no-shows / (completed + no-shows))``;
- a component without data (no reviews, no completed bookings, no bookings, nothing
  completed or missed) is 50;
- ``composite = 0.40F + 0.25R + 0.20C + 0.15N``.

Components and composite are computed exactly (fractions) and stored as Decimals with 2
places, rounded half-up; the rates of the raw metrics likewise (percentages).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any
from uuid import UUID

import attrs

from travelcore.catalog.model import VenueId
from travelcore.kernel.clock import zone
from travelcore.kernel.errors import ValidationFailed
from travelcore.kernel.ids import TenantId

HUNDRED = Fraction(100)
NEUTRAL = Fraction(50)


def _fraction(instance: object, attribute: attrs.Attribute[Fraction], value: Any) -> None:
    if not isinstance(value, Fraction | int) or isinstance(value, bool) or value < 0:
        raise ValidationFailed(attribute.name, "non_negative_number")


@attrs.frozen(kw_only=True)
class ScoringPolicy:
    """The constants of the score (each a policy parameter)."""

    prior_mean: Fraction = attrs.field(default=Fraction(7, 2), validator=_fraction)
    prior_weight: int = 5
    feedback_weight: Fraction = attrs.field(default=Fraction(40, 100), validator=_fraction)
    repeat_weight: Fraction = attrs.field(default=Fraction(25, 100), validator=_fraction)
    cancellation_weight: Fraction = attrs.field(default=Fraction(20, 100), validator=_fraction)
    no_show_weight: Fraction = attrs.field(default=Fraction(15, 100), validator=_fraction)
    window_weeks: int = 12
    new_venue_weeks: int = 8

    def __attrs_post_init__(self) -> None:
        weights = (
            self.feedback_weight + self.repeat_weight + self.cancellation_weight
        ) + self.no_show_weight
        if weights != 1:
            raise ValidationFailed("weights", "sum_to_1")
        if not 1 <= self.prior_mean <= 5:
            raise ValidationFailed("prior_mean", "between_1_and_5")
        if self.prior_weight < 0:
            raise ValidationFailed("prior_weight", "non_negative")
        if self.window_weeks < 1 or self.new_venue_weeks < 0:
            raise ValidationFailed("window_weeks", "positive")


DEFAULT_SCORING = ScoringPolicy()
BOOKING_STATUSES = frozenset(
    {"pending", "confirmed", "completed", "cancelled_parent", "cancelled_venue", "no_show"}
)


@attrs.frozen(kw_only=True)
class BookingOutcome:
    """One booking at the venue, as the score reads it."""

    child_id: UUID
    status: str
    session_ends_at: datetime
    rating: int | None = None  # the booking's visible review, if any

    def __attrs_post_init__(self) -> None:
        if self.status not in BOOKING_STATUSES:
            raise ValidationFailed("status", "booking_status")
        if self.rating is not None and not 1 <= self.rating <= 5:
            raise ValidationFailed("rating", "between_1_and_5")


@attrs.frozen(kw_only=True)
class VenueMetrics:
    """The raw counts of one venue over the window (what set-based SQL returns per venue)."""

    total_bookings: int = 0
    venue_cancelled: int = 0
    completed: int = 0
    no_shows: int = 0
    review_count: int = 0
    rating_sum: int = 0
    children_completed: int = 0
    children_repeat: int = 0

    def __attrs_post_init__(self) -> None:
        for field in attrs.fields(VenueMetrics):
            if getattr(self, field.name) < 0:
                raise ValidationFailed(field.name, "non_negative")
        if self.venue_cancelled + self.completed + self.no_shows > self.total_bookings:
            raise ValidationFailed("total_bookings", "at_least_its_parts")
        if self.children_repeat > self.children_completed:
            raise ValidationFailed("children_repeat", "at_most_children_completed")
        if not self.review_count <= self.rating_sum <= 5 * self.review_count:
            raise ValidationFailed("rating_sum", "between_1_and_5_per_review")


@attrs.frozen(kw_only=True)
class ScoreComponents:
    feedback: Decimal
    repeat: Decimal
    cancellation: Decimal
    no_show: Decimal
    composite: Decimal
    average_rating: Decimal | None
    repeat_booking_rate: Decimal | None
    venue_cancellation_rate: Decimal | None
    parent_no_show_rate: Decimal | None


@attrs.frozen(kw_only=True)
class VenueScore:
    """One row per venue-week (seed ``venue_performance_scores``)."""

    tenant_id: TenantId
    venue_id: VenueId
    week_start: date
    components: ScoreComponents
    metrics: VenueMetrics
    change: Decimal | None
    calculated_at: datetime

    @property
    def composite(self) -> Decimal:
        return self.components.composite


def cents(value: Fraction) -> Decimal:
    """A fraction as a Decimal with 2 places, rounded half-up (exactly, no float, no
    intermediate rounding)."""
    scaled = abs(value) * 100
    whole, rest = divmod(scaled.numerator, scaled.denominator)
    if 2 * rest >= scaled.denominator:
        whole += 1
    return Decimal(-whole if value < 0 else whole).scaleb(-2)


def _share(part: int, whole: int) -> Fraction | None:
    return Fraction(part, whole) if whole else None


def components(metrics: VenueMetrics, policy: ScoringPolicy = DEFAULT_SCORING) -> ScoreComponents:
    """F, R, C, N and the composite from the raw metrics."""
    m = metrics
    if m.review_count:
        bayes = (policy.prior_weight * policy.prior_mean + m.rating_sum) / (
            policy.prior_weight + m.review_count
        )
        feedback = HUNDRED * (bayes - 1) / 4
    else:
        feedback = NEUTRAL
    repeat_rate = _share(m.children_repeat, m.children_completed)
    cancel_rate = _share(m.venue_cancelled, m.total_bookings)
    no_show_rate = _share(m.no_shows, m.completed + m.no_shows)
    repeat = NEUTRAL if repeat_rate is None else HUNDRED * repeat_rate
    cancellation = NEUTRAL if cancel_rate is None else HUNDRED * (1 - cancel_rate)
    no_show = NEUTRAL if no_show_rate is None else HUNDRED * (1 - no_show_rate)
    composite = (
        policy.feedback_weight * feedback
        + policy.repeat_weight * repeat
        + policy.cancellation_weight * cancellation
        + policy.no_show_weight * no_show
    )
    return ScoreComponents(
        feedback=cents(feedback),
        repeat=cents(repeat),
        cancellation=cents(cancellation),
        no_show=cents(no_show),
        composite=cents(composite),
        average_rating=cents(Fraction(m.rating_sum, m.review_count)) if m.review_count else None,
        repeat_booking_rate=None if repeat_rate is None else cents(HUNDRED * repeat_rate),
        venue_cancellation_rate=None if cancel_rate is None else cents(HUNDRED * cancel_rate),
        parent_no_show_rate=None if no_show_rate is None else cents(HUNDRED * no_show_rate),
    )


def week_start(now: datetime, timezone: str) -> date:
    """The Monday of ``now``'s week in the venue's zone."""
    local = now.astimezone(zone(timezone)).date()
    return local - timedelta(days=local.weekday())


def window(
    week: date, timezone: str, policy: ScoringPolicy = DEFAULT_SCORING
) -> tuple[datetime, datetime]:
    """``[start, end)`` instants: sessions ending in it count for the score of ``week``."""
    if week.weekday() != 0:
        raise ValidationFailed("week_start", "monday")
    tz = zone(timezone)
    end = datetime.combine(week, time(0), tz)
    start = datetime.combine(week - timedelta(weeks=policy.window_weeks), time(0), tz)
    return start, end


def metrics_of(outcomes: Iterable[BookingOutcome], start: datetime, end: datetime) -> VenueMetrics:
    """Count the outcomes of sessions that ended in ``[start, end)``."""
    chosen = [o for o in outcomes if start <= o.session_ends_at < end]
    completed_per_child = Counter(o.child_id for o in chosen if o.status == "completed")
    ratings = [o.rating for o in chosen if o.rating is not None]
    return VenueMetrics(
        total_bookings=len(chosen),
        venue_cancelled=sum(o.status == "cancelled_venue" for o in chosen),
        completed=sum(o.status == "completed" for o in chosen),
        no_shows=sum(o.status == "no_show" for o in chosen),
        review_count=len(ratings),
        rating_sum=sum(ratings),
        children_completed=len(completed_per_child),
        children_repeat=sum(count >= 2 for count in completed_per_child.values()),
    )


def score_change(current: Decimal, previous: VenueScore | None) -> Decimal | None:
    return None if previous is None else current - previous.composite


def is_eligible(
    latest: VenueScore | None,
    *,
    venue_since: datetime,
    now: datetime,
    min_score: int = 60,
    policy: ScoringPolicy = DEFAULT_SCORING,
) -> bool:
    """Eligible for curation: the latest composite >= ``min_score``; a venue without a score
    yet is eligible while it is younger than ``new_venue_weeks``."""
    if latest is None:
        return now - venue_since < timedelta(weeks=policy.new_venue_weeks)
    return latest.composite >= min_score
