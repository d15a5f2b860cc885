"""Monthly suggestions and the preference vector: the filters hold on random months."""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from travelcore.discovery.curation import (
    ChildProfile,
    SessionOption,
    bookable_for,
    cosine,
    first_preference_text,
    fit,
    month_end,
    monthly_plan,
    shift_preference,
    suggest,
)
from travelcore.kernel import ValidationFailed
from travelcore.people.model import age_on

MONTH = date(2026, 4, 1)
NOW = datetime(2026, 3, 28, 12, tzinfo=UTC)
DIM = 4
vectors = st.lists(st.integers(-4, 4), min_size=DIM, max_size=DIM).map(
    lambda v: [x / 4 for x in v] if any(v) else [1.0] + [0.0] * (DIM - 1)
)
ACTIVITIES = [UUID(int=100 + i) for i in range(6)]
VENUES = [UUID(int=200 + i) for i in range(3)]


@st.composite
def options(draw: st.DrawFn, index: int) -> SessionOption:
    day = date(2026, 3, 25) + timedelta(days=draw(st.integers(0, 40)))
    low = draw(st.integers(0, 14))
    activity = draw(st.sampled_from(ACTIVITIES))
    return SessionOption(
        session_id=UUID(int=1000 + index),
        activity_id=activity,
        venue_id=draw(st.sampled_from(VENUES)),
        session_date=day,
        starts_at=datetime.combine(day, time(draw(st.integers(8, 19))), UTC),
        min_age=low,
        max_age=draw(st.integers(low, 18)),
        category=draw(st.sampled_from(["stem", "music", "sports"])),
        tags=draw(st.frozensets(st.sampled_from(["messy", "loud", "outdoor"]), max_size=2)),
        free_seats=draw(st.integers(0, 3)),
        venue_active=draw(st.booleans()),
        venue_eligible=draw(st.booleans()),
        reachable=draw(st.booleans()),
        activity_vector=tuple(draw(vectors)),
    )


@st.composite
def children(draw: st.DrawFn, index: int, sessions: list[UUID]) -> ChildProfile:
    return ChildProfile(
        child_id=UUID(int=index + 1),
        date_of_birth=date(2010, 1, 1) + timedelta(days=draw(st.integers(0, 13 * 365))),
        preference=tuple(draw(vectors)),
        avoid=draw(
            st.frozensets(st.sampled_from(["stem", "loud", str(ACTIVITIES[0])]), max_size=2)
        ),
        favourites=draw(st.frozensets(st.sampled_from(ACTIVITIES), max_size=2)),
        booked_sessions=draw(st.frozensets(st.sampled_from(sessions), max_size=3))
        if sessions
        else frozenset(),
    )


@st.composite
def months(draw: st.DrawFn) -> tuple[list[ChildProfile], list[SessionOption]]:
    n = draw(st.integers(0, 15))
    opts = [draw(options(i)) for i in range(n)]
    ids = [o.session_id for o in opts]
    kids = [draw(children(i, ids)) for i in range(draw(st.integers(1, 3)))]
    return kids, opts


def obeys_every_filter(child: ChildProfile, o: SessionOption, seats: int) -> bool:
    """The rules of the specification, checked one by one."""
    age = age_on(child.date_of_birth, o.session_date)
    return (
        (o.session_date.year, o.session_date.month) == (2026, 4)
        and o.min_age <= age <= o.max_age
        and o.free_seats >= seats
        and o.venue_active
        and o.venue_eligible
        and o.reachable
        and o.category not in child.avoid
        and not o.tags & child.avoid
        and str(o.activity_id) not in child.avoid
        and o.session_id not in child.booked_sessions
        and o.starts_at - NOW >= timedelta(hours=72)
    )


@given(months())
def test_suggestions_never_break_a_filter_and_are_at_most_3_per_child(
    month: tuple[list[ChildProfile], list[SessionOption]],
) -> None:
    kids, opts = month
    plan = monthly_plan(kids, opts, month=MONTH, now=NOW)
    by_id = {o.session_id: o for o in opts}
    per_child = Counter(c for s in plan for c in s.child_ids)
    assert all(count <= 3 for count in per_child.values())
    for s in plan:
        option = by_id[s.session_id]
        members = [k for k in kids if k.child_id in s.child_ids]
        for child in members:
            assert obeys_every_filter(child, option, len(members))
            assert s.fits[child.child_id] == fit(child, option)
        mean = sum(s.fits.values(), Decimal(0)) / len(members)
        assert s.match_score == mean.quantize(Decimal("0.001"), ROUND_HALF_UP)
        assert Decimal(0) <= s.match_score <= Decimal(1)
    if len(kids) > 1:
        assert sum(s.is_group for s in plan) <= 1
    groups = Counter(s.child_ids for s in plan)
    for members, count in groups.items():
        ranks = sorted(s.rank for s in plan if s.child_ids == members)
        assert ranks == list(range(1, count + 1))


