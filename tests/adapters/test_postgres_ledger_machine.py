"""The ledger state machine (random command sequences, every invariant after each step)
on PostgreSQL, on each statement path. Each run uses a fresh tenant of the session's
database."""

from __future__ import annotations

from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test

from travelcore.testing.ledger_machine import ledger_machine
from travelcore_adapters.postgres import PostgresDatabase


def test_ledger_machine_on_postgres(postgres_database: PostgresDatabase) -> None:
    run_state_machine_as_test(
        ledger_machine(lambda: postgres_database),
        settings=settings(max_examples=30, stateful_step_count=30, deadline=None),
    )
