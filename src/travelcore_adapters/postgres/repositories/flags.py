"""The PostgreSQL feature-flag repository. Variants are stored as a JSON list of
``[name, weight]`` pairs, which keeps their declared order (a JSONB object would not)."""

from __future__ import annotations

from typing import Any

from psycopg.types.json import Jsonb

from travelcore.flags import FeatureFlag
from travelcore.kernel import TenantId
from travelcore_adapters.postgres.repositories.base import TableRepository
from travelcore_adapters.postgres.tables.flags import feature_flags


class PostgresFeatureFlags(TableRepository[FeatureFlag]):
    table, entity = feature_flags, "feature_flag"

    def to_row(self, entity: FeatureFlag) -> dict[str, Any]:
        return {
            "tenant_id": entity.tenant_id,
            "flag_key": entity.key,
            "name": entity.name,
            "description": entity.description,
            "category": entity.category,
            "is_enabled": entity.enabled,
            "rollout_percentage": entity.rollout_percentage,
            "target_roles": None if entity.target_roles is None else sorted(entity.target_roles),
            "target_corporate_ids": sorted(entity.target_corporate_ids),
            "target_user_ids": sorted(entity.target_user_ids),
            "environments": sorted(entity.environments),
            "variants": None
            if entity.variants is None
            else Jsonb([[n, w] for n, w in entity.variants.items()]),
            "starts_at": entity.starts_at,
            "ends_at": entity.ends_at,
            "version": entity.version,
        }

    def to_entity(self, row: Any) -> FeatureFlag:
        return FeatureFlag(
            tenant_id=TenantId(row.tenant_id),
            key=row.flag_key,
            name=row.name,
            description=row.description,
            category=row.category,
            enabled=row.is_enabled,
            rollout_percentage=row.rollout_percentage,
            target_roles=None if row.target_roles is None else frozenset(row.target_roles),
            target_corporate_ids=frozenset(row.target_corporate_ids),
            target_user_ids=frozenset(row.target_user_ids),
            environments=frozenset(row.environments),
            variants=None if row.variants is None else dict(row.variants),
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            version=row.version,
        )

    def all(self) -> list[FeatureFlag]:
        return self._all(self._select().order_by(feature_flags.c.flag_key))