@given(months())
def test_a_child_gets_the_best_fitting_activities(
    month: tuple[list[ChildProfile], list[SessionOption]],
) -> None:
    kids, opts = month
    child = kids[0]
    chosen = suggest([child], opts, month=MONTH, now=NOW, favourite_bonus=0.0)
    ok = [o for o in opts if obeys_every_filter(child, o, 1)]
    assert len(chosen) == min(3, len({o.activity_id for o in ok}))
    assert len({s.activity_id for s in chosen}) == len(chosen)
    if chosen:
        worst = min(s.match_score for s in chosen)
        picked = {s.activity_id for s in chosen}
        assert all(fit(child, o) <= worst for o in ok if o.activity_id not in picked)


def _option(**changes: object) -> SessionOption:
    base: dict[str, object] = {
        "session_id": UUID(int=1),
        "activity_id": ACTIVITIES[1],
        "venue_id": VENUES[0],
        "session_date": date(2026, 4, 10),
        "starts_at": datetime(2026, 4, 10, 10, tzinfo=UTC),
        "min_age": 5,
        "max_age": 8,
        "category": "music",
        "tags": frozenset(),
        "free_seats": 2,
        "venue_active": True,
        "venue_eligible": True,
        "activity_vector": (1.0, 0.0, 0.0, 0.0),
    }
    base.update(changes)
    return SessionOption(**base)  # type: ignore[arg-type]


def test_the_age_counts_on_the_session_date() -> None:
    child = ChildProfile(
        child_id=UUID(int=1), date_of_birth=date(2021, 4, 15), preference=(1.0, 0, 0, 0)
    )
    before_birthday = _option(session_date=date(2026, 4, 10))  # still 4
    after_birthday = _option(
        session_date=date(2026, 4, 20), starts_at=datetime(2026, 4, 20, 10, tzinfo=UTC)
    )
    assert not bookable_for(child, before_birthday, month=MONTH, now=NOW)
    assert bookable_for(child, after_birthday, month=MONTH, now=NOW)


def test_inventory_release_lead_time() -> None:
    child = ChildProfile(
        child_id=UUID(int=1), date_of_birth=date(2019, 1, 1), preference=(1.0, 0, 0, 0)
    )
    soon = _option(
        session_date=date(2026, 4, 1), starts_at=NOW + timedelta(hours=72) - timedelta(seconds=1)
    )
    assert not bookable_for(child, soon, month=MONTH, now=NOW)
    assert bookable_for(child, _option(starts_at=NOW + timedelta(hours=72)), month=MONTH, now=NOW)


def test_a_favourite_ranks_higher() -> None:
    child = ChildProfile(
        child_id=UUID(int=1),
        date_of_birth=date(2019, 1, 1),
        preference=(1.0, 0.1, 0, 0),
        favourites=frozenset({ACTIVITIES[2]}),
    )
    best = _option(session_id=UUID(int=1), activity_id=ACTIVITIES[1])
    favourite = _option(
        session_id=UUID(int=2), activity_id=ACTIVITIES[2], activity_vector=(0.99, 0.14, 0, 0)
    )
    [first, second] = suggest([child], [best, favourite], month=MONTH, now=NOW)
    assert (first.activity_id, second.activity_id) == (ACTIVITIES[2], ACTIVITIES[1])


def test_suggestions_expire_at_month_end_in_the_zone() -> None:
    assert month_end(date(2026, 12, 5), "Europe/Paris") == datetime(2026, 12, 31, 23, tzinfo=UTC)


@given(vectors, vectors, st.booleans())
def test_feedback_moves_the_preference_toward_or_away_from_the_activity(
    p: list[float], a: list[float], positive: bool
) -> None:
    unit_p = [x / math.sqrt(math.fsum(v * v for v in p)) for x in p]
    unit_a = [x / math.sqrt(math.fsum(v * v for v in a)) for x in a]
    moved = shift_preference(unit_p, unit_a, positive=positive)
    assert math.fsum(v * v for v in moved) == pytest.approx(1.0)
    before, after = cosine(unit_p, unit_a), cosine(moved, unit_a)
    if positive and before >= -0.1:
        assert after >= before - 1e-9
    if not positive and before <= 0.1:
        assert after <= before + 1e-9


def test_the_shift_is_the_formula() -> None:
    moved = shift_preference([1.0, 0.0], [0.0, 1.0], positive=True)
    assert moved == pytest.approx((1 / math.sqrt(1.04), 0.2 / math.sqrt(1.04)))
    with pytest.raises(ValidationFailed):
        shift_preference([1.0], [1.0, 0.0], positive=False)


def test_the_first_preference_text() -> None:
    assert first_preference_text(["stem", "arts_crafts"], 7) == "enjoys stem, arts and crafts"
    assert first_preference_text([], 7) == "activities children aged 7 enjoy"
