"""The outbox, two relays and two consumers' inbox as a hypothesis state machine, on memory
and on PostgreSQL (``travelcore.testing.outbox_machine``)."""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from travelcore.testing.outbox_machine import outbox_machine
from travelcore_adapters.memory import MemoryDatabase, MemoryOutbox
from travelcore_adapters.postgres import PostgresDatabase
from travelcore_adapters.postgres.outbox import PostgresOutbox

SETTINGS = settings(
    max_examples=40,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def test_the_memory_outbox_keeps_its_guarantees_after_every_step() -> None:
    def make() -> tuple[MemoryDatabase, MemoryOutbox]:
        db = MemoryDatabase()
        return db, db.outbox

    run_state_machine_as_test(outbox_machine(make), settings=SETTINGS)


def test_the_postgres_outbox_keeps_its_guarantees_after_every_step(
    outbox_postgres: PostgresDatabase,
) -> None:
    store = PostgresOutbox(outbox_postgres.engine)
    try:
        run_state_machine_as_test(
            outbox_machine(lambda: (outbox_postgres, store)),
            settings=settings(SETTINGS, max_examples=20),
        )
    finally:
        store.close()
