"""The feature-flag repository contract on memory and PostgreSQL, and the table's refusals
on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from travelcore.kernel import EventBus, TenantId
from travelcore.testing import FeatureFlagRepositoryContract
from travelcore_adapters.memory import MemoryStore, MemoryUnitOfWork
from travelcore_adapters.postgres import PostgresDatabase, PostgresUnitOfWork


@pytest.fixture(params=["memory", "postgres"])
def uow_factory(request: pytest.FixtureRequest) -> Callable[..., Any]:
    if request.param == "memory":
        store = MemoryStore()

        def memory(tenant_id: TenantId, bus: EventBus | None = None) -> MemoryUnitOfWork:
            return MemoryUnitOfWork(store, tenant_id, bus)

        return memory
    database: PostgresDatabase = request.getfixturevalue("postgres_database")

    def postgres(tenant_id: TenantId, bus: EventBus | None = None) -> PostgresUnitOfWork:
        return PostgresUnitOfWork(database.engine, tenant_id, bus)

    return postgres


class TestFeatureFlagRepository(FeatureFlagRepositoryContract):
    pass


def test_the_table_refuses_a_percentage_out_of_range(superuser: psycopg.Connection[Any]) -> None:
    with pytest.raises(psycopg.errors.CheckViolation):
        superuser.execute(
            "INSERT INTO feature_flags (tenant_id, flag_key, name, description, is_enabled,"
            " rollout_percentage, target_corporate_ids, target_user_ids, environments, version)"
            " VALUES (gen_random_uuid(), 'k', 'K', '', true, 101, '{}', '{}', '{}', 0)"
        )
