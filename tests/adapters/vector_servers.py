"""Real back ends for the vector-store tests: a needledb server (Pinecone API) and a
PostgreSQL database with pgvector. Session-wide singletons, started on first use. The
server itself comes from ``travelcore_adapters.pinecone.testing``, as users get it."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, make_url, text

from travelcore.kernel import Clock
from travelcore_adapters.pinecone import PineconeVectorStore
from travelcore_adapters.pinecone.testing import NeedleServer

_needle: NeedleServer | None = None
_engine: Engine | None = None


@pytest.fixture(scope="session")
def needledb_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NeedleServer]:
    global _needle
    if _needle is None:
        _needle = NeedleServer(tmp_path_factory.mktemp("needledb"))
        _needle.start()
    yield _needle
    _needle.stop()


@pytest.fixture
def pinecone_store_factory(
    needledb_server: NeedleServer,
) -> Iterator[object]:
    """``make(dimension, clock=None)`` -> a store on a fresh index (or the configured one)."""
    host = os.environ.get("TRAVELCORE_TEST_PINECONE_HOST")
    created: list[str] = []

    def make(dimension: int, clock: Clock | None = None) -> PineconeVectorStore:
        if host:
            store = PineconeVectorStore.connect(
                os.environ["PINECONE_API_KEY"], host, dimension, clock=clock
            )
            for namespace in store.stats().namespaces:
                store._index.delete(delete_all=True, namespace=namespace)
            return store
        name = needledb_server.create_index(dimension)
        created.append(name)
        return needledb_server.store(name, dimension, clock=clock, failure_threshold=3)

    yield make
    for name in created:
        needledb_server.drop_index(name)


@pytest.fixture(scope="session")
def pgvector_engine(postgres_superuser_url: str) -> Engine:
    """An engine on a database of its own (``travelcore_vectors_test``)."""
    global _engine
    if _engine is None:
        base = make_url(postgres_superuser_url).set(drivername="postgresql+psycopg")
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = 'travelcore_vectors_test'")
            ).scalar()
            if not exists:
                conn.execute(text("CREATE DATABASE travelcore_vectors_test"))
        admin.dispose()
        _engine = create_engine(base.set(database="travelcore_vectors_test"), pool_size=4)
    return _engine
