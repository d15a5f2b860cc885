"""Straight-line travel time and the search radius."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from travelcore.discovery import (
    GeoPoint,
    StraightLineTravelTime,
    check_radius,
    haversine_km,
    reachable,
)
from travelcore.kernel import ValidationFailed

points = st.builds(
    GeoPoint,
    st.floats(-89.9, 89.9, allow_nan=False),
    st.floats(-180, 180, allow_nan=False),
)


def test_a_known_distance() -> None:
    paris, london = GeoPoint(48.8566, 2.3522), GeoPoint(51.5074, -0.1278)
    assert haversine_km(paris, london) == pytest.approx(343.5, abs=1.0)


def test_minutes_at_the_policy_speed() -> None:
    home = GeoPoint(40.7, -74.0)
    five_km_north = GeoPoint(40.7 + 5 / 111.195, -74.0)
    [minutes] = StraightLineTravelTime(30).minutes(home, [five_km_north])
    assert minutes == pytest.approx(10.0, rel=1e-3)
    [slower] = StraightLineTravelTime(15).minutes(home, [five_km_north])
    assert slower == pytest.approx(20.0, rel=1e-3)


def test_reachable_keeps_what_is_within_the_radius() -> None:
    home = GeoPoint(40.7, -74.0)
    places = {"near": GeoPoint(40.71, -74.0), "far": GeoPoint(40.9, -74.0)}
    assert reachable(StraightLineTravelTime(), home, places, 15) == {"near"}
    assert reachable(StraightLineTravelTime(), home, places, 60) == {"near", "far"}


@pytest.mark.parametrize("minutes", [4, 61, 0, True])
def test_the_radius_is_5_to_60_minutes(minutes: int) -> None:
    with pytest.raises(ValidationFailed) as info:
        check_radius(minutes)
    assert info.value.field == "radius_minutes"


def test_coordinates_are_checked() -> None:
    with pytest.raises(ValidationFailed) as info:
        GeoPoint(91, 0)
    assert info.value.field == "latitude"
    with pytest.raises(ValidationFailed):
        GeoPoint(0, 181)
    with pytest.raises(ValidationFailed):
        StraightLineTravelTime(0)


@given(points, points, points)
def test_distance_is_a_metric(a: GeoPoint, b: GeoPoint, c: GeoPoint) -> None:
    assert haversine_km(a, a) == pytest.approx(0.0, abs=1e-6)
    assert haversine_km(a, b) == pytest.approx(haversine_km(b, a), abs=1e-6)
    assert haversine_km(a, c) <= haversine_km(a, b) + haversine_km(b, c) + 1e-6
    assert haversine_km(a, b) <= 20016  # half the circumference
