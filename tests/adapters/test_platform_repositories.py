"""The platform repository contracts (feature flags, API keys, platform
settings) on memory and PostgreSQL,
and the tables' refusals on PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest

from travelcore.apikeys import ApiKeyService, CreateApiKey, InvalidApiKey, checksum
from travelcore.kernel import EventBus, ManualClock, TenantId, UserId, new_uuid
from travelcore.testing import (
    ApiKeyRepositoryContract,
    FeatureFlagRepositoryContract,
    PlatformSettingsRepositoryContract,
)
from travelcore.testing.actors import admin
from travelcore_adapters.memory import MemoryStore, MemoryUnitOfWork
from travelcore_adapters.postgres import PostgresDatabase, PostgresUnitOfWork
from travelcore_adapters.security import AesGcmSecretBox


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


class TestApiKeyRepository(ApiKeyRepositoryContract):
    pass


class TestPlatformSettingsRepository(PlatformSettingsRepositoryContract):
    pass


def test_the_table_refuses_a_percentage_out_of_range(superuser: psycopg.Connection[Any]) -> None:
    with pytest.raises(psycopg.errors.CheckViolation):
        superuser.execute(
            "INSERT INTO feature_flags (tenant_id, flag_key, name, description, is_enabled,"
            " rollout_percentage, target_corporate_ids, target_user_ids, environments, version)"
            " VALUES (gen_random_uuid(), 'k', 'K', '', true, 101, '{}', '{}', '{}', 0)"
        )


def test_a_dump_of_the_keys_table_authenticates_nobody(
    postgres_database: PostgresDatabase, superuser: psycopg.Connection[Any]
) -> None:
    clock = ManualClock(datetime(2026, 3, 1, tzinfo=UTC))
    service = ApiKeyService(
        postgres_database, clock, digest=AesGcmSecretBox({"k1": os.urandom(32)}, "k1")
    )
    tenant = TenantId(new_uuid())
    issued = [
        service.create(
            CreateApiKey(
                tenant_id=tenant,
                user_id=UserId(new_uuid()),
                role="venue_admin",
                name=f"key {n}",
                scopes=frozenset({"read:activities"}),
            ),
            actor=admin(tenant),
        )
        for n in range(3)
    ]
    rows = superuser.execute("SELECT * FROM api_keys WHERE tenant_id = %s", (tenant,)).fetchall()
    assert len(rows) == 3
    dumped = [str(value) for row in rows for value in row]
    assert not any(key.token in value for key in issued for value in dumped)
    candidates = [*dumped]
    for value in dumped:  # every dumped text, shaped as a key with a valid checksum
        body = (value.replace("-", "") * 4)[:32]
        if body.isalnum():
            head = f"tc_live_{body}"
            candidates.append(f"{head}_{checksum(head)}")
    for candidate in candidates:
        with pytest.raises(InvalidApiKey):
            service.authenticate(tenant, candidate)
    for key in issued:  # the negative control: the tokens themselves do authenticate
        assert service.authenticate(tenant, key.token).user_id == key.key.user_id
