"""The erasure contract: after the retention sweep, nothing the back end stores names the
erased child, and the ledger is whole.

Subclass :class:`ErasureContract` and provide the fixtures ``database`` (``(TenantId) ->
unit of work`` with every repository), ``outbox`` (its ``OutboxStore``), ``vectors`` (a
vector store of dimension ``DIMENSION``), ``table_hits`` (``(TenantId, terms) ->`` a
description of every stored row of the tenant, in every table, that contains one of the
terms) and ``clock``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from travelcore.kernel import (
    AccessDenied,
    Actor,
    ManualClock,
    NotFound,
    Role,
    TenantId,
    UserId,
    new_uuid,
)
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
from travelcore.testing.footprint import (
    Family,
    leave_footprint,
    ledger_holds,
    outbox_hits,
    vector_hits,
)
from travelcore.testing.world import World
from travelcore.vectors import namespace_for
from travelcore.vectors.ports import VectorStore

TableHits = Callable[[TenantId, tuple[str, ...]], list[str]]


class ErasureContract:
    @pytest.fixture
    def world(self, database: Callable[[TenantId], Any], clock: ManualClock) -> World:
        return World(database, clock)

    @pytest.fixture
    def job(
        self,
        database: Callable[[TenantId], Any],
        clock: ManualClock,
        vectors: VectorStore,
        outbox: OutboxStore,
    ) -> Callable[..., RetentionJob]:
        def make(**options: Any) -> RetentionJob:
            return RetentionJob(database, clock, stores=[vectors], outbox=outbox, **options)

        return make

    @pytest.fixture
    def family(
        self,
        world: World,
        database: Callable[[TenantId], Any],
        vectors: VectorStore,
        outbox: OutboxStore,
    ) -> Family:
        return leave_footprint(world, database, vectors, outbox)

    def hits(
        self, family: Family, table_hits: TableHits, vectors: VectorStore, outbox: OutboxStore
    ) -> list[str]:
        tenant = family.parent.tenant_id
        return (
            table_hits(tenant, family.terms)
            + vector_hits(vectors, tenant, family.terms)
            + outbox_hits(outbox, tenant, family.terms)
        )

    def request_and_wait(self, world: World, database: Any, family: Family) -> None:
        scheduled = ChildDeletion(database, world.clock).request(family.child, actor=family.parent)
        assert scheduled == (world.clock.now() + timedelta(days=30)).date()
        world.clock.advance(timedelta(days=29))
        assert (
            RetentionJob(database, world.clock).run(actor=self.system(world))["child_erasure"] == 0
        )
        world.clock.advance(timedelta(days=2))

    def system(self, world: World) -> Actor:
        return Actor.system(world.tenant, "retention")

    def balances(self, database: Any, family: Family) -> list[CreditBalance]:
        assert family.parent.user_id is not None
        with database(family.parent.tenant_id) as uow:
            ledger: list[CreditBalance] = uow.personal_data.records(family.parent.user_id, [])[
                "ledger"
            ]
        return ledger

    def test_after_the_sweep_nothing_names_the_child_and_the_ledger_is_whole(
        self,
        world: World,
        database: Any,
        family: Family,
        job: Callable[..., RetentionJob],
        table_hits: TableHits,
        vectors: VectorStore,
        outbox: OutboxStore,
    ) -> None:
        found = self.hits(family, table_hits, vectors, outbox)
        assert {h.rsplit(": ", 1)[1] for h in found} == set(family.terms)
        assert {"user_memory", "booking_feedback", "reviews", "conversation_messages"} <= {
            h.split(": ", 1)[0].rsplit("/", 1)[-1] for h in found
        }
        memories = {*map(str, family.memories), str(family.kept_memory)}
        assert set(self.memory_vectors(world, vectors)) == memories
        before = self.balances(database, family)
        self.request_and_wait(world, database, family)
        purged = job().run(actor=self.system(world))
        assert purged["child_erasure"] == 1
        assert purged["delivered_outbox"] >= 1
        remaining = self.hits(family, table_hits, vectors, outbox)
        assert remaining == [], remaining
        assert self.memory_vectors(world, vectors) == [str(family.kept_memory)]
        after = self.balances(database, family)
        ledger_holds(after)
        assert [b.entries for b in after] == [b.entries for b in before]
        assert family.parent.user_id is not None
        with database(world.tenant) as uow:
            with pytest.raises(NotFound):
                uow.children.get(family.child)
            bookings = uow.bookings.for_parent(family.parent.user_id)
            assert len(bookings) == 4
            placeholders = {b.child_id for b in bookings} - {family.sibling}
            assert len(placeholders) == 1
            alias = uow.children.get(placeholders.pop())
            assert (alias.first_name, alias.is_active) == (ERASED_NAME, False)
            assert uow.children.get(family.sibling).is_active
            assert uow.consents.for_child(family.sibling)
            kept = uow.memory_entries.for_user(family.parent.user_id)
            assert [m.id for m in kept] == [family.kept_memory]
        assert job().run(actor=self.system(world))["child_erasure"] == 0

    def memory_vectors(self, world: World, vectors: VectorStore) -> list[str]:
        """The ids in the tenant's long-term memory namespace."""
        page = vectors.list_ids(namespace_for(world.tenant, "user_memory"), limit=100)
        assert page.next_token is None
        return sorted(page.ids)

    @pytest.mark.parametrize(
        ("skipped", "table"),
        [
            ("search_logs", "nl_search_logs"),
            ("free_text", "conversation_messages"),
            ("memory", "user_memory"),
        ],
    )
    def test_skipping_one_step_leaves_the_child_findable(
        self,
        world: World,
        database: Any,
        family: Family,
        job: Callable[..., RetentionJob],
        table_hits: TableHits,
        skipped: str,
        table: str,
    ) -> None:
        self.request_and_wait(world, database, family)
        steps = [s for s in ERASURE_STEPS if s[0] != skipped]
        job(erasure_steps=steps).run(actor=self.system(world))
        assert table in " ".join(table_hits(world.tenant, family.terms))

    def test_a_crash_midway_is_finished_by_the_next_sweep(
        self,
        world: World,
        database: Any,
        family: Family,
        job: Callable[..., RetentionJob],
        table_hits: TableHits,
        vectors: VectorStore,
        outbox: OutboxStore,
    ) -> None:
        self.request_and_wait(world, database, family)

        def crash(uow: RetentionUnitOfWork, subject: Subject) -> int:
            raise RuntimeError("the process died")

        steps = [*ERASURE_STEPS[:-1], ("crash", crash), ERASURE_STEPS[-1]]
        with pytest.raises(RuntimeError):
            job(erasure_steps=steps).run(actor=self.system(world))
        namespace = namespace_for(world.tenant, "child_preferences")
        assert vectors.fetch(namespace, [str(family.child)]).missing == (str(family.child),)
        with database(world.tenant) as uow:
            assert uow.children.get(family.child).first_name != ERASED_NAME
        job().run(actor=self.system(world))
        assert self.hits(family, table_hits, vectors, outbox) == []

    def test_only_the_parent_asks_and_only_the_system_sweeps(
        self, world: World, database: Any, job: Callable[..., RetentionJob]
    ) -> None:
        parent, (child,) = world.family()
        deletion = ChildDeletion(database, world.clock)
        stranger = Actor(tenant_id=world.tenant, role=Role.PARENT, user_id=UserId(new_uuid()))
        owner = Actor(tenant_id=world.tenant, role=Role.PARENT, user_id=parent)
        with pytest.raises(AccessDenied):
            deletion.request(child, actor=stranger)
        with pytest.raises(AccessDenied):
            job().run(actor=owner)
        first = deletion.request(child, actor=owner)
        world.clock.advance(timedelta(days=3))
        assert deletion.request(child, actor=owner) == first
        with database(world.tenant) as uow:
            assert not uow.children.get(child).is_active
