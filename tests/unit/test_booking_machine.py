"""The booking state machine on the memory adapter."""

from __future__ import annotations

from hypothesis import settings

from travelcore.testing.booking_machine import booking_machine
from travelcore_adapters.memory import MemoryDatabase

BookingMachine = booking_machine(MemoryDatabase)
BookingMachine.TestCase.settings = settings(max_examples=50, stateful_step_count=40, deadline=None)
TestBookingMachine = BookingMachine.TestCase
