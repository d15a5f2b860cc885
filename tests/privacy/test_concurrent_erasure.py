"""Two sweeps erasing one child at once on PostgreSQL: the row lock taken by ``claim`` lets
one of them erase it and the other find it gone. Without the lock (the negative control)
both erase it and leave two placeholders."""

from __future__ import annotations

import contextlib
import threading
from datetime import date
from typing import Any

import pytest

from travelcore.kernel import ManualClock
from travelcore.people import Child, ChildId
from travelcore.retention import (
    ERASED_NAME,
    ERASURE_STEPS,
    RetentionUnitOfWork,
    Subject,
    erase_child,
)
from travelcore.testing.world import World
from travelcore_adapters.postgres import PostgresDatabase
from travelcore_adapters.postgres.repositories.privacy import PostgresErasure
from travelcore_adapters.postgres.tables import people


def _race(database: PostgresDatabase, world: World, child: Child) -> list[dict[str, int]]:
    meet = threading.Barrier(2)

    def rendezvous(uow: RetentionUnitOfWork, subject: Subject) -> int:
        with contextlib.suppress(threading.BrokenBarrierError):
            meet.wait(timeout=1)  # broken when the other sweep waits for this one's lock
        return 0

    steps = [("rendezvous", rendezvous), *ERASURE_STEPS]
    results: list[dict[str, int]] = []

    def sweep() -> None:
        results.append(erase_child(database, world.tenant, child, stores=[], steps=steps))

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _placeholders(database: PostgresDatabase, world: World, parent: Any) -> int:
    with database(world.tenant) as uow:
        return sum(c.first_name == ERASED_NAME for c in uow.children.for_parent(parent))


def _family(world: World) -> tuple[Any, Child]:
    parent, (child_id,) = world.family(born=[date(2017, 2, 13)])
    with world.db(world.tenant) as uow:
        return parent, uow.children.get(child_id)


def test_two_sweeps_erase_a_child_once(
    postgres_database: PostgresDatabase, clock: ManualClock
) -> None:
    world = World(postgres_database, clock)
    parent, child = _family(world)
    results = _race(postgres_database, world, child)
    assert sorted(bool(r) for r in results) == [False, True]
    assert _placeholders(postgres_database, world, parent) == 1


def test_without_the_lock_both_erase_it(
    postgres_database: PostgresDatabase, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unlocked(self: PostgresErasure, child_id: ChildId) -> Child | None:
        query = self._children._select(people.children.c.id == child_id)
        return self._children._first(query)

    monkeypatch.setattr(PostgresErasure, "claim", unlocked)
    world = World(postgres_database, clock)
    parent, child = _family(world)
    results = _race(postgres_database, world, child)
    assert all(results)
    assert _placeholders(postgres_database, world, parent) == 2
