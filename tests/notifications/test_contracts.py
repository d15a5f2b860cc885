"""The notifications and outbox contracts on memory and on PostgreSQL (as the application
role, with row-level security)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from travelcore.kernel import EventBus, TenantId
from travelcore.testing import (
    NotificationRepositoryContract,
    OutboxContract,
    PreferenceRepositoryContract,
    TemplateRepositoryContract,
)
from travelcore_adapters.memory import MemoryDatabase, MemoryOutbox
from travelcore_adapters.postgres import PostgresDatabase, PostgresUnitOfWork
from travelcore_adapters.postgres.outbox import PostgresOutbox


class Memory:
    @pytest.fixture
    def database(self) -> MemoryDatabase:
        return MemoryDatabase()

    @pytest.fixture
    def uow_factory(self, database: MemoryDatabase) -> Callable[..., Any]:
        return lambda tenant_id, bus=None: database(tenant_id)

    @pytest.fixture
    def outbox_store(self, database: MemoryDatabase) -> MemoryOutbox:
        return database.outbox

    @pytest.fixture
    def forgetful_outbox_store(self, database: MemoryDatabase) -> MemoryOutbox:
        return MemoryOutbox(database.store, keep_delivered=False)


class Postgres:
    @pytest.fixture
    def uow_factory(self, outbox_postgres: PostgresDatabase) -> Callable[..., Any]:
        def make(tenant_id: TenantId, bus: EventBus | None = None) -> PostgresUnitOfWork:
            return PostgresUnitOfWork(outbox_postgres.engine, tenant_id, bus)

        return make

    @pytest.fixture
    def outbox_store(self, outbox_postgres: PostgresDatabase) -> Iterator[PostgresOutbox]:
        store = PostgresOutbox(outbox_postgres.engine)
        yield store
        store.close()

    @pytest.fixture
    def forgetful_outbox_store(self, outbox_postgres: PostgresDatabase) -> Iterator[PostgresOutbox]:
        store = PostgresOutbox(outbox_postgres.engine, keep_delivered=False)
        yield store
        store.close()


class TestMemoryNotifications(Memory, NotificationRepositoryContract):
    pass


class TestMemoryPreferences(Memory, PreferenceRepositoryContract):
    pass


class TestMemoryTemplates(Memory, TemplateRepositoryContract):
    pass


class TestMemoryOutbox(Memory, OutboxContract):
    pass


class TestPostgresNotifications(Postgres, NotificationRepositoryContract):
    pass


class TestPostgresPreferences(Postgres, PreferenceRepositoryContract):
    pass


class TestPostgresTemplates(Postgres, TemplateRepositoryContract):
    pass


class TestPostgresOutbox(Postgres, OutboxContract):
    pass
