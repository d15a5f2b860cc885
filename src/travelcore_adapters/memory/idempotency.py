"""Idempotency records in memory, keyed by tenant."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from travelcore.kernel import AlreadyExists, IdempotencyRecord

if TYPE_CHECKING:
    from travelcore_adapters.memory.uow import MemoryUnitOfWork

TABLE = "idempotency"


class MemoryIdempotencyStore:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow

    def get(self, key: str) -> IdempotencyRecord | None:
        record: IdempotencyRecord | None = self._uow.tx.get(TABLE, (self._uow.tenant_id, key))
        return record

    def add(self, record: IdempotencyRecord) -> None:
        row_key = (self._uow.tenant_id, record.key)
        if self._uow.tx.contains(TABLE, row_key):
            raise AlreadyExists(f"idempotency key {record.key!r} exists", key=record.key)
        self._uow.tx.put(TABLE, row_key, record)

    def purge_before(self, instant: datetime) -> int:
        tenant = self._uow.tenant_id
        old = [
            key
            for key, record in self._uow.tx.scan(TABLE)
            if isinstance(key, tuple) and key[0] == tenant and record.created_at < instant
        ]
        for key in old:
            self._uow.tx.delete(TABLE, key)
        return len(old)
