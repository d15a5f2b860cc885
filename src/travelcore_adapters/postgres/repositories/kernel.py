"""The kernel's ``IdempotencyStore`` over the ``idempotency_keys`` table."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert

from travelcore.kernel import AlreadyExists, IdempotencyRecord
from travelcore_adapters.postgres.tables.kernel import idempotency_keys as t

if TYPE_CHECKING:
    from travelcore_adapters.postgres.uow import PostgresUnitOfWork


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
        lock_id = func.hashtextextended(f"idempotency:{tid}:{key}", 0)
        self._uow.execute(select(func.pg_advisory_xact_lock(lock_id)))
        row = self._uow.execute(select(t).where(t.c.tenant_id == tid, t.c.key == key)).one_or_none()
        return None if row is None else _record(row)

    def add(self, record: IdempotencyRecord) -> None:
        stmt = (
            insert(t)
            .values(
                tenant_id=self._uow.tenant_id,
                key=record.key,
                fingerprint=record.fingerprint,
                result=record.result,
                created_at=record.created_at,
            )
            .on_conflict_do_nothing(index_elements=[t.c.tenant_id, t.c.key])
            .returning(t.c.key)
        )
        if self._uow.execute(stmt).first() is None:
            raise AlreadyExists(f"idempotency key {record.key!r} exists", key=record.key)

    def purge_before(self, instant: datetime) -> int:
        stmt = delete(t).where(t.c.tenant_id == self._uow.tenant_id, t.c.created_at < instant)
        return self._uow.execute(stmt).rowcount
