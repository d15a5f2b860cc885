"""A child's erasure on memory and PostgreSQL, with the preference vector in a memory,
pgvector or Pinecone (needledb) store: after the sweep no table, vector namespace or outbox
message names the child, and the ledger is whole."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import attrs
import pytest
from sqlalchemy import text

from tests.adapters.vector_servers import (  # noqa: F401  (fixtures)
    needledb_server,
    pgvector_engine,
    pinecone_store_factory,
)
from tests.privacy.footprint import (
    DIMENSION,
    Family,
    leave_footprint,
    memory_hits,
    postgres_hits,
    vector_hits,
)
from travelcore.kernel import AccessDenied, Actor, ManualClock, NotFound, Role, UserId, new_uuid
from travelcore.ledger.model import CreditBalance
from travelcore.outbox.ports import OutboxStore
from travelcore.retention import (
    ERASED_NAME,
    ERASURE_STEPS,
    ChildDeletion,
    RetentionJob,
    RetentionUnitOfWork,
    Subject,
)
from travelcore.testing.world import World
from travelcore.vectors import namespace_for
from travelcore.vectors.ports import VectorStore
from travelcore_adapters.memory import MemoryDatabase
from travelcore_adapters.memory.vectors import MemoryVectorStore
from travelcore_adapters.pgvector import PgVectorStore, create_schema
from travelcore_adapters.postgres import PostgresDatabase
from travelcore_adapters.postgres.outbox import PostgresOutbox


@attrs.frozen
class Backend:
    database: Callable[..., Any]
    outbox: OutboxStore
    table_hits: Callable[[Family], list[str]]


@pytest.fixture(params=["memory", "postgres"])
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    if request.param == "memory":
        db = MemoryDatabase()
        yield Backend(db, db.outbox, lambda f: memory_hits(db.store.tables, f.terms))
        return
    database: PostgresDatabase = request.getfixturevalue("postgres_database")
    superuser = request.getfixturevalue("superuser")
    outbox = PostgresOutbox(database.engine)
    yield Backend(database, outbox, lambda f: postgres_hits(superuser, f.parent.tenant_id, f.terms))
    outbox.close()


@pytest.fixture(params=["memory", "pgvector", "pinecone"])
def store(request: pytest.FixtureRequest) -> Iterator[VectorStore]:
    if request.param == "memory":
        yield MemoryVectorStore(DIMENSION)
    elif request.param == "pgvector":
        engine = request.getfixturevalue("pgvector_engine")
        table = f"t_{uuid.uuid4().hex[:12]}"
        create_schema(engine, DIMENSION, table)
        yield PgVectorStore(engine, DIMENSION, table=table)
        with engine.begin() as conn:
            conn.execute(text(f"DROP TABLE {table}, {table}_load"))
    else:
        make: Any = request.getfixturevalue("pinecone_store_factory")
        yield make(DIMENSION)


@pytest.fixture
def world(backend: Backend, clock: ManualClock) -> World:
    return World(backend.database, clock)


def _job(world: World, backend: Backend, store: VectorStore, **options: Any) -> RetentionJob:
    return RetentionJob(
        backend.database, world.clock, stores=[store], outbox=backend.outbox, **options
    )


def _request_and_wait(world: World, family: Family) -> None:
    deletion = ChildDeletion(world.db, world.clock)  # type: ignore[arg-type]
    scheduled = deletion.request(family.child, actor=family.parent)
    assert scheduled == (world.clock.now() + timedelta(days=30)).date()
    world.clock.advance(timedelta(days=31))


def _balances(world: World, family: Family) -> list[CreditBalance]:
    with world.db(world.tenant) as uow:
        records = uow.personal_data.records(family.parent.user_id, [])  # type: ignore[attr-defined]
    ledger: list[CreditBalance] = records["ledger"]
    return ledger


def _ledger_holds(balances: list[CreditBalance]) -> None:
    for balance in balances:
        running = 0
        for n, entry in enumerate(balance.entries, start=1):
            running += entry.amount
            assert (entry.sequence, entry.balance_after) == (n, running)
        assert balance.balance == sum(e.amount for e in balance.entries)
        assert balance.available >= 0


def _all_hits(backend: Backend, store: VectorStore, family: Family) -> list[str]:
    hits = backend.table_hits(family) + vector_hits(store, family.parent.tenant_id, family.terms)
    for entry in backend.outbox.entries(family.parent.tenant_id):
        text = str(entry.message.payload)
        hits += [f"outbox message: {t}" for t in family.terms if t in text]
    return hits


def test_after_the_sweep_nothing_names_the_child_and_the_ledger_is_whole(
    world: World, backend: Backend, store: VectorStore
) -> None:
    family = leave_footprint(world, store, backend.outbox)
    before = _balances(world, family)
    assert {h.split(": ")[1] for h in _all_hits(backend, store, family)} == set(family.terms)
    _request_and_wait(world, family)
    purged = _job(world, backend, store).run(actor=Actor.system(world.tenant, "retention"))
    assert purged["child_erasure"] == 1
    assert purged["delivered_outbox"] >= 1
    assert _all_hits(backend, store, family) == []
    after = _balances(world, family)
    _ledger_holds(after)
    assert [b.entries for b in after] == [b.entries for b in before]
    with world.db(world.tenant) as uow:
        with pytest.raises(NotFound):
            uow.children.get(family.child)
        bookings = uow.bookings.for_parent(family.parent.user_id)
        placeholders = {b.child_id for b in bookings} - {family.sibling}
        assert len(placeholders) == 1
        alias = uow.children.get(placeholders.pop())
        assert (alias.first_name, alias.is_active) == (ERASED_NAME, False)
        assert len(bookings) == 4
        assert uow.children.get(family.sibling).is_active
        assert uow.consents.for_child(family.sibling)
    again = _job(world, backend, store).run(actor=Actor.system(world.tenant, "retention"))
    assert again["child_erasure"] == 0


def test_skipping_one_rule_leaves_the_child_findable(
    world: World, backend: Backend, store: VectorStore
) -> None:
    family = leave_footprint(world, store, backend.outbox)
    _request_and_wait(world, family)
    steps = [s for s in ERASURE_STEPS if s[0] != "search_logs"]
    _job(world, backend, store, erasure_steps=steps).run(
        actor=Actor.system(world.tenant, "retention")
    )
    assert "nl_search_logs" in " ".join(backend.table_hits(family))


def test_a_crash_midway_is_finished_by_the_next_sweep(
    world: World, backend: Backend, store: VectorStore
) -> None:
    family = leave_footprint(world, store, backend.outbox)
    _request_and_wait(world, family)

    def crash(uow: RetentionUnitOfWork, subject: Subject) -> int:
        raise RuntimeError("the process died")

    steps = [*ERASURE_STEPS[:-1], ("crash", crash), ERASURE_STEPS[-1]]
    with pytest.raises(RuntimeError):
        _job(world, backend, store, erasure_steps=steps).run(
            actor=Actor.system(world.tenant, "retention")
        )
    namespace = namespace_for(world.tenant, "child_preferences")
    assert store.fetch(namespace, [str(family.child)]).missing == (str(family.child),)
    with world.db(world.tenant) as uow:
        assert uow.children.get(family.child).first_name != ERASED_NAME
    _job(world, backend, store).run(actor=Actor.system(world.tenant, "retention"))
    assert _all_hits(backend, store, family) == []


def test_only_the_parent_asks_and_only_the_system_sweeps(
    world: World, backend: Backend, store: VectorStore
) -> None:
    parent, (child,) = world.family()
    deletion = ChildDeletion(world.db, world.clock)  # type: ignore[arg-type]
    stranger = Actor(tenant_id=world.tenant, role=Role.PARENT, user_id=UserId(new_uuid()))
    with pytest.raises(AccessDenied):
        deletion.request(child, actor=stranger)
    with pytest.raises(AccessDenied):
        _job(world, backend, store).run(
            actor=Actor(tenant_id=world.tenant, role=Role.PARENT, user_id=parent)
        )
    owner = Actor(tenant_id=world.tenant, role=Role.PARENT, user_id=parent)
    first = deletion.request(child, actor=owner)
    world.clock.advance(timedelta(days=3))
    assert deletion.request(child, actor=owner) == first
    world.clock.advance(timedelta(days=20))
    purged = _job(world, backend, store).run(actor=Actor.system(world.tenant, "retention"))
    assert purged["child_erasure"] == 0
