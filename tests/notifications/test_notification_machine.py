"""A notification's life (queued, sent or failed and retried, parked, read) as a hypothesis
state machine, on memory and on PostgreSQL (``travelcore.testing.notification_machine``)."""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from travelcore.testing.notification_machine import notification_machine
from travelcore_adapters.memory import MemoryDatabase
from travelcore_adapters.notifications import JinjaRenderer
from travelcore_adapters.postgres import PostgresDatabase

SETTINGS = settings(
    max_examples=60,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def test_memory_notifications_keep_their_invariants_after_every_step() -> None:
    run_state_machine_as_test(
        notification_machine(lambda: (MemoryDatabase(), JinjaRenderer())), settings=SETTINGS
    )


def test_postgres_notifications_keep_their_invariants_after_every_step(
    outbox_postgres: PostgresDatabase,
) -> None:
    run_state_machine_as_test(
        notification_machine(lambda: (outbox_postgres, JinjaRenderer())),
        settings=settings(SETTINGS, max_examples=15),
    )
