"""A consumer whose effects are rows in an ``effects`` table, written in the consumer's own
transaction (so the inbox makes them exactly once), and the checks on them. Used by the
crash and concurrent-relay tests, in-process and in ``relay_worker``."""

from __future__ import annotations

import os
from collections import defaultdict
from typing import Any

import psycopg
from sqlalchemy import text

from travelcore.kernel import OutboxMessage
from travelcore.testing.outbox import ThingCounted

EFFECTS = """
CREATE TABLE IF NOT EXISTS effects (
    applied bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id uuid NOT NULL,
    aggregate text NOT NULL,
    n integer NOT NULL,
    relay text NOT NULL
)
"""
INSERT = text(
    "INSERT INTO effects (event_id, aggregate, n, relay) VALUES (:event_id, :aggregate, :n, :relay)"
)


def create_effects(superuser: psycopg.Connection[Any], app_role: str) -> None:
    superuser.execute(EFFECTS)
    superuser.execute(f'GRANT SELECT, INSERT ON effects TO "{app_role}"')


class EffectWriter:
    name = "effects"

    def __init__(self, relay: str, log_path: str | None = None) -> None:
        self.relay = relay
        self._log = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT) if log_path else None

    def handle(self, uow: Any, message: OutboxMessage) -> None:
        event = message.event()
        assert isinstance(event, ThingCounted)
        uow.execute(
            INSERT,
            {
                "event_id": message.event_id,
                "aggregate": message.aggregate,
                "n": event.n,
                "relay": self.relay,
            },
        )
        if self._log is not None:  # every attempt, committed or not, survives a SIGKILL
            os.write(self._log, f"{message.event_id}\n".encode())


def disorder(rows: list[tuple[str, int]]) -> list[str]:
    """Aggregates whose effects (in the order applied) do not count up."""
    last: dict[str, int] = defaultdict(lambda: -1)
    broken = []
    for aggregate, n in rows:
        if n <= last[aggregate]:
            broken.append(aggregate)
        last[aggregate] = n
    return broken
