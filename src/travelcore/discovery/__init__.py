"""Discovery: parsed search intent, ranking, travel time, venue scores and curation rules."""

from travelcore.discovery.geo import (
    DEFAULT_RADIUS_MINUTES,
    GeoPoint,
    StraightLineTravelTime,
    TravelTime,
    check_radius,
    haversine_km,
    reachable,
)
from travelcore.discovery.intent import (
    DAYS,
    IntentParser,
    LocationType,
    SearchIntent,
    activity_filter,
    activity_metadata,
    intent_from_data,
)
from travelcore.discovery.parser import RuleBasedIntentParser
from travelcore.discovery.ranking import Candidate, Ranked, RankingWeights, rank, stem

__all__ = [
    "DAYS",
    "DEFAULT_RADIUS_MINUTES",
    "Candidate",
    "GeoPoint",
    "IntentParser",
    "LocationType",
    "Ranked",
    "RankingWeights",
    "RuleBasedIntentParser",
    "SearchIntent",
    "StraightLineTravelTime",
    "TravelTime",
    "activity_filter",
    "activity_metadata",
    "check_radius",
    "haversine_km",
    "intent_from_data",
    "rank",
    "reachable",
    "stem",
]
