"""Idempotency records in memory, keyed by tenant."""

from __future__ import annotations

from collections.abc import Hashable
from datetime import datetime

from travelcore.kernel import IdempotencyRecord
from travelcore_adapters.memory.repository import MemoryRepository


class MemoryIdempotencyStore(MemoryRepository[IdempotencyRecord]):
    """Records carry no tenant: each is stored under the unit of work's."""

    table, entity = "idempotency", "idempotency key"
    audited = False  # a technical record, not a change of the domain

    def key_of(self, entity: IdempotencyRecord) -> Hashable:
        return entity.key

    def tenant_of(self, entity: IdempotencyRecord) -> object:
        return self._scope.tenant_id

    def get(self, key: str) -> IdempotencyRecord | None:  # type: ignore[override]
        return self._find(key)

    def purge_before(self, instant: datetime) -> int:
        old = self._scan(lambda record: record.created_at < instant)
        for record in old:
            self._remove(record.key)
        return len(old)
