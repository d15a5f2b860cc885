"""Vector sync state in memory, keyed by tenant, namespace and source id."""

from __future__ import annotations

from typing import TYPE_CHECKING

from travelcore.kernel.errors import ValidationFailed
from travelcore.vectors.sync_model import VectorSyncState

if TYPE_CHECKING:
    from travelcore_adapters.memory.uow import MemoryUnitOfWork

TABLE = "vector_sync"


class MemoryVectorSyncRepository:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow

    def get(self, namespace: str, source_id: str) -> VectorSyncState | None:
        state: VectorSyncState | None = self._uow.tx.get(
            TABLE, (self._uow.tenant_id, namespace, source_id)
        )
        return state

    def save(self, state: VectorSyncState) -> None:
        if state.tenant_id != self._uow.tenant_id:
            raise ValidationFailed("tenant_id", "matches_unit_of_work")
        self._uow.tx.put(TABLE, (state.tenant_id, state.namespace, state.source_id), state)

    def remove(self, namespace: str, source_id: str) -> None:
        self._uow.tx.delete(TABLE, (self._uow.tenant_id, namespace, source_id))

    def pending(self, namespace: str) -> list[VectorSyncState]:
        tenant = self._uow.tenant_id
        return sorted(
            (
                state
                for key, state in self._uow.tx.scan(TABLE)
                if isinstance(key, tuple)
                and key[:2] == (tenant, namespace)
                and state.status != "synced"
            ),
            key=lambda state: state.source_id,
        )
