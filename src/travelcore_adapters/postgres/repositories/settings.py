"""The PostgreSQL platform settings repository (one row per tenant). ``get`` is a plain
read (every policy lookup makes one); the writes read with ``get_for_update``."""

from __future__ import annotations

from typing import Any

from psycopg.types.json import Jsonb

from travelcore.kernel import NotFound, TenantId, UserId, dumps
from travelcore.settings import PlatformSettings
from travelcore_adapters.postgres.repositories.base import TableRepository
from travelcore_adapters.postgres.tables.settings import platform_settings


class PostgresPlatformSettings(TableRepository[PlatformSettings]):
    table, entity = platform_settings, "platform_settings"

    def to_row(self, entity: PlatformSettings) -> dict[str, Any]:
        return {
            "tenant_id": entity.tenant_id,
            "overrides": Jsonb(entity.overrides, dumps),
            "updated_at": entity.updated_at,
            "updated_by": entity.updated_by,
            "version": entity.version,
        }

    def to_entity(self, row: Any) -> PlatformSettings:
        return PlatformSettings(
            tenant_id=TenantId(row.tenant_id),
            overrides=dict(row.overrides),
            updated_at=row.updated_at,
            updated_by=None if row.updated_by is None else UserId(row.updated_by),
            version=row.version,
        )

    def get(self) -> PlatformSettings:  # type: ignore[override]
        """A plain read (policy lookups)."""
        found = self._find(())
        if found is None:
            raise NotFound("platform_settings", self._tid)
        return found

    def get_for_update(self, key: object = ()) -> PlatformSettings:
        """The locked read the writes use."""
        return super().get_for_update(())
