"""The rule-based intent parser and the filter an intent compiles to."""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from travelcore.catalog import ActivityCategory, TimeOfDay
from travelcore.discovery import (
    DAYS,
    RuleBasedIntentParser,
    SearchIntent,
    activity_filter,
    activity_metadata,
    intent_from_data,
)
from travelcore.discovery.intent import TAGS
from travelcore.kernel import ValidationFailed
from travelcore.vectors import matches, parse_filter

parse = RuleBasedIntentParser().parse
C = ActivityCategory


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("for my 7 year old", 7),
        ("my seven-year-old", 7),
        ("she's nine", 9),
        ("he is three", 3),
        ("aged seven", 7),
        ("age 10", 10),
        ("a boy of nine", 9),
        ("she's one and a half", 1),
        ("my 5 yo", 5),
        ("music for my toddler (3)", 3),
        ("teen poetry, 13", 13),
        ("a kid who is 14", 14),
        ("my twins are 4", 4),
        ("she just turned 4", 4),
        ("our budget is 2 credits, for a 6 year old", 6),
        ("within 10 minutes of home, my kid is 9", 9),
        ("something for a toddler", 2),
    ],
)
def test_ages_in_words_and_digits(text: str, age: int) -> None:
    assert parse(text).age == age


def test_numbers_that_are_not_ages() -> None:
    intent = parse("2 credits max, within 10 minutes")
    assert (intent.age, intent.max_credits, intent.radius_minutes) == (None, 2, 10)


def test_the_child_given_wins_over_the_text() -> None:
    assert parse("for my 7 year old", child_age=9).age == 9


@pytest.mark.parametrize(
    ("text", "required", "excluded", "preferred"),
    [
        ("outdoor, not messy", {"outdoor"}, {"messy"}, set()),
        ("not messy and not loud", set(), {"messy", "loud"}, set()),
        ("he never stops moving", set(), set(), {"active"}),
        ("can't sit still", set(), set(), {"active"}),
        ("she likes to keep her clothes clean", set(), {"messy"}, set()),
        ("something she can do without getting dirty", set(), {"messy"}, set()),
        ("doesn't mind getting dirty", set(), set(), {"messy"}),
        ("not afraid of getting messy", set(), set(), {"messy"}),
        ("a messy art session", {"messy"}, set(), set()),
        ("hates big groups", set(), {"social"}, set()),
        ("he doesn't do well in big crowds", set(), {"social"}, set()),
        ("something he can do alone, not a team thing", set(), {"social"}, set()),
        ("no gadgets please", set(), {"screens"}, set()),
        ("glued to screens, something without any devices", set(), {"screens"}, set()),
        ("nothing with screens", set(), {"screens"}, set()),
        ("gets overwhelmed by noise", set(), {"loud"}, set()),
        ("no loud music, something creative", set(), {"loud"}, {"creative"}),
        ("quiet, screen-free", {"quiet"}, {"screens"}, set()),
        ("not competitive", set(), {"competitive"}, set()),
        ("dance, but no competitions", set(), {"competitive"}, set()),
        ("team sport with matches", {"competitive"}, set(), {"social"}),
        ("nothing too physical", set(), {"active"}, {"calm"}),
        ("uses a wheelchair", {"wheelchair_accessible"}, set(), set()),
        ("autistic son", {"sensory_friendly"}, set(), set()),
        ("rainy Saturday", {"indoor"}, set(), set()),
        ("not outdoors please", set(), {"outdoor"}, set()),
        ("allergic to pollen", {"indoor"}, set(), set()),
        ("he hates getting wet", set(), {"water"}, set()),
        ("doesn't like animals", set(), {"animals"}, set()),
        ("loves animals", set(), set(), {"animals"}),
    ],
)
def test_tags_from_words_paraphrases_and_negations(
    text: str, required: set[str], excluded: set[str], preferred: set[str]
) -> None:
    intent = parse(text)
    assert intent.required_tags == required
    assert intent.excluded_tags == excluded
    assert intent.preferred_tags == preferred


@pytest.mark.parametrize(
    ("text", "categories", "excluded"),
    [
        ("cooking class", {C.COOKING}, set()),
        ("martial arts", {C.SPORTS}, set()),
        ("arts and crafts", {C.ARTS_CRAFTS}, set()),
        ("hates sports", set(), {C.SPORTS}),
        ("not into sports or dance, likes crafts", {C.ARTS_CRAFTS}, {C.SPORTS, C.DANCE}),
        ("stories or songs", {C.READING, C.MUSIC}, set()),
        ("sporty stuff", {C.SPORTS}, set()),
    ],
)
def test_categories(text: str, categories: set[C], excluded: set[C]) -> None:
    intent = parse(text)
    assert (intent.categories, intent.excluded_categories) == (categories, excluded)


@pytest.mark.parametrize(
    ("text", "days", "times"),
    [
        ("Saturday morning", {"sat"}, {TimeOfDay.MORNING}),
        ("Tuesday or Thursday after school", {"tue", "thu"}, {TimeOfDay.AFTERNOON}),
        ("on the weekend", {"sat", "sun"}, set()),
        ("not on weekends", set(DAYS[:5]), set()),
        ("on a weeknight", set(DAYS[:5]), {TimeOfDay.EVENING}),
        ("before bedtime", set(), {TimeOfDay.EVENING}),
        ("mornings only", set(), {TimeOfDay.MORNING}),
    ],
)
def test_days_and_times(text: str, days: set[str], times: set[TimeOfDay]) -> None:
    intent = parse(text)
    assert (intent.days, intent.times_of_day) == (days, times)


