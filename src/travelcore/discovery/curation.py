"""Monthly suggestions and the preference vector (pure rules).

A session is *bookable for a child* in a month when: it is in that month, the child's age on
the session date is within the activity's range, it has a free seat (one per child for
siblings), its venue is active, eligible for curation and reachable, the activity is not on
the child's avoid list (an entry names an activity id, a category or a tag), the child has
not booked it already, and it starts no sooner than the inventory-release lead time (72 h)
after generation.

A child's fit for an activity is the cosine similarity of the child's preference vector and
the activity vector, clipped to 0..1; a favourite activity ranks ``favourite_bonus`` higher
(its stored fit is unchanged). One session per activity (the earliest best). Siblings: a
session bookable for every child, ``match = mean of the children's fits``, each fit kept.
Each child gets at most ``limit`` (3) suggestions a month, group suggestions included.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

import attrs

from travelcore.kernel.clock import zone
from travelcore.kernel.errors import ValidationFailed
from travelcore.people.model import age_on

MILLI = Decimal("0.001")


@attrs.frozen(kw_only=True)
class ChildProfile:
    child_id: UUID
    date_of_birth: date
    preference: tuple[float, ...]
    avoid: frozenset[str] = frozenset()
    favourites: frozenset[UUID] = frozenset()
    booked_sessions: frozenset[UUID] = frozenset()


@attrs.frozen(kw_only=True)
class SessionOption:
    """A session as curation sees it (read in one batch for all children)."""

    session_id: UUID
    activity_id: UUID
    venue_id: UUID
    session_date: date
    starts_at: datetime
    min_age: int
    max_age: int
    category: str
    tags: frozenset[str]
    free_seats: int
    venue_active: bool
    venue_eligible: bool
    activity_vector: tuple[float, ...]
    reachable: bool = True


@attrs.frozen(kw_only=True)
class Suggestion:
    """One suggestion row (seed ``ai_suggestions``)."""

    child_ids: tuple[UUID, ...]
    session_id: UUID
    activity_id: UUID
    rank: int
    match_score: Decimal
    fits: Mapping[UUID, Decimal]

    @property
    def is_group(self) -> bool:
        return len(self.child_ids) > 1


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(month: date, timezone: str) -> datetime:
    """The first instant after ``month`` in ``timezone`` (suggestions expire then)."""
    first = month_start(month)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return datetime.combine(following, time(0), zone(timezone))


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    if len(a) != len(b):
        raise ValidationFailed("vector", "same_dimension")
    dot = math.fsum(x * y for x, y in zip(a, b, strict=True))
    norms = math.sqrt(math.fsum(x * x for x in a)) * math.sqrt(math.fsum(y * y for y in b))
    return dot / norms if norms else 0.0


def fit(child: ChildProfile, option: SessionOption) -> Decimal:
    """The child's fit for the session's activity: cosine clipped to 0..1, 3 places."""
    value = min(1.0, max(0.0, cosine(child.preference, option.activity_vector)))
    return Decimal(value).quantize(MILLI, ROUND_HALF_UP)


def avoided(child: ChildProfile, option: SessionOption) -> bool:
    names = {str(option.activity_id), option.category, *option.tags}
    return bool(child.avoid & names)


def bookable_for(
    child: ChildProfile,
    option: SessionOption,
    *,
    month: date,
    now: datetime,
    release_lead: timedelta = timedelta(hours=72),
    seats: int = 1,
) -> bool:
    return (
        month_start(option.session_date) == month_start(month)
        and option.min_age <= age_on(child.date_of_birth, option.session_date) <= option.max_age
        and option.free_seats >= seats
        and option.venue_active
        and option.venue_eligible
        and option.reachable
        and not avoided(child, option)
        and option.session_id not in child.booked_sessions
        and option.starts_at >= now + release_lead
    )


def _best_per_activity(
    scored: Iterable[tuple[float, SessionOption, dict[UUID, Decimal]]], limit: int
) -> list[tuple[float, SessionOption, dict[UUID, Decimal]]]:
    ordered = sorted(scored, key=lambda s: (-s[0], s[1].starts_at, str(s[1].session_id)))
    chosen: list[tuple[float, SessionOption, dict[UUID, Decimal]]] = []
    seen: set[UUID] = set()
    for item in ordered:
        if item[1].activity_id in seen:
            continue
        seen.add(item[1].activity_id)
        chosen.append(item)
        if len(chosen) == limit:
            break
    return chosen


def suggest(
    children: Sequence[ChildProfile],
    options: Sequence[SessionOption],
    *,
    month: date,
    now: datetime,
    limit: int = 3,
    release_lead: timedelta = timedelta(hours=72),
    favourite_bonus: float = 0.05,
    exclude_sessions: frozenset[UUID] = frozenset(),
) -> list[Suggestion]:
    """Up to ``limit`` suggestions for ``children`` together (one child, or siblings)."""
    if not children:
        raise ValidationFailed("children", "non_empty")
    if limit < 0:
        raise ValidationFailed("limit", "non_negative")
    scored = []
    for option in options:
        if option.session_id in exclude_sessions or not all(
            bookable_for(
                c, option, month=month, now=now, release_lead=release_lead, seats=len(children)
            )
            for c in children
        ):
            continue
        fits = {c.child_id: fit(c, option) for c in children}
        bonus = sum(favourite_bonus for c in children if option.activity_id in c.favourites)
        mean = sum(fits.values(), Decimal(0)) / len(children)
        scored.append((float(mean) + bonus / len(children), option, fits))
    return [
        Suggestion(
            child_ids=tuple(c.child_id for c in children),
            session_id=option.session_id,
            activity_id=option.activity_id,
            rank=rank,
            match_score=(sum(fits.values(), Decimal(0)) / len(children)).quantize(
                MILLI, ROUND_HALF_UP
            ),
            fits=fits,
        )
        for rank, (_, option, fits) in enumerate(_best_per_activity(scored, limit), start=1)
    ]


def monthly_plan(
    children: Sequence[ChildProfile],
    options: Sequence[SessionOption],
    *,
    month: date,
    now: datetime,
    limit: int = 3,
    group_limit: int = 1,
    release_lead: timedelta = timedelta(hours=72),
    favourite_bonus: float = 0.05,
) -> list[Suggestion]:
    """A parent's month: up to ``group_limit`` sibling suggestions (with two or more
    children), then each child's own, at most ``limit`` per child in all."""
    plan: list[Suggestion] = []
    if len(children) > 1 and group_limit:
        plan += suggest(
            children,
            options,
            month=month,
            now=now,
            limit=min(group_limit, limit),
            release_lead=release_lead,
            favourite_bonus=favourite_bonus,
        )
    grouped = frozenset(s.session_id for s in plan)
    for child in children:
        plan += suggest(
            [child],
            options,
            month=month,
            now=now,
            limit=limit - sum(child.child_id in s.child_ids for s in plan),
            release_lead=release_lead,
            favourite_bonus=favourite_bonus,
            exclude_sessions=grouped,
        )
    return plan


def shift_preference(
    preference: Sequence[float], activity: Sequence[float], *, positive: bool, alpha: float = 0.2
) -> tuple[float, ...]:
    """``normalize(p + s·alpha·a)`` with ``s = +1`` for thumbs up, ``-1`` for thumbs down.
    A result of length zero keeps ``p`` (the feedback cannot erase a preference)."""
    if len(preference) != len(activity):
        raise ValidationFailed("activity_vector", "same_dimension")
    sign = 1.0 if positive else -1.0
    moved = [p + sign * alpha * a for p, a in zip(preference, activity, strict=True)]
    length = math.sqrt(math.fsum(v * v for v in moved))
    if length < 1e-12:
        return tuple(preference)
    return tuple(v / length for v in moved)


def first_preference_text(interests: Sequence[str], age: int) -> str:
    """What a child's first preference vector embeds: the interests, else the age group."""
    if interests:
        return "enjoys " + ", ".join(i.replace("_", " and ") for i in interests)
    return f"activities children aged {age} enjoy"
