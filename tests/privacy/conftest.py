"""The privacy suites run on memory and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from travelcore.kernel import EventBus, TenantId
from travelcore_adapters.memory import MemoryStore, MemoryUnitOfWork
from travelcore_adapters.memory.vectors import MemoryVectorStore
from travelcore_adapters.postgres import PostgresDatabase, PostgresUnitOfWork


@pytest.fixture(params=["memory", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def uow_factory(backend: str, request: pytest.FixtureRequest) -> Callable[..., Any]:
    if backend == "memory":
        store = MemoryStore()

        def memory(tenant_id: TenantId, bus: EventBus | None = None) -> MemoryUnitOfWork:
            return MemoryUnitOfWork(store, tenant_id, bus)

        return memory
    database: PostgresDatabase = request.getfixturevalue("postgres_database")

    def postgres(tenant_id: TenantId, bus: EventBus | None = None) -> PostgresUnitOfWork:
        return PostgresUnitOfWork(database.engine, tenant_id, bus)

    return postgres


@pytest.fixture
def vectors() -> MemoryVectorStore:
    return MemoryVectorStore(4)