@pytest.mark.parametrize(
    ("text", "credits", "cheap"),
    [
        ("2 credits max", 2, False),
        ("no more than 3 credits", 3, False),
        ("under three credits", 2, False),
        ("budget of 1 credit", 1, False),
        ("cheap please", None, True),
    ],
)
def test_budget(text: str, credits: int | None, cheap: bool) -> None:
    intent = parse(text)
    assert (intent.max_credits, intent.prefer_cheap) == (credits, cheap)


@pytest.mark.parametrize(
    ("text", "location", "radius"),
    [
        ("near school", "school", None),
        ("within 10 minutes of work", "work", 10),
        ("close to home, within 5 minutes", "home", 5),
        ("within 10 minutes", None, 10),
    ],
)
def test_place_and_radius(text: str, location: str | None, radius: int | None) -> None:
    intent = parse(text + ", age 8")
    assert (intent.location, intent.radius_minutes) == (location, radius)


def test_an_unreachable_radius_is_clamped_and_questioned() -> None:
    intent = parse("within 2 minutes, age 8")
    assert intent.radius_minutes == 5
    assert intent.clarification is not None


def test_without_an_age_the_parser_asks() -> None:
    intent = parse("something fun outdoors")
    assert intent.confidence < 0.5
    assert intent.clarification == "How old is the child this is for?"
    assert parse("something fun outdoors", child_age=6).clarification is None


def test_contradictions_are_dropped_and_questioned() -> None:
    intent = parse("indoor or outdoor, for a 7 year old")
    assert intent.setting is None
    assert intent.clarification == "Indoors or outdoors?"


def test_confidence_grows_with_what_was_understood() -> None:
    vague = parse("for my 7 year old")
    precise = parse("outdoor, not messy, Saturday morning, for my 7 year old")
    assert 0.5 <= vague.confidence < precise.confidence <= 1.0


def test_negated_words_leave_the_topic() -> None:
    assert parse("something creative but not messy, no screens, age 7").topic == "creative"


def test_the_seed_fields_are_in_the_logged_intent() -> None:
    data = parse("outdoor, not messy, not competitive, for my 7 year old").to_data()
    assert (data["setting"], data["messy"], data["competitive"], data["age"]) == (
        "outdoor",
        False,
        False,
        7,
    )


def test_an_intent_refuses_contradictory_constraints() -> None:
    with pytest.raises(ValidationFailed) as info:
        SearchIntent(required_tags=frozenset({"messy"}), excluded_tags=frozenset({"messy"}))
    assert info.value.field == "required_tags"
    with pytest.raises(ValidationFailed):
        SearchIntent(age=19)
    with pytest.raises(ValidationFailed):
        SearchIntent(radius_minutes=90)


tags = st.frozensets(st.sampled_from(sorted(TAGS)), max_size=4)
categories = st.frozensets(st.sampled_from(list(ActivityCategory)), max_size=3)
days = st.frozensets(st.sampled_from(DAYS), max_size=3)
times = st.frozensets(st.sampled_from(list(TimeOfDay)), max_size=2)


@st.composite
def intents(draw: st.DrawFn) -> SearchIntent:
    required = draw(tags)
    included = draw(categories)
    return SearchIntent(
        age=draw(st.none() | st.integers(0, 18)),
        categories=included,
        excluded_categories=draw(categories) - included,
        required_tags=required,
        excluded_tags=draw(tags) - required,
        times_of_day=draw(times),
        days=draw(days),
        max_credits=draw(st.none() | st.integers(1, 6)),
    )


@st.composite
def activities(draw: st.DrawFn) -> dict[str, Any]:
    low = draw(st.integers(0, 18))
    return activity_metadata(
        category=draw(st.sampled_from(list(ActivityCategory))),
        min_age=low,
        max_age=draw(st.integers(low, 18)),
        credits=draw(st.integers(1, 6)),
        venue_id=draw(st.sampled_from(["v1", "v2", "v3"])),
        tags=draw(tags),
        days=draw(days),
        times=draw(times),
    )


def obeys(intent: SearchIntent, a: dict[str, Any], venues: frozenset[str]) -> bool:
    """The hard constraints, written out plainly."""
    return (
        (intent.age is None or a["min_age"] <= intent.age <= a["max_age"])
        and (not intent.categories or a["category"] in intent.categories)
        and a["category"] not in intent.excluded_categories
        and intent.required_tags <= set(a["tags"])
        and not intent.excluded_tags & set(a["tags"])
        and (not intent.times_of_day or bool(intent.times_of_day & set(a["times"])))
        and (not intent.days or bool(intent.days & set(a["days"])))
        and (intent.max_credits is None or a["credits"] <= intent.max_credits)
        and a["venue_id"] in venues
    )


@given(intents(), st.lists(activities(), max_size=8), st.frozensets(st.sampled_from(["v1", "v2"])))
def test_the_filter_keeps_exactly_what_obeys_the_intent(
    intent: SearchIntent, acts: list[dict[str, Any]], venues: frozenset[str]
) -> None:
    node = parse_filter(activity_filter(intent, venue_ids=venues))
    for a in acts:
        assert matches(node, a) == obeys(intent, a, venues)


@given(intents())
def test_the_logged_intent_reads_back(intent: SearchIntent) -> None:
    assert intent_from_data(intent.to_data()) == attrs.evolve(intent, confidence=1.0)
