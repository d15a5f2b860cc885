"""The family-booking demo runs and tells the story."""

from __future__ import annotations

import pytest
from examples.demo import family_booking


def test_family_booking_demo(capsys: pytest.CaptureFixture[str]) -> None:
    family_booking.run()
    out = capsys.readouterr().out
    assert "the class is full" in out
    assert "Patels put Ria on the waitlist at position 1." in out
    assert "Ria accepts" in out
    assert "3 bookings cancelled, 15 credits refunded." in out
    assert "  Garcia: 20 available, 10 spent, 10 refunded" in out
    assert "  Patel: 10 available, 5 spent, 5 refunded" in out
    assert (
        "  Garcia (4 unread in the app): Booked: Build a robot for Ana; Booked: Build a robot"
        " for Leo; Cancelled by the venue: Build a robot; Cancelled by the venue: Build a robot"
    ) in out
    assert (
        "  Patel (3 unread in the app): A seat is free: Build a robot; Booked: Build a robot"
        " for Ria; Cancelled by the venue: Build a robot"
    ) in out
