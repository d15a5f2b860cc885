"""The PostgreSQL outbox and inbox.

The unit of work inserts its events into ``outbox`` and calls ``pg_notify`` in the
transaction that commits them (:func:`outbox_statements`), so they are sent with the COMMIT
in the same round trip and relays listening on :data:`CHANNEL` wake up once it lands.

A relay's claim is one transaction that sets ``app.outbox_relay`` (the outbox's row-level
security lets such a transaction see every tenant's rows, see migration 0007), locks a
batch with ``FOR UPDATE SKIP LOCKED`` and records the outcomes before it commits; a relay
that dies releases its batch with its connection.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

import psycopg
from psycopg.types.json import Jsonb
from sqlalchemy import Connection, DateTime, Engine, String, bindparam, func, insert, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as PG_UUID

from travelcore.kernel import OutboxMessage, TenantId
from travelcore.outbox.ports import OutboxEntry, OutboxStatus
from travelcore_adapters.postgres.errors import translated
from travelcore_adapters.postgres.statements import Statement
from travelcore_adapters.postgres.tables.outbox import inbox, outbox

if TYPE_CHECKING:
    from travelcore_adapters.postgres.uow import PostgresUnitOfWork

CHANNEL = "travelcore_outbox"

INSERT = Statement(
    insert(outbox).values(
        {
            c.name: bindparam(c.name, type_=c.type)
            for c in outbox.c
            if c.name not in ("seq", "last_error", "delivered_at")
        }
    )
)
NOTIFY = Statement(select(func.pg_notify(CHANNEL, "")))
SEEN = Statement(
    select(inbox.c.event_id).where(
        inbox.c.tenant_id == bindparam("tid"),
        inbox.c.consumer == bindparam("consumer"),
        inbox.c.event_id == func.any(bindparam("ids")),
    )
)
RECORD = Statement(
    insert(inbox).from_select(
        ["tenant_id", "consumer", "event_id", "handled_at"],
        select(
            bindparam("tid", type_=PG_UUID(as_uuid=True)),
            bindparam("consumer", type_=String),
            func.unnest(bindparam("ids", type_=ARRAY(PG_UUID(as_uuid=True)))),
            bindparam("at", type_=DateTime(timezone=True)),
        ),
    )
)


def outbox_statements(
    messages: Sequence[OutboxMessage],
) -> Iterator[tuple[Statement, dict[str, Any]]]:
    """The statements that store ``messages`` and wake the relays."""
    for m in messages:
        yield (
            INSERT,
            {
                "tenant_id": m.tenant_id,
                "event_id": m.event_id,
                "aggregate": m.aggregate,
                "event_type": m.event_type,
                "payload": Jsonb(m.payload),
                "occurred_at": m.occurred_at,
                "status": OutboxStatus.PENDING.value,
                "attempts": 0,
                "available_at": m.occurred_at,
            },
        )
    yield NOTIFY, {}


class PostgresInbox:
    def __init__(self, uow: PostgresUnitOfWork) -> None:
        self._uow = uow

    def seen(self, consumer: str, event_ids: Sequence[UUID]) -> set[UUID]:
        params = {"tid": self._uow.tenant_id, "consumer": consumer, "ids": list(event_ids)}
        return {row.event_id for row in self._uow.rows(SEEN, params)}

    def record(self, consumer: str, event_ids: Sequence[UUID], at: datetime) -> None:
        params = {
            "tid": self._uow.tenant_id,
            "consumer": consumer,
            "ids": list(event_ids),
            "at": at,
        }
        self._uow.write(RECORD, params)


CLAIM = text(
    """
    WITH c AS (
        SELECT * FROM outbox
        WHERE status = 'pending' AND available_at <= :now
        ORDER BY seq LIMIT :limit
        FOR UPDATE SKIP LOCKED
    )
    SELECT * FROM c
    WHERE NOT EXISTS (
        SELECT 1 FROM outbox o
        WHERE o.status = 'pending' AND o.tenant_id = c.tenant_id
          AND o.aggregate = c.aggregate AND o.seq < c.seq
          AND o.seq NOT IN (SELECT seq FROM c)
    )
    ORDER BY seq
    """
)
DELIVERED = text(
    "UPDATE outbox SET status = 'delivered', delivered_at = :at, attempts = attempts + 1 "
    "WHERE status = 'pending' AND seq = ANY(:seqs)"
)
RETRY = text(
    "UPDATE outbox SET attempts = attempts + 1, last_error = :error, available_at = :at "
    "WHERE status = 'pending' AND seq = :seq"
)
PARK = text(
    "UPDATE outbox SET status = 'parked', attempts = attempts + 1, last_error = :error "
    "WHERE status = 'pending' AND seq = :seq"
)
RELAY_SCOPE = text("SELECT set_config('app.outbox_relay', 'on', true)")


def _entry(row: Any) -> OutboxEntry:
    return OutboxEntry(
        message=OutboxMessage(
            event_id=row.event_id,
            tenant_id=TenantId(row.tenant_id),
            aggregate=row.aggregate,
            event_type=row.event_type,
            payload=row.payload,
            occurred_at=row.occurred_at,
            sequence=row.seq,
        ),
        status=OutboxStatus(row.status),
        attempts=row.attempts,
        available_at=row.available_at,
        last_error=row.last_error,
        delivered_at=row.delivered_at,
    )


class PostgresClaim:
    def __init__(self, entries: list[OutboxEntry]) -> None:
        self.entries = entries
        self.delivered_at: dict[int, datetime] = {}
        self.retries: list[dict[str, Any]] = []
        self.parked: list[dict[str, Any]] = []

    def delivered(self, sequence: int, at: datetime) -> None:
        self.delivered_at[sequence] = at

    def retry(self, sequence: int, error: str, at: datetime) -> None:
        self.retries.append({"seq": sequence, "error": error, "at": at})

    def park(self, sequence: int, error: str) -> None:
        self.parked.append({"seq": sequence, "error": error})


class PostgresOutbox:
    """The :class:`~travelcore.outbox.ports.OutboxStore` of a PostgreSQL database (connect
    as the application role, like the units of work)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._listener: psycopg.Connection[Any] | None = None

    @contextmanager
    def _relay_transaction(self) -> Iterator[Connection]:
        with translated(), self._engine.connect() as connection, connection.begin():
            connection.execute(RELAY_SCOPE)
            yield connection

    @contextmanager
    def claim(self, now: datetime, limit: int) -> Iterator[PostgresClaim]:
        with self._relay_transaction() as connection:
            rows = connection.execute(CLAIM, {"now": now, "limit": limit})
            claim = PostgresClaim([_entry(row) for row in rows])
            yield claim
            groups: dict[datetime, list[int]] = {}
            for sequence, at in claim.delivered_at.items():
                groups.setdefault(at, []).append(sequence)
            for at, seqs in groups.items():
                connection.execute(DELIVERED, {"at": at, "seqs": seqs})
            if claim.retries:
                connection.execute(RETRY, claim.retries)
            if claim.parked:
                connection.execute(PARK, claim.parked)

    def wait(self, timeout: float) -> bool:
        """Sleep on ``LISTEN travelcore_outbox`` (one connection per store, opened on first
        use and reopened if it drops)."""
        try:
            if self._listener is None or self._listener.closed:
                url = self._engine.url.set(drivername="postgresql")
                dsn = url.render_as_string(hide_password=False)
                self._listener = psycopg.connect(dsn, autocommit=True)
                self._listener.execute(f"LISTEN {CHANNEL}")
            return any(True for _ in self._listener.notifies(timeout=timeout, stop_after=1))
        except psycopg.OperationalError:
            self._close_listener()
            return False

    def _close_listener(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def close(self) -> None:
        self._close_listener()

    def entries(self, tenant_id: TenantId, status: OutboxStatus | None = None) -> list[OutboxEntry]:
        query = select(outbox).where(outbox.c.tenant_id == tenant_id).order_by(outbox.c.seq)
        if status is not None:
            query = query.where(outbox.c.status == status.value)
        with self._relay_transaction() as connection:
            return [_entry(row) for row in connection.execute(query)]

    def requeue(self, tenant_id: TenantId, event_id: UUID, now: datetime) -> bool:
        with self._relay_transaction() as connection:
            result = connection.execute(
                text(
                    "UPDATE outbox SET status = 'pending', attempts = 0, available_at = :now "
                    "WHERE tenant_id = :tid AND event_id = :id AND status = 'parked'"
                ),
                {"tid": tenant_id, "id": event_id, "now": now},
            )
            return result.rowcount == 1

    def purge(self, before: datetime) -> int:
        with self._relay_transaction() as connection:
            connection.execute(
                text(
                    "DELETE FROM inbox i USING outbox o WHERE o.status = 'delivered' "
                    "AND o.delivered_at < :before AND i.tenant_id = o.tenant_id "
                    "AND i.event_id = o.event_id"
                ),
                {"before": before},
            )
            result = connection.execute(
                text("DELETE FROM outbox WHERE status = 'delivered' AND delivered_at < :before"),
                {"before": before},
            )
            return result.rowcount
