"""What a parent asked for: the parsed intent of a natural-language search, and its port.

``SearchIntent`` holds hard constraints (never broken by a result) and soft preferences
(used only for ranking). ``IntentParser`` is the port; ``RuleBasedIntentParser`` is the
default (see ``travelcore.discovery.parser``); an LLM parser can plug in behind the port.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Protocol

import attrs

from travelcore.catalog.model import ActivityCategory, TimeOfDay
from travelcore.discovery.geo import check_radius
from travelcore.kernel.errors import ValidationFailed

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TAGS = frozenset(
    {
        "indoor",
        "outdoor",
        "messy",
        "quiet",
        "loud",
        "competitive",
        "social",
        "calm",
        "active",
        "creative",
        "water",
        "animals",
        "screen_free",
        "screens",
        "beginner",
        "sensory_friendly",
        "wheelchair_accessible",
    }
)
ACCESSIBILITY = ("wheelchair_accessible", "sensory_friendly")
LocationType = Literal["home", "work", "school", "other"]
LOCATION_TYPES: tuple[LocationType, ...] = ("home", "work", "school", "other")
EnergyLevel = Literal["high", "low"]


def _tags(instance: object, attribute: attrs.Attribute[frozenset[str]], value: Any) -> None:
    for tag in value:
        if not isinstance(tag, str) or not tag.replace("_", "").isalnum():
            raise ValidationFailed(attribute.name, "tag", f"{tag!r} is not a tag")


def _days(instance: object, attribute: attrs.Attribute[frozenset[str]], value: Any) -> None:
    if not value <= set(DAYS):
        raise ValidationFailed(attribute.name, "weekday", "days are mon, tue, ... sun")


def _age(instance: object, attribute: attrs.Attribute[int | None], value: Any) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise ValidationFailed(attribute.name, "integer")
    if value is not None and not 0 <= value <= 18:
        raise ValidationFailed(attribute.name, "between_0_and_18")


def _credits(instance: object, attribute: attrs.Attribute[int | None], value: Any) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValidationFailed(attribute.name, "positive_integer")


def _radius(instance: object, attribute: attrs.Attribute[int | None], value: Any) -> None:
    if value is not None:
        check_radius(value, attribute.name)


def _confidence(instance: object, attribute: attrs.Attribute[float], value: Any) -> None:
    if not isinstance(value, float) or not 0.0 <= value <= 1.0:
        raise ValidationFailed(attribute.name, "between_0_and_1")


@attrs.frozen(kw_only=True)
class SearchIntent:
    """A parsed search request.

    Hard constraints: ``age``, ``categories`` (one of them), ``excluded_categories``,
    ``required_tags`` (all of them), ``excluded_tags`` (none of them), ``times_of_day`` and
    ``days`` (a session at one of them), ``max_credits``, and the reachable area
    (``location`` + ``radius_minutes``; ``None`` means the parent's primary location and
    default radius). Soft: ``preferred_tags``, ``prefer_cheap``, and ``topic``, the words
    that describe what the child would enjoy (the text that is embedded).
    """

    age: int | None = attrs.field(default=None, validator=_age)
    categories: frozenset[ActivityCategory] = frozenset()
    excluded_categories: frozenset[ActivityCategory] = frozenset()
    required_tags: frozenset[str] = attrs.field(default=frozenset(), validator=_tags)
    excluded_tags: frozenset[str] = attrs.field(default=frozenset(), validator=_tags)
    preferred_tags: frozenset[str] = attrs.field(default=frozenset(), validator=_tags)
    times_of_day: frozenset[TimeOfDay] = frozenset()
    days: frozenset[str] = attrs.field(default=frozenset(), validator=_days)
    max_credits: int | None = attrs.field(default=None, validator=_credits)
    prefer_cheap: bool = False
    energy_level: EnergyLevel | None = None
    location: LocationType | None = None
    radius_minutes: int | None = attrs.field(default=None, validator=_radius)
    topic: str = ""
    confidence: float = attrs.field(default=1.0, validator=_confidence)
    clarification: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.required_tags & self.excluded_tags:
            raise ValidationFailed("required_tags", "disjoint_from_excluded_tags")
        if self.categories & self.excluded_categories:
            raise ValidationFailed("categories", "disjoint_from_excluded_categories")

    def _flag(self, tag: str) -> bool | None:
        if tag in self.required_tags:
            return True
        if tag in self.excluded_tags:
            return False
        return None

    @property
    def setting(self) -> Literal["indoor", "outdoor"] | None:
        if "outdoor" in self.required_tags or "indoor" in self.excluded_tags:
            return "outdoor"
        if "indoor" in self.required_tags or "outdoor" in self.excluded_tags:
            return "indoor"
        return None

    @property
    def messy(self) -> bool | None:
        return self._flag("messy")

    @property
    def loud(self) -> bool | None:
        return self._flag("loud")

    @property
    def quiet(self) -> bool | None:
        return self._flag("quiet")

    @property
    def competitive(self) -> bool | None:
        return self._flag("competitive")

    @property
    def accessibility(self) -> frozenset[str]:
        return self.required_tags & frozenset(ACCESSIBILITY)

    @property
    def needs_clarification(self) -> bool:
        return self.clarification is not None

    def to_data(self) -> dict[str, Any]:
        """The ``parsed_intent`` of the search log: flat, JSON-ready, sorted lists."""
        data: dict[str, Any] = {
            "age": self.age,
            "categories": sorted(str(c) for c in self.categories),
            "excluded_categories": sorted(str(c) for c in self.excluded_categories),
            "setting": self.setting,
            "messy": self.messy,
            "loud": self.loud,
            "quiet": self.quiet,
            "competitive": self.competitive,
            "energy_level": self.energy_level,
            "accessibility": sorted(self.accessibility),
            "required_tags": sorted(self.required_tags),
            "excluded_tags": sorted(self.excluded_tags),
            "preferred_tags": sorted(self.preferred_tags),
            "times_of_day": sorted(str(t) for t in self.times_of_day),
            "days": [d for d in DAYS if d in self.days],
            "max_credits": self.max_credits,
            "prefer_cheap": self.prefer_cheap,
            "location": self.location,
            "radius_minutes": self.radius_minutes,
            "topic": self.topic,
        }
        return data


class IntentParser(Protocol):
    """Turns a parent's words into a ``SearchIntent``.

    ``child_age`` is the age of the child the search is for (on the day of the search), when
    the request names one; it wins over an age in the text.
    """

    def parse(self, text: str, *, child_age: int | None = None) -> SearchIntent: ...


def activity_filter(
    intent: SearchIntent, *, venue_ids: frozenset[str] | None = None
) -> dict[str, Any]:
    """The intent's hard constraints in the vector filter language.

    Activity metadata: ``min_age``, ``max_age``, ``credits`` (numbers), ``category``,
    ``venue_id`` (strings), ``tags``, ``days``, ``times`` (lists of strings). ``venue_ids``
    is the reachable area (``None``: no limit; an empty set matches nothing).
    """
    clauses: list[dict[str, Any]] = []
    if intent.age is not None:
        clauses += [{"min_age": {"$lte": intent.age}}, {"max_age": {"$gte": intent.age}}]
    if intent.categories:
        clauses.append({"category": {"$in": sorted(str(c) for c in intent.categories)}})
    if intent.excluded_categories:
        excluded = sorted(str(c) for c in intent.excluded_categories)
        clauses.append({"category": {"$nin": excluded}})
    clauses += [{"tags": tag} for tag in sorted(intent.required_tags)]
    if intent.excluded_tags:
        clauses.append({"tags": {"$nin": sorted(intent.excluded_tags)}})
    if intent.times_of_day:
        clauses.append({"times": {"$in": sorted(str(t) for t in intent.times_of_day)}})
    if intent.days:
        clauses.append({"days": {"$in": [d for d in DAYS if d in intent.days]}})
    if intent.max_credits is not None:
        clauses.append({"credits": {"$lte": intent.max_credits}})
    if venue_ids is not None:
        clauses.append({"venue_id": {"$in": sorted(venue_ids) or [""]}})
    if not clauses:
        return {}
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def activity_metadata(
    *,
    category: str,
    min_age: int,
    max_age: int,
    credits: int,
    venue_id: str,
    tags: frozenset[str] | tuple[str, ...],
    days: frozenset[str] | tuple[str, ...],
    times: frozenset[str] | tuple[str, ...],
) -> dict[str, Any]:
    """The metadata an activity's vector carries, in the shape ``activity_filter`` expects."""
    return {
        "category": str(category),
        "min_age": min_age,
        "max_age": max_age,
        "credits": credits,
        "venue_id": venue_id,
        "tags": sorted(tags),
        "days": [d for d in DAYS if d in days],
        "times": sorted(str(t) for t in times),
    }


def intent_from_data(data: Mapping[str, Any]) -> SearchIntent:
    """The inverse of ``SearchIntent.to_data`` (for stored logs and LLM parsers)."""
    try:
        return SearchIntent(
            age=data.get("age"),
            categories=frozenset(ActivityCategory(c) for c in data.get("categories", ())),
            excluded_categories=frozenset(
                ActivityCategory(c) for c in data.get("excluded_categories", ())
            ),
            required_tags=frozenset(data.get("required_tags", ())),
            excluded_tags=frozenset(data.get("excluded_tags", ())),
            preferred_tags=frozenset(data.get("preferred_tags", ())),
            times_of_day=frozenset(TimeOfDay(t) for t in data.get("times_of_day", ())),
            days=frozenset(data.get("days", ())),
            max_credits=data.get("max_credits"),
            prefer_cheap=bool(data.get("prefer_cheap", False)),
            energy_level=data.get("energy_level"),
            location=data.get("location"),
            radius_minutes=data.get("radius_minutes"),
            topic=str(data.get("topic", "")),
        )
    except ValueError as exc:
        raise ValidationFailed("intent", "well_formed", str(exc)) from exc
