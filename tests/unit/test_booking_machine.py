"""The booking state machine (with its reference model) on the memory adapter."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

from travelcore.testing.booking_machine import booking_machine
from travelcore_adapters.memory import MemoryDatabase

BookingMachine = booking_machine(MemoryDatabase)
BookingMachine.TestCase.settings = settings(
    max_examples=100,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)
TestBookingMachine = BookingMachine.TestCase
