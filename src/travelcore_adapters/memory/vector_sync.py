"""Vector sync state in memory, keyed by tenant, namespace and source id."""

from __future__ import annotations

from collections.abc import Hashable

from travelcore.kernel import check_tenant
from travelcore.vectors.sync_model import VectorSyncState
from travelcore_adapters.memory.repository import MemoryRepository


class MemoryVectorSyncRepository(MemoryRepository[VectorSyncState]):
    """States have no version: ``save`` stores the state, the last writer wins."""

    table, entity = "vector_sync", "vector sync state"
    audited = False  # a technical record, not a change of the domain

    def key_of(self, entity: VectorSyncState) -> Hashable:
        return (entity.namespace, entity.source_id)

    def get(self, namespace: str, source_id: str) -> VectorSyncState | None:  # type: ignore[override]
        return self._find((namespace, source_id))

    def save(self, state: VectorSyncState) -> None:
        check_tenant(self._scope, state.tenant_id)
        self._write(state)

    def remove(self, namespace: str, source_id: str) -> None:
        self._scope.tx.delete(self.table, self._row_key((namespace, source_id)))

    def pending(self, namespace: str) -> list[VectorSyncState]:
        found = self._rows(lambda state: state.namespace == namespace and state.status != "synced")
        return sorted(found, key=lambda state: state.source_id)
