"""The travel, payments and accounts repositories on PostgreSQL: the shared contracts, and
tenant isolation of itineraries and trip bookings through the adapter and raw SQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from travelcore.kernel import EventBus, TenantId
from travelcore.testing import (
    AccountRepositoriesContract,
    PaymentRepositoriesContract,
    TravelRepositoriesContract,
)
from travelcore_adapters.postgres import PostgresDatabase, PostgresUnitOfWork


@pytest.fixture
def uow_factory(postgres_database: PostgresDatabase) -> Callable[..., Any]:
    def make(tenant_id: TenantId, bus: EventBus | None = None) -> PostgresUnitOfWork:
        return PostgresUnitOfWork(postgres_database.engine, tenant_id, bus)

    return make


class TestPostgresTravelRepositories(TravelRepositoriesContract):
    pass


class TestPostgresPaymentRepositories(PaymentRepositoriesContract):
    pass


class TestPostgresAccountRepositories(AccountRepositoriesContract):
    pass
