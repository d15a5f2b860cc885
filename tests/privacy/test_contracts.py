"""The erasure, export and retention contracts on memory and PostgreSQL, with the preference vectors
in a memory, pgvector or Pinecone (needledb) store (erasure) or in memory (export)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import text

from tests.adapters.vector_servers import (  # noqa: F401  (fixtures)
    needledb_server,
    pgvector_engine,
    pinecone_store_factory,
)
from tests.privacy.search import memory_hits, postgres_hits
from travelcore.kernel import TenantId
from travelcore.outbox.ports import OutboxStore
from travelcore.testing import ErasureContract, ExportContract, RetentionContract
from travelcore.testing.footprint import DIMENSION
from travelcore.vectors.ports import VectorStore
from travelcore_adapters.memory import MemoryDatabase
from travelcore_adapters.memory.vectors import MemoryVectorStore
from travelcore_adapters.pgvector import PgVectorStore, create_schema
from travelcore_adapters.postgres import PostgresDatabase
from travelcore_adapters.postgres.outbox import PostgresOutbox
from travelcore_adapters.postgres.provision import (
    ProvisionedDatabase,
    admin_connection,
    provision_database,
)


@pytest.fixture(scope="module")
def privacy_database(postgres_superuser_url: str) -> ProvisionedDatabase:
    """A database of its own: the sweeps and the outbox claims span every tenant."""
    return provision_database(postgres_superuser_url)


@pytest.fixture(params=["memory", "postgres"])
def backend(request: pytest.FixtureRequest) -> Iterator[tuple[Any, OutboxStore, Any]]:
    if request.param == "memory":
        db = MemoryDatabase()
        yield db, db.outbox, lambda tenant, terms: memory_hits(db.store.tables, terms)
        return
    provisioned: ProvisionedDatabase = request.getfixturevalue("privacy_database")
    with (
        PostgresDatabase(provisioned.app_url, pool_size=3) as database,
        admin_connection(provisioned.superuser_url, provisioned.name) as superuser,
    ):
        outbox = PostgresOutbox(database.engine)
        yield database, outbox, lambda tenant, terms: postgres_hits(superuser, tenant, terms)
        outbox.close()


@pytest.fixture(params=["memory", "pgvector", "pinecone"])
def vectors(request: pytest.FixtureRequest) -> Iterator[VectorStore]:
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


class TestErasure(ErasureContract):
    @pytest.fixture
    def database(self, backend: tuple[Any, OutboxStore, Any]) -> Any:
        return backend[0]

    @pytest.fixture
    def outbox(self, backend: tuple[Any, OutboxStore, Any]) -> OutboxStore:
        return backend[1]

    @pytest.fixture
    def table_hits(
        self, backend: tuple[Any, OutboxStore, Any]
    ) -> Callable[[TenantId, tuple[str, ...]], list[str]]:
        hits: Callable[[TenantId, tuple[str, ...]], list[str]] = backend[2]
        return hits


class TestExport(ExportContract):
    @pytest.fixture
    def database(self, backend: tuple[Any, OutboxStore, Any]) -> Any:
        return backend[0]

    @pytest.fixture
    def outbox(self, backend: tuple[Any, OutboxStore, Any]) -> OutboxStore:
        return backend[1]

    @pytest.fixture
    def vectors(self) -> VectorStore:
        return MemoryVectorStore(DIMENSION)


class TestRetention(RetentionContract):
    @pytest.fixture
    def database(self, backend: tuple[Any, OutboxStore, Any]) -> Any:
        return backend[0]

    @pytest.fixture
    def outbox(self, backend: tuple[Any, OutboxStore, Any]) -> OutboxStore:
        return backend[1]
