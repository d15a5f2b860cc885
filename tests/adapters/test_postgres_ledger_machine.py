"""The ledger state machine (random command sequences, every invariant after each step)
on PostgreSQL. Each run uses a fresh tenant of the session's database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import settings

from travelcore.testing.ledger_machine import ledger_machine
from travelcore_adapters.postgres import PostgresDatabase

_current: list[PostgresDatabase] = []


def _database() -> PostgresDatabase:
    return _current[0]


@pytest.fixture(autouse=True)
def _session_database(postgres_database: PostgresDatabase) -> Iterator[None]:
    _current[:] = [postgres_database]
    yield
    _current.clear()


PostgresLedgerMachine = ledger_machine(_database)

TestLedgerMachineOnPostgres = PostgresLedgerMachine.TestCase
TestLedgerMachineOnPostgres.settings = settings(
    max_examples=30, stateful_step_count=30, deadline=None
)
