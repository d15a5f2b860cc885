"""Where: coordinates, search radius in minutes, and the ``TravelTime`` port.

The default ``StraightLineTravelTime`` turns a distance into minutes at a policy speed:
the great-circle (haversine) distance between two points divided by ``speed_kmh``
(default 30 km/h, a cautious urban door-to-door average). It never calls out; a routing
service can replace it behind the same port.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, TypeVar

import attrs

from travelcore.kernel.errors import ValidationFailed

EARTH_RADIUS_KM = 6371.0088
MIN_RADIUS_MINUTES = 5
MAX_RADIUS_MINUTES = 60
DEFAULT_RADIUS_MINUTES = 15

K = TypeVar("K")


def _latitude(instance: object, attribute: attrs.Attribute[float], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not -90 <= value <= 90:
        raise ValidationFailed(attribute.name, "between_-90_and_90")


def _longitude(instance: object, attribute: attrs.Attribute[float], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not -180 <= value <= 180:
        raise ValidationFailed(attribute.name, "between_-180_and_180")


@attrs.frozen
class GeoPoint:
    """A WGS-84 position in decimal degrees."""

    latitude: float = attrs.field(validator=_latitude)
    longitude: float = attrs.field(validator=_longitude)


def check_radius(minutes: int, field: str = "radius_minutes") -> int:
    """A search radius in whole minutes, between 5 and 60."""
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise ValidationFailed(field, "integer")
    if not MIN_RADIUS_MINUTES <= minutes <= MAX_RADIUS_MINUTES:
        raise ValidationFailed(
            field, "between_5_and_60", f"{field} must be between 5 and 60 minutes"
        )
    return minutes


def haversine_km(a: GeoPoint, b: GeoPoint) -> float:
    """Great-circle distance in kilometres."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a.latitude, a.longitude, b.latitude, b.longitude))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


class TravelTime(Protocol):
    """Minutes of travel from ``origin`` to each destination, in order."""

    def minutes(self, origin: GeoPoint, destinations: Sequence[GeoPoint]) -> list[float]: ...


class StraightLineTravelTime:
    """Straight-line distance at a constant policy speed."""

    def __init__(self, speed_kmh: float = 30.0) -> None:
        if isinstance(speed_kmh, bool) or not isinstance(speed_kmh, int | float) or speed_kmh <= 0:
            raise ValidationFailed("speed_kmh", "positive")
        self.speed_kmh = float(speed_kmh)

    def minutes(self, origin: GeoPoint, destinations: Sequence[GeoPoint]) -> list[float]:
        return [haversine_km(origin, point) / self.speed_kmh * 60 for point in destinations]


def reachable(
    travel: TravelTime, origin: GeoPoint, places: Mapping[K, GeoPoint], radius_minutes: int
) -> set[K]:
    """The keys of ``places`` within ``radius_minutes`` of ``origin`` (one port call)."""
    check_radius(radius_minutes)
    keys = list(places)
    times = travel.minutes(origin, [places[key] for key in keys])
    return {key for key, t in zip(keys, times, strict=True) if t <= radius_minutes}
