"""The vectors context's ``VectorSyncRepository`` over the ``vector_sync`` table.

A state has no version: ``save`` is an upsert on (tenant_id, namespace, source_id), the last
writer wins (the sync job writes the outcome of the store call it just made). ``pending``
orders by source id in code-point order (``COLLATE "C"``), whatever the database's collation.
"""

from __future__ import annotations

from typing import Any

from travelcore.kernel import TenantId
from travelcore.vectors.sync_model import VectorSyncState
from travelcore_adapters.postgres.repositories.base import TableRepository
from travelcore_adapters.postgres.tables.vectors import vector_sync as t


class PostgresVectorSyncRepository(TableRepository[VectorSyncState]):
    """Sync states of the unit of work's tenant."""

    table, entity = t, "vector sync state"
    audited = False  # a technical record, not a change of the domain

    def to_row(self, entity: VectorSyncState) -> dict[str, Any]:
        return {
            "tenant_id": entity.tenant_id,
            "namespace": entity.namespace,
            "source_id": entity.source_id,
            "content_hash": entity.content_hash,
            "model": entity.model,
            "status": entity.status,
            "attempts": entity.attempts,
            "last_error": entity.last_error,
            "updated_at": entity.updated_at,
        }

    def to_entity(self, row: Any) -> VectorSyncState:
        return VectorSyncState(
            tenant_id=TenantId(row.tenant_id),
            namespace=row.namespace,
            source_id=row.source_id,
            content_hash=row.content_hash,
            model=row.model,
            status=row.status,
            attempts=row.attempts,
            last_error=row.last_error,
            updated_at=row.updated_at,
        )

    def get(self, namespace: str, source_id: str) -> VectorSyncState | None:  # type: ignore[override]
        return self._find((namespace, source_id))

    def save(self, state: VectorSyncState) -> None:
        self._upsert(state)

    def remove(self, namespace: str, source_id: str) -> None:
        self._delete((namespace, source_id))

    def pending(self, namespace: str) -> list[VectorSyncState]:
        query = self._select(t.c.namespace == namespace, t.c.status != "synced")
        return self._all(query.order_by(t.c.source_id.collate("C")))
