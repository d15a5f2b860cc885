"""The ``vector_sync`` repository on PostgreSQL: the shared contract, and the sync job run
end to end with its state in PostgreSQL and its vectors in pgvector."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
from sqlalchemy import Engine, text

from tests.adapters.vector_servers import pgvector_engine  # noqa: F401  (fixture)
from travelcore.kernel import ManualClock, TenantId, VectorStoreUnavailable, new_uuid
from travelcore.testing import VectorSyncRepositoryContract
from travelcore.testing.actors import job
from travelcore.vectors import VectorRecord, namespace_for
from travelcore.vectors.embedder import HashingEmbedder
from travelcore.vectors.records import UpsertResult
from travelcore.vectors.sync import MODEL_KEY, SourceDocument, VectorSync
from travelcore_adapters.pgvector import (
    PgTextSearch,
    PgVectorStore,
    create_schema,
    create_text_schema,
)
from travelcore_adapters.postgres import PostgresDatabase, PostgresUnitOfWork

DIMENSION = 32


@pytest.fixture
def uow_factory(postgres_database: PostgresDatabase) -> Callable[..., Any]:
    def make(tenant_id: TenantId) -> PostgresUnitOfWork:
        return PostgresUnitOfWork(postgres_database.engine, tenant_id)

    return make


class TestPostgresVectorSyncRepository(VectorSyncRepositoryContract):
    pass


class SwitchableStore(PgVectorStore):
    """pgvector, with a switch that makes writes fail as an unreachable store would."""

    down = False

    def upsert(self, namespace: str, records: Sequence[VectorRecord]) -> UpsertResult:
        if self.down:
            raise VectorStoreUnavailable("down")
        return super().upsert(namespace, records)

    def delete(self, namespace: str, **selector: Any) -> None:
        if self.down:
            raise VectorStoreUnavailable("down")
        super().delete(namespace, **selector)


@pytest.fixture
def pg_vectors(
    pgvector_engine: Engine,  # noqa: F811
) -> Iterator[tuple[SwitchableStore, PgTextSearch]]:
    vectors, documents = f"t_{uuid.uuid4().hex[:12]}", f"t_{uuid.uuid4().hex[:12]}"
    create_schema(pgvector_engine, DIMENSION, vectors)
    create_text_schema(pgvector_engine, documents)
    yield (
        SwitchableStore(pgvector_engine, DIMENSION, table=vectors),
        PgTextSearch(pgvector_engine, documents),
    )
    with pgvector_engine.begin() as conn:
        conn.execute(text(f"DROP TABLE {vectors}"))
        conn.execute(text(f"DROP TABLE {documents}"))


def _docs(**texts: str) -> list[SourceDocument]:
    return [SourceDocument(id=k, text=v, metadata={"min_age": 5}) for k, v in texts.items()]


def _rows(database: PostgresDatabase, tenant: TenantId) -> dict[str, tuple[Any, ...]]:
    """The tenant's ``vector_sync`` rows, read with raw SQL on the adapter's connection."""
    with database(tenant) as uow:
        rows = uow.connection.execute(
            text("SELECT source_id, status, content_hash, model, attempts FROM vector_sync")
        ).all()
    return {row[0]: tuple(row[1:]) for row in rows}


def test_the_sync_job_end_to_end_on_postgresql_and_pgvector(
    postgres_database: PostgresDatabase,
    pg_vectors: tuple[SwitchableStore, PgTextSearch],
    clock: ManualClock,
) -> None:
    store, text_search = pg_vectors
    embedder = HashingEmbedder(DIMENSION)
    sync = VectorSync(
        postgres_database, clock, store=store, embedder=embedder, text_search=text_search
    )
    tenant = TenantId(new_uuid())
    ns = namespace_for(tenant, "activities")
    model = f"{embedder.model}@{embedder.version}"

    first = sync.sync(
        tenant, "activities", _docs(a="swimming", b="chess club", c="pottery"), actor=job(tenant)
    )
    assert first.embedded == ("a", "b", "c")
    assert sorted(store.fetch(ns, ["a", "b", "c"]).records) == ["a", "b", "c"]
    rows = _rows(postgres_database, tenant)
    expected = ("synced", model, 0)
    assert {k: (v[0], v[2], v[3]) for k, v in rows.items()} == dict.fromkeys("abc", expected)
    b_before = store.fetch(ns, ["b"]).records["b"]

    # Changed content is re-embedded; unchanged content is skipped.
    second = sync.sync(
        tenant,
        "activities",
        _docs(a="swimming", b="chess for kids", c="pottery"),
        actor=job(tenant),
    )
    assert (second.embedded, second.unchanged) == (("b",), ("a", "c"))
    b_after = store.fetch(ns, ["b"]).records["b"]
    assert b_after.values != b_before.values
    assert b_after.metadata[MODEL_KEY] == embedder.model
    assert b_after.values == pytest.approx(embedder.embed(["chess for kids"])[0], abs=1e-6)
    assert _rows(postgres_database, tenant)["b"][1] != rows["b"][1]
    assert _rows(postgres_database, tenant)["a"] == rows["a"]

    # A failed write is recorded in PostgreSQL and retried on the next run.
    store.down = True
    failed = sync.sync(
        tenant, "activities", _docs(a="swimming", b="chess for kids", c="clay"), actor=job(tenant)
    )
    assert failed.failed == ("c",)
    assert _rows(postgres_database, tenant)["c"][0] == "failed"
    store.down = False
    assert sync.sync(tenant, "activities", _docs(c="clay"), actor=job(tenant)).embedded == ("c",)

    # Deleting a source deletes its vectors and its text document, and forgets its state.
    assert sync.delete(tenant, "activities", ["c"], actor=job(tenant)).deleted == ("c",)
    assert store.fetch(ns, ["a", "b", "c"]).missing == ("c",)
    assert [m.id for m in text_search.search(ns, "clay")] == []
    assert sorted(_rows(postgres_database, tenant)) == ["a", "b"]

    # A deletion the store could not perform stays pending in PostgreSQL until a later run.
    store.down = True
    assert sync.delete(tenant, "activities", ["a"], actor=job(tenant)).failed == ("a",)
    assert _rows(postgres_database, tenant)["a"][0] == "delete_pending"
    store.down = False
    assert sync.sync(
        tenant, "activities", _docs(b="chess for kids"), actor=job(tenant)
    ).deleted == ("a",)
    assert store.fetch(ns, ["a", "b"]).missing == ("a",)
    assert sorted(_rows(postgres_database, tenant)) == ["b"]

    # Another tenant sees none of it.
    assert _rows(postgres_database, TenantId(new_uuid())) == {}
