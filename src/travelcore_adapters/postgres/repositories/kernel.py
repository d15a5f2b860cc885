"""The kernel's ``IdempotencyStore`` over the ``idempotency_keys`` table."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from psycopg.types.json import Jsonb
from sqlalchemy import bindparam, delete, func, select

from travelcore.kernel import IdempotencyRecord, dumps
from travelcore_adapters.postgres.statements import (
    Statement,
    expect_inserted,
    insert_statement,
)
from travelcore_adapters.postgres.tables.kernel import idempotency_keys as t

if TYPE_CHECKING:
    from travelcore_adapters.postgres.uow import PostgresUnitOfWork


LOCK = Statement(select(func.pg_advisory_xact_lock(func.hashtextextended(bindparam("lock"), 0))))
GET = Statement(select(t).where(t.c.tenant_id == bindparam("tid"), t.c.key == bindparam("key")))
INSERT = insert_statement(t)


def _record(row: Any) -> IdempotencyRecord:
    return IdempotencyRecord(
        key=row.key, fingerprint=row.fingerprint, result=row.result, created_at=row.created_at
    )


class PostgresIdempotencyStore:
    """Idempotency records of the unit of work's tenant.

    ``get`` first takes a transaction-scoped advisory lock on (tenant, key): concurrent
    requests with one key run one after the other, so the later ones find the first one's
    stored result instead of failing on the primary key.
    """

    def __init__(self, uow: PostgresUnitOfWork) -> None:
        self._uow = uow

    def get(self, key: str) -> IdempotencyRecord | None:
        tid = self._uow.tenant_id
        self._uow.enqueue(LOCK, {"lock": f"idempotency:{tid}:{key}"})
        rows = self._uow.rows(GET, {"tid": tid, "key": key})
        return _record(rows[0]) if rows else None

    def add(self, record: IdempotencyRecord) -> None:
        row = {
            "tenant_id": self._uow.tenant_id,
            "key": record.key,
            "fingerprint": record.fingerprint,
            "result": Jsonb(record.result, dumps),
            "created_at": record.created_at,
        }
        expect = expect_inserted(f"idempotency key {record.key!r} exists", key=record.key)
        self._uow.write(INSERT, row, expect)

    def purge_before(self, instant: datetime) -> int:
        stmt = delete(t).where(t.c.tenant_id == self._uow.tenant_id, t.c.created_at < instant)
        return self._uow.execute(stmt).rowcount
