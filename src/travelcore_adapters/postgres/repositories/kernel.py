"""The kernel's ``IdempotencyStore`` over the ``idempotency_keys`` table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb
from sqlalchemy import delete

from travelcore.kernel import IdempotencyRecord, dumps
from travelcore_adapters.postgres.repositories.base import TableRepository
from travelcore_adapters.postgres.statements import ADVISORY_LOCK
from travelcore_adapters.postgres.tables.kernel import idempotency_keys as t


class PostgresIdempotencyStore(TableRepository[IdempotencyRecord]):
    """Idempotency records of the unit of work's tenant (a record carries no tenant: it is
    stored under the unit of work's).

    ``get`` first takes a transaction-scoped advisory lock on (tenant, key): concurrent
    requests with one key run one after the other, so the later ones find the first one's
    stored result instead of failing on the primary key.
    """

    table, entity = t, "idempotency key"
    audited = False  # a technical record, not a change of the domain

    def tenant_of(self, entity: IdempotencyRecord) -> object:
        return self._tid

    def to_row(self, entity: IdempotencyRecord) -> dict[str, Any]:
        return {
            "tenant_id": self._tid,
            "key": entity.key,
            "fingerprint": entity.fingerprint,
            "result": Jsonb(entity.result, dumps),
            "created_at": entity.created_at,
        }

    def to_entity(self, row: Any) -> IdempotencyRecord:
        return IdempotencyRecord(
            key=row.key, fingerprint=row.fingerprint, result=row.result, created_at=row.created_at
        )

    def get(self, key: str) -> IdempotencyRecord | None:  # type: ignore[override]
        self._scope.enqueue(ADVISORY_LOCK, {"lock": f"idempotency:{self._tid}:{key}"})
        return self._find(key)

    def purge_before(self, instant: datetime) -> int:
        stmt = delete(t).where(t.c.tenant_id == self._tid, t.c.created_at < instant)
        return self._scope.execute(stmt).rowcount
