"""The PostgreSQL API key repository."""

from __future__ import annotations

from typing import Any, ClassVar

from travelcore.apikeys import ApiKey, ApiKeyId
from travelcore.kernel import TenantId, UserId
from travelcore_adapters.postgres.repositories.base import TableRepository
from travelcore_adapters.postgres.tables.apikeys import api_keys


class PostgresApiKeys(TableRepository[ApiKey]):
    """``get`` locks the key's row (a revocation, a recorded use); ``find_by_prefix``, the
    read of every request, does not."""

    table, entity = api_keys, "api_key"
    lock_on_get: ClassVar[bool] = True

    def to_row(self, entity: ApiKey) -> dict[str, Any]:
        return {
            "tenant_id": entity.tenant_id,
            "id": entity.id,
            "user_id": entity.user_id,
            "role": entity.role,
            "name": entity.name,
            "key_prefix": entity.prefix,
            "key_hash": entity.secret_hash,
            "scopes": sorted(entity.scopes),
            "created_at": entity.created_at,
            "expires_at": entity.expires_at,
            "revoked_at": entity.revoked_at,
            "revoked_reason": entity.revoked_reason,
            "last_used_at": entity.last_used_at,
            "version": entity.version,
        }

    def to_entity(self, row: Any) -> ApiKey:
        return ApiKey(
            id=ApiKeyId(row.id),
            tenant_id=TenantId(row.tenant_id),
            user_id=UserId(row.user_id),
            role=row.role,
            name=row.name,
            prefix=row.key_prefix,
            secret_hash=row.key_hash,
            scopes=frozenset(row.scopes),
            created_at=row.created_at,
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
            revoked_reason=row.revoked_reason,
            last_used_at=row.last_used_at,
            version=row.version,
        )

    def find_by_prefix(self, prefix: str) -> ApiKey | None:
        return self._first(self._select(api_keys.c.key_prefix == prefix))
