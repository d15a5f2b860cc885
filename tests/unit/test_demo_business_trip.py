"""The business-trip demo runs and tells its story."""

from __future__ import annotations

import pytest
from examples.demo import business_trip


def test_business_trip_demo(capsys: pytest.CaptureFixture[str]) -> None:
    business_trip.run()
    out = capsys.readouterr().out
    assert "Business class refused: policy cabin_class" in out
    assert "Booked trip" in out
    assert "total 730.00 EUR" in out
    assert "flagged by policy per_night_cap" in out
    assert "Itinerary is now booked" in out
    assert "Payment succeeded: 730.00 EUR" in out
    assert "reminder: Your trip to Lisbon departs tomorrow (2026-04-14)." in out
    assert "hotel   344.00 EUR" in out
    assert "Spend 2026-Q2 (EUR), 1 trip(s): 730.00 EUR" in out
