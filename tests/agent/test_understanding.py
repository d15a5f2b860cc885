"""The rule-based language understanding: intents, cities, dates, counts and preferences;
any date written in a supported form is read back as that date."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from travelcore.agent import IntentKind, RuleBasedUnderstanding, TripRequest
from travelcore.travel import CabinClass

TODAY = date(2026, 12, 1)
nlu = RuleBasedUnderstanding()


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Hello there", IntentKind.GREET),
        ("remember that I like aisle seats", IntentKind.REMEMBER),
        ("What do you know about my seats?", IntentKind.RECALL),
        ("Find flights to Rome", IntentKind.SEARCH),
        ("Book it", IntentKind.BOOK),
        ("Please charge my card", IntentKind.PAY),
        ("Goodbye", IntentKind.BYE),
        ("The weather is nice", IntentKind.UNKNOWN),
    ],
)
def test_intents(text: str, kind: IntentKind) -> None:
    assert nlu.understand(text, TODAY).kind is kind


def test_a_full_trip_request() -> None:
    intent = nlu.understand(
        "Find a trip from New York to San Francisco from March 3 to March 9, 2027 for three"
        " people, business class, a 5-star hotel and a rental car",
        TODAY,
    )
    assert intent.trip == TripRequest(
        origin="New York",
        destination="San Francisco",
        departs_on=date(2027, 3, 3),
        returns_on=date(2027, 3, 9),
        travellers=3,
        cabin_class=CabinClass.BUSINESS,
        hotel_stars=5,
        car=True,
    )


def test_what_a_search_still_needs() -> None:
    intent = nlu.understand("I want to travel to Oslo", TODAY)
    assert intent.trip is not None
    assert intent.trip.missing == ("origin", "departure date", "return date")


def test_a_day_without_a_year_is_the_next_one() -> None:
    assert nlu.understand("fly to Paris on 1 December", TODAY).trip.departs_on == TODAY  # type: ignore[union-attr]
    later = nlu.understand("fly to Paris on 30 November", TODAY).trip
    assert later is not None
    assert later.departs_on == date(2027, 11, 30)


def test_remembered_preferences() -> None:
    assert nlu.preferences(["I always fly premium economy", "3-star hotels are fine"]) == (
        TripRequest(cabin_class=CabinClass.PREMIUM_ECONOMY, hotel_stars=3)
    )
    assert nlu.preferences([]) == TripRequest()


@given(
    day=st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
    nights=st.integers(min_value=1, max_value=30),
    form=st.sampled_from(["{d:%Y-%m-%d}", "{d.day} {d:%B %Y}", "{d:%b} {d.day}, {d.year}"]),
)
def test_any_written_date_reads_back(day: date, nights: int, form: str) -> None:
    written = form.format(d=day)
    trip = nlu.understand(
        f"Find a trip from Rome to Oslo on {written} for {nights} nights", TODAY
    ).trip
    assert trip is not None
    assert (trip.departs_on, trip.returns_on) == (day, day + timedelta(days=nights))
    assert not trip.missing
