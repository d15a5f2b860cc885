"""What a traveller's message asks for: the port an agent understands language through, and
a rule-based default (keywords, regular expressions, a gazetteer of cities) that runs
offline and deterministically. A model-backed implementation fits the same Protocol."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, timedelta
from enum import StrEnum
from typing import Protocol

import attrs

from travelcore.travel import CabinClass

__all__ = [
    "CITIES",
    "Intent",
    "IntentKind",
    "LanguageUnderstanding",
    "RuleBasedUnderstanding",
    "TripRequest",
]


class IntentKind(StrEnum):
    GREET = "greet"
    REMEMBER = "remember"
    """Keep a fact about the user (``Intent.fact``) in long-term memory."""
    RECALL = "recall"
    """What do you know about me (``Intent.topic``)?"""
    SEARCH = "search"
    BOOK = "book"
    PAY = "pay"
    BYE = "bye"
    UNKNOWN = "unknown"


@attrs.frozen(kw_only=True)
class TripRequest:
    """The trip a search asks for; ``None`` where the message did not say."""

    origin: str | None = None
    destination: str | None = None
    departs_on: date | None = None
    returns_on: date | None = None
    travellers: int = 1
    cabin_class: CabinClass | None = None
    hotel_stars: int | None = None
    car: bool = False
    tour: bool = False

    @property
    def missing(self) -> tuple[str, ...]:
        """What a search still needs."""
        needed = {
            "origin": self.origin,
            "destination": self.destination,
            "departure date": self.departs_on,
            "return date": self.returns_on,
        }
        return tuple(name for name, value in needed.items() if value is None)


@attrs.frozen(kw_only=True)
class Intent:
    kind: IntentKind
    fact: str | None = None
    topic: str | None = None
    trip: TripRequest | None = None


class LanguageUnderstanding(Protocol):
    def understand(self, text: str, today: date) -> Intent:
        """The intent of ``text``, dates resolved against ``today``."""
        ...

    def preferences(self, facts: Iterable[str]) -> TripRequest:
        """The trip preferences that remembered ``facts`` state (cabin class, hotel stars)."""
        ...


CITIES = (
    "Amsterdam", "Athens", "Barcelona", "Berlin", "Boston", "Brussels", "Chicago",
    "Copenhagen", "Dublin", "Edinburgh", "Frankfurt", "Geneva", "Hamburg", "Lisbon",
    "London", "Los Angeles", "Madrid", "Milan", "Munich", "New York", "Oslo", "Paris",
    "Porto", "Prague", "Rome", "San Francisco", "Singapore", "Stockholm", "Tokyo",
    "Toronto", "Vienna", "Warsaw", "Zurich",
)  # fmt: skip

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
            ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
            ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}  # fmt: skip

NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_DATE = re.compile(
    rf"\b(?:(?P<iso>\d{{4}}-\d{{2}}-\d{{2}})"
    rf"|(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<month>{_MONTH})\.?(?:\s+(?P<year>\d{{4}}))?"
    rf"|(?P<month2>{_MONTH})\.?\s+(?P<day2>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<year2>\d{{4}}))?)\b",
    re.IGNORECASE,
)
_NIGHTS = re.compile(r"\bfor\s+(\d+|\w+)\s+nights?\b", re.IGNORECASE)
_PEOPLE = re.compile(
    r"\bfor\s+(\d+|\w+)\s+(?:people|persons|travell?ers|adults|of us)\b", re.IGNORECASE
)
_STARS = re.compile(r"\b(\d)[- ]?star", re.IGNORECASE)
_REMEMBER = re.compile(r"^\s*(?:please\s+)?remember(?:\s+that)?\s+(?P<fact>.+?)\s*$", re.I)
_RECALL = re.compile(
    r"\b(?:what do you (?:know|remember)|do you remember|what did i (?:say|tell you))"
    r"(?:\s+about)?\s*(?P<topic>.*?)\s*\??\s*$",
    re.IGNORECASE,
)


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z']+", text.lower()))


def _count(word: str) -> int | None:
    if word.isdigit():
        return int(word)
    return NUMBERS.get(word.lower())


class RuleBasedUnderstanding:
    """Keyword intents; cities from ``cities`` (``from X to Y``, ``to Y``); dates as
    ``2027-03-10``, ``10 March [2027]`` or ``March 10[, 2027]`` (the next such day when the
    year is left out) and ``for N nights``; ``for N people``; cabin classes; hotel stars;
    ``car`` and ``tour``."""

    def __init__(self, cities: Iterable[str] = CITIES) -> None:
        self._cities = sorted(cities, key=len, reverse=True)

    def understand(self, text: str, today: date) -> Intent:
        words = _words(text)
        remembered = _REMEMBER.match(text)
        if remembered:
            return Intent(kind=IntentKind.REMEMBER, fact=remembered["fact"].rstrip("."))
        recall = _RECALL.search(text)
        if recall:
            return Intent(kind=IntentKind.RECALL, topic=recall["topic"] or None)
        if words & {"bye", "goodbye", "thanks", "cheers"} and not words & {"book", "find"}:
            return Intent(kind=IntentKind.BYE)
        if words & {"pay", "charge"}:
            return Intent(kind=IntentKind.PAY)
        if words & {"book", "reserve"} and words & {"it", "that", "this", "them"}:
            return Intent(kind=IntentKind.BOOK)
        if words & {"find", "search", "trip", "flight", "flights", "fly", "travel", "going"}:
            return Intent(kind=IntentKind.SEARCH, trip=self._trip(text, today))
        if words & {"hi", "hello", "hey"}:
            return Intent(kind=IntentKind.GREET)
        return Intent(kind=IntentKind.UNKNOWN)

    def preferences(self, facts: Iterable[str]) -> TripRequest:
        text = " ".join(facts)
        return TripRequest(cabin_class=_cabin(text), hotel_stars=_stars(text))

    def _trip(self, text: str, today: date) -> TripRequest:
        origin = self._city(text, r"\bfrom\s+")
        destination = self._city(text, r"\bto\s+")
        dates = [_resolve(m, today) for m in _DATE.finditer(text)]
        departs = dates[0] if dates else None
        returns = dates[1] if len(dates) > 1 else None
        nights = _NIGHTS.search(text)
        if departs is not None and returns is None and nights and _count(nights[1]):
            returns = departs + timedelta(days=_count(nights[1]) or 0)
        people = _PEOPLE.search(text)
        words = _words(text)
        return TripRequest(
            origin=origin,
            destination=destination,
            departs_on=departs,
            returns_on=returns,
            travellers=(_count(people[1]) or 1) if people else 1,
            cabin_class=_cabin(text),
            hotel_stars=_stars(text),
            car=bool(words & {"car", "rental", "drive"}),
            tour=bool(words & {"tour", "tours", "excursion", "guided"}),
        )

    def _city(self, text: str, before: str) -> str | None:
        for city in self._cities:
            if re.search(before + re.escape(city) + r"\b", text, re.IGNORECASE):
                return city
        return None


def _resolve(match: re.Match[str], today: date) -> date:
    if match["iso"]:
        return date.fromisoformat(match["iso"])
    day = int(match["day"] or match["day2"])
    month = MONTHS[(match["month"] or match["month2"]).lower().rstrip(".")]
    year = match["year"] or match["year2"]
    if year:
        return date(int(year), month, day)
    candidate = date(today.year, month, day)
    return candidate if candidate >= today else date(today.year + 1, month, day)


def _cabin(text: str) -> CabinClass | None:
    lowered = text.lower()
    for cabin, phrases in (
        (CabinClass.FIRST, ("first class",)),
        (CabinClass.BUSINESS, ("business class", "business seat", "fly business")),
        (CabinClass.PREMIUM_ECONOMY, ("premium economy",)),
        (CabinClass.ECONOMY, ("economy",)),
    ):
        if any(p in lowered for p in phrases):
            return cabin
    return None


def _stars(text: str) -> int | None:
    found = _STARS.search(text)
    return int(found[1]) if found and 1 <= int(found[1]) <= 5 else None
