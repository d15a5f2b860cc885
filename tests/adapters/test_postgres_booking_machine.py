"""The booking state machine (catalog + ledger + bookings + waitlist against the reference
model, every invariant after each step) on PostgreSQL. Each run is a fresh tenant of the
session's database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from travelcore.testing.booking_machine import booking_machine
from travelcore_adapters.postgres import PostgresDatabase

_current: list[PostgresDatabase] = []


def _database() -> PostgresDatabase:
    return _current[0]


@pytest.fixture(autouse=True)
def _session_database(postgres_database: PostgresDatabase) -> Iterator[None]:
    _current[:] = [postgres_database]
    yield
    _current.clear()


PostgresBookingMachine = booking_machine(_database)

TestBookingMachineOnPostgres = PostgresBookingMachine.TestCase
TestBookingMachineOnPostgres.settings = settings(
    max_examples=25,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)
