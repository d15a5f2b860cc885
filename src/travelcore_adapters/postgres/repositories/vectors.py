"""The vectors context's ``VectorSyncRepository`` over the ``vector_sync`` table.

A state has no version: ``save`` is an upsert on (tenant_id, namespace, source_id), the last
writer wins (the sync job writes the outcome of the store call it just made). ``pending``
orders by source id in code-point order (``COLLATE "C"``), whatever the database's collation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert

from travelcore.kernel import TenantId, ValidationFailed
from travelcore.vectors.sync_model import VectorSyncState
from travelcore_adapters.postgres.tables.vectors import vector_sync as t

if TYPE_CHECKING:
    from travelcore_adapters.postgres.uow import PostgresUnitOfWork

_KEY = ("tenant_id", "namespace", "source_id")


def state_row(state: VectorSyncState) -> dict[str, Any]:
    return {
        "tenant_id": state.tenant_id,
        "namespace": state.namespace,
        "source_id": state.source_id,
        "content_hash": state.content_hash,
        "model": state.model,
        "status": state.status,
        "attempts": state.attempts,
        "last_error": state.last_error,
        "updated_at": state.updated_at,
    }


def to_state(row: Any) -> VectorSyncState:
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


class PostgresVectorSyncRepository:
    """Sync states of the unit of work's tenant."""

    def __init__(self, uow: PostgresUnitOfWork) -> None:
        self._uow = uow

    @property
    def _tid(self) -> TenantId:
        return self._uow.tenant_id

    def get(self, namespace: str, source_id: str) -> VectorSyncState | None:
        row = self._uow.execute(
            select(t).where(
                t.c.tenant_id == self._tid, t.c.namespace == namespace, t.c.source_id == source_id
            )
        ).one_or_none()
        return None if row is None else to_state(row)

    def save(self, state: VectorSyncState) -> None:
        if state.tenant_id != self._tid:
            raise ValidationFailed("tenant_id", "matches_unit_of_work")
        values = state_row(state)
        stmt = insert(t).values(values)
        self._uow.execute(
            stmt.on_conflict_do_update(
                index_elements=[t.c[name] for name in _KEY],
                set_={name: stmt.excluded[name] for name in values if name not in _KEY},
            )
        )

    def remove(self, namespace: str, source_id: str) -> None:
        self._uow.execute(
            delete(t).where(
                t.c.tenant_id == self._tid, t.c.namespace == namespace, t.c.source_id == source_id
            )
        )

    def pending(self, namespace: str) -> list[VectorSyncState]:
        rows = self._uow.execute(
            select(t)
            .where(t.c.tenant_id == self._tid, t.c.namespace == namespace, t.c.status != "synced")
            .order_by(t.c.source_id.collate("C"))
        )
        return [to_state(row) for row in rows]
