"""The booking state machine (catalog + ledger + bookings + waitlist against the reference
model, every invariant after each step) on PostgreSQL, on each statement path. Each run is
a fresh tenant of the session's database."""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from travelcore.testing.booking_machine import booking_machine
from travelcore_adapters.postgres import PostgresDatabase


def test_booking_machine_on_postgres(postgres_database: PostgresDatabase) -> None:
    run_state_machine_as_test(
        booking_machine(lambda: postgres_database),
        settings=settings(
            max_examples=25,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
        ),
    )
