"""The API key repository contract, run against every adapter."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from travelcore.apikeys import ApiKey, ApiKeyId
from travelcore.kernel import AlreadyExists, TenantId, UserId, new_uuid
from travelcore.testing.repositories import RepositoryContract, UowFactory

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def make_api_key(tenant_id: TenantId, prefix: str | None = None) -> ApiKey:
    return ApiKey(
        id=ApiKeyId(new_uuid()),
        tenant_id=tenant_id,
        user_id=UserId(new_uuid()),
        role="hr_admin",
        name="Payroll sync",
        prefix=prefix or new_uuid().hex[:8],
        secret_hash="ab" * 32,
        scopes=frozenset({"read:employees", "write:employees"}),
        created_at=T0,
        expires_at=datetime(2027, 1, 1, tzinfo=UTC),
    )


class ApiKeyRepositoryContract(RepositoryContract):
    repository = "api_keys"

    def build(self, uow: Any) -> ApiKey:
        return make_api_key(uow.tenant_id)

    def change(self, entity: ApiKey) -> None:
        entity.revoke(datetime(2026, 2, 1, tzinfo=UTC), "leaked in a log")
        entity.last_used_at = datetime(2026, 1, 15, tzinfo=UTC)

    def test_a_key_is_found_by_its_prefix_in_its_tenant_only(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        entity = self.stored(uow_factory, tenant)
        with uow_factory(tenant, None) as uow:
            assert uow.api_keys.find_by_prefix(entity.prefix) == entity
            assert uow.api_keys.find_by_prefix("00000000") is None
        with uow_factory(TenantId(new_uuid()), None) as uow:
            assert uow.api_keys.find_by_prefix(entity.prefix) is None

    def test_two_keys_cannot_share_a_prefix(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        entity = self.stored(uow_factory, tenant)
        with uow_factory(tenant, None) as uow, pytest.raises(AlreadyExists):
            uow.api_keys.add(make_api_key(tenant, entity.prefix))
