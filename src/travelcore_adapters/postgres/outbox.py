"""The PostgreSQL outbox and inbox.

The unit of work inserts its events into ``outbox`` in the transaction that commits them
(:func:`outbox_statements`: they are sent with the COMMIT, in the same round trip); once it
has committed, a :class:`Waker` notifies the relays listening on :data:`CHANNEL`.

A relay's claim is one transaction that sets ``app.outbox_relay`` (the outbox's row-level
security lets such a transaction see every tenant's rows, see migration 0008), locks a
batch with ``FOR UPDATE SKIP LOCKED``, runs the consumers' units of work of this database
as savepoints acting for each tenant in turn (:meth:`PostgresClaim.enlist`) and records
the outcomes before it commits; a relay that dies releases its batch, and undoes its
consumers' work, with its connection.
"""

from __future__ import annotations

import json
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

import psycopg
from psycopg import pq
from psycopg.types.json import Jsonb
from sqlalchemy import Connection, DateTime, Engine, String, bindparam, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.dialects.postgresql import insert as pg_insert

from travelcore.kernel import OutboxMessage, TenantId, UnitOfWork
from travelcore.outbox.ports import OutboxEntry, OutboxStatus
from travelcore_adapters.postgres.errors import translated
from travelcore_adapters.postgres.statements import Statement, inserts_of_rows
from travelcore_adapters.postgres.tables.outbox import inbox, outbox
from travelcore_adapters.postgres.transaction import Transaction
from travelcore_adapters.postgres.wire import Reply, begin_batch

if TYPE_CHECKING:
    from travelcore_adapters.postgres.repositories.scope import PostgresScope

CHANNEL = "travelcore_outbox"

WRITTEN = tuple(c.name for c in outbox.c if c.name not in ("seq", "last_error", "delivered_at"))
"""The columns a new message fills (the others take their defaults)."""
NOTIFY = Statement(select(func.pg_notify(CHANNEL, "")))
ADMIT = Statement(
    pg_insert(inbox)
    .from_select(
        ["tenant_id", "consumer", "event_id", "handled_at"],
        select(
            bindparam("tid", type_=PG_UUID(as_uuid=True)),
            bindparam("consumer", type_=String),
            func.unnest(bindparam("ids", type_=ARRAY(PG_UUID(as_uuid=True)))),
            bindparam("at", type_=DateTime(timezone=True)),
        ),
    )
    .on_conflict_do_nothing()
    .returning(inbox.c.event_id)
)


_json = json.JSONEncoder(separators=(",", ":")).encode
"""A payload is JSON-ready data already (the one serialization path made it): it is
encoded as it is, not passed through the engine's serializer a second time."""


def outbox_statements(
    messages: Sequence[OutboxMessage],
) -> Iterator[tuple[Statement, dict[str, Any]]]:
    """The statements that store ``messages`` (several rows in each)."""
    rows = [
        {
            "tenant_id": m.tenant_id,
            "event_id": m.event_id,
            "aggregate": m.aggregate,
            "event_type": m.event_type,
            "payload": Jsonb(m.payload, _json),
            "occurred_at": m.occurred_at,
            "status": OutboxStatus.PENDING.value,
            "attempts": 0,
            "available_at": m.occurred_at,
        }
        for m in messages
    ]
    return inserts_of_rows(outbox, rows, WRITTEN)


def array_literal(items: Iterable[str]) -> str:
    """A PostgreSQL array literal of ``items`` (quoted where they need it), which the
    server parses faster than the driver adapts a list."""
    return "{" + ",".join(items) + "}"


class Waker:
    """Wakes the relays after commits that wrote outbox rows: ``pg_notify`` from a thread
    and connection of its own rather than inside each transaction (a transaction that
    notifies holds a database-wide lock through its commit, which serializes every
    notifying commit), so the commit's round trip waits for no notification. The first
    commit after a quiet spell is notified at once; commits that land while a notification
    is sent, or within :data:`GAP` seconds after it, share the next one (a relay that is
    awake delivers them anyway). The thread and its connection end after :data:`IDLE`
    seconds without commits. A lost wake-up costs a relay's polling interval, never an
    event."""

    IDLE = 1.0
    GAP = 0.002

    def __init__(self, url: str) -> None:
        self._url = url
        self._due = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        self._due.set()
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, daemon=True)
                self._thread.start()

    def _run(self) -> None:
        conn: psycopg.Connection[Any] | None = None
        try:
            while True:
                if not self._due.wait(self.IDLE):
                    with self._lock:
                        if not self._due.is_set():
                            self._thread = None
                            return
                    continue
                self._due.clear()
                try:
                    if conn is None:
                        conn = psycopg.connect(self._url, autocommit=True)
                    conn.execute(NOTIFY.sql.decode())
                except psycopg.Error:
                    conn = None
                time.sleep(self.GAP)
        finally:
            if conn is not None:
                conn.close()


_wakers: dict[str, Waker] = {}
_wakers_lock = threading.Lock()


_engine_wakers: weakref.WeakKeyDictionary[Engine, Waker] = weakref.WeakKeyDictionary()


def waker(engine: Engine) -> Waker:
    """The :class:`Waker` of ``engine``'s database (one per URL and process)."""
    found = _engine_wakers.get(engine)
    if found is not None:
        return found
    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with _wakers_lock:
        found = _wakers.get(url)
        if found is None:
            found = _wakers[url] = Waker(url)
        _engine_wakers[engine] = found
        return found


ASYNC_COMMIT_STATEMENT = Statement(text("SET LOCAL synchronous_commit = off"))


class PostgresInbox:
    """A consumer's inbox. A unit of work that admits events commits asynchronously: were
    its commit lost in a server crash, the relay's later mark of the events as delivered
    (later in the write-ahead log) would be lost with it, so the events are delivered
    again and the work is redone; and any later synchronous commit makes it durable."""

    def __init__(self, scope: PostgresScope) -> None:
        self._scope = scope

    def admit(self, consumer: str, event_ids: Sequence[UUID], at: datetime) -> set[UUID]:
        params = {
            "tid": self._scope.tenant_id,
            "consumer": consumer,
            "ids": array_literal(event_id.hex for event_id in event_ids),  # (32 hex digits)
            "at": at,
        }
        self._scope.enqueue(ASYNC_COMMIT_STATEMENT, {})
        return {row[0] for row in self._scope.rows(ADMIT, params)}


RELAY_START = Statement(
    text(
        "SELECT set_config('app.outbox_relay', 'on', true), set_config('TimeZone', 'UTC', true),"
        " set_config('enable_sort', 'off', true), set_config('synchronous_commit', 'off', true)"
    )
)
"""The first statement of a relay's transaction, all transaction-local:

- ``app.outbox_relay`` lets the transaction see every tenant's outbox rows (migration
  0008's row-level security);
- ``enable_sort = off``: the claim walks ``ix_outbox_pending`` in ``seq`` order and stops at
  its limit; the outbox's row counts swing faster than its statistics, and a plan that
  sorts the whole backlog first costs milliseconds per claim;
- ``synchronous_commit = off``: the transaction only records how deliveries went; should
  the server lose it in a crash, the messages are delivered again and each consumer's inbox
  skips them, so it need not wait for its commit to reach the disk."""
CLAIM = Statement(  # its columns in the order _claimed reads them
    text(
        """
    WITH c AS (
        SELECT tenant_id, event_id, seq, aggregate, event_type, payload::text, occurred_at,
               attempts, available_at, last_error, ctid
        FROM outbox
        WHERE status = 'pending' AND available_at <= :now
        ORDER BY seq LIMIT :limit
        FOR UPDATE SKIP LOCKED
    )
    SELECT * FROM c
    WHERE (  -- no other pending message before the batch's last: none can come first
        SELECT count(*) FROM outbox o
        WHERE o.status = 'pending' AND o.seq <= (SELECT max(seq) FROM c)
    ) = (SELECT count(*) FROM c)
    OR NOT EXISTS (
        SELECT 1 FROM outbox o
        WHERE o.status = 'pending' AND o.tenant_id = c.tenant_id
          AND o.aggregate = c.aggregate AND o.seq < c.seq
          AND o.seq NOT IN (SELECT seq FROM c)
        OFFSET 0  -- a probe of ix_outbox_pending_aggregate per row, never a join over the backlog
    )
    ORDER BY seq
    """
    )
)
DELIVERED = Statement(  # by ctid: the claim locked the rows, so none has moved
    text(
        "UPDATE outbox SET status = 'delivered', delivered_at = :at, attempts = attempts + 1 "
        "WHERE ctid = ANY(CAST(:rows AS tid[])) AND status = 'pending'"
    )
)
FORGET_DELIVERED = Statement(  # by ctid, like DELIVERED
    text("DELETE FROM outbox WHERE ctid = ANY(CAST(:rows AS tid[])) AND status = 'pending'")
)
RETRY = Statement(
    text(
        "UPDATE outbox SET attempts = attempts + 1, last_error = :error, available_at = :at "
        "WHERE status = 'pending' AND seq = :seq"
    )
)
PARK = Statement(
    text(
        "UPDATE outbox SET status = 'parked', attempts = attempts + 1, last_error = :error "
        "WHERE status = 'pending' AND seq = :seq"
    )
)
ENTRIES = Statement(
    text(
        "SELECT tenant_id, event_id, seq, aggregate, event_type, payload, occurred_at, status,"
        " attempts, available_at, last_error, delivered_at FROM outbox WHERE tenant_id = :tid "
        "AND (CAST(:status AS text) IS NULL OR status = :status) ORDER BY seq"
    )
)
REQUEUE = Statement(
    text(
        "UPDATE outbox SET status = 'pending', attempts = 0, available_at = :now "
        "WHERE tenant_id = :tid AND event_id = :id AND status = 'parked' RETURNING 1"
    )
)
PURGE_INBOX = Statement(
    text(
        "DELETE FROM inbox i USING outbox o WHERE o.status = 'delivered' "
        "AND o.delivered_at < :before AND i.tenant_id = o.tenant_id "
        "AND i.event_id = o.event_id"
    )
)
PURGE_ORPHANED_INBOX = Statement(
    text(
        "DELETE FROM inbox i WHERE i.handled_at < :before AND NOT EXISTS (SELECT 1 FROM outbox o"
        " WHERE o.tenant_id = i.tenant_id AND o.event_id = i.event_id)"
    )
)
"""Entries of events no longer in the outbox (forgotten when delivered)."""
PURGE = Statement(
    text(
        "WITH gone AS (DELETE FROM outbox WHERE status = 'delivered'"
        " AND delivered_at < :before RETURNING 1) SELECT count(*) FROM gone"
    )
)
"""(Counted by a query: in a pipeline a statement's row count is known only later.)"""
COMMIT, ROLLBACK = (Statement(text(word)) for word in ("COMMIT", "ROLLBACK"))


def _entry(row: tuple[Any, ...]) -> OutboxEntry:
    """An entry from a row of :data:`ENTRIES`."""
    (tid, event_id, seq, aggregate, event_type, payload, occurred_at, status, attempts) = row[:9]
    return OutboxEntry(
        message=OutboxMessage(
            event_id=event_id,
            tenant_id=TenantId(tid),
            aggregate=aggregate,
            event_type=event_type,
            payload=payload,
            occurred_at=occurred_at,
            sequence=seq,
        ),
        status=OutboxStatus(status),
        attempts=attempts,
        available_at=row[9],
        last_error=row[10],
        delivered_at=row[11],
    )


_PENDING = OutboxStatus.PENDING
_parse_json: Callable[[str, int], tuple[Any, int]]
_parse_json = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
"""The standard library's C scanner, called directly: a payload the server wrote out
needs none of ``json.loads``' checks around it."""


def _claimed(row: tuple[Any, ...]) -> OutboxEntry:
    """A pending entry from a row of :data:`CLAIM` (whose payload comes as JSON text)."""
    tid, event_id, seq, aggregate, event_type, payload, occurred_at = row[:7]
    return OutboxEntry(
        message=OutboxMessage(
            event_id=event_id,
            tenant_id=tid,
            aggregate=aggregate,
            event_type=event_type,
            payload=_parse_json(payload, 0)[0],
            occurred_at=occurred_at,
            sequence=seq,
        ),
        status=_PENDING,
        attempts=row[7],
        available_at=row[8],
        last_error=row[9],
    )


class PostgresClaim:
    def __init__(self, rows: list[Any], transaction: _RelayTransaction) -> None:
        self.entries: Sequence[OutboxEntry] = [_claimed(row) for row in rows]
        self._transaction = transaction
        self._ctid_of: dict[int, str] = {row[2]: row[10] for row in rows}
        self.delivered_rows: dict[datetime, list[str]] = {}
        """The row addresses (``ctid``) of the messages delivered, by delivery time."""
        self.retries: list[dict[str, Any]] = []
        self.parked: list[dict[str, Any]] = []

    def delivered(self, sequence: int, at: datetime) -> None:
        self.delivered_rows.setdefault(at, []).append(self._ctid_of[sequence])

    def retry(self, sequence: int, error: str, at: datetime) -> None:
        self.retries.append({"seq": sequence, "error": error, "at": at})

    def park(self, sequence: int, error: str) -> None:
        self.parked.append({"seq": sequence, "error": error})

    def enlist(self, uow: UnitOfWork) -> None:
        """A PostgreSQL unit of work of this database runs as a savepoint of the claim's
        transaction (acting for its tenant, then for none again)."""
        scope = getattr(uow, "scope", None)
        connection = self._transaction.connection
        if isinstance(scope, Transaction) and scope.engine.url == connection.engine.url:
            scope.enlist(connection, self._transaction.batch)


class _RelayTransaction:
    """A relay's transaction on a pooled connection: prebuilt statements in batches (one
    round trip each, see :mod:`~travelcore_adapters.postgres.wire`), the first one
    starting with :data:`RELAY_START`."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.batch = begin_batch(connection)
        self.batch.queue(RELAY_START, ())

    def queue(self, statement: Statement, params: dict[str, Any]) -> Reply:
        return self.batch.queue(statement, statement.args(params))

    def rows(self, statement: Statement, params: dict[str, Any]) -> list[Any]:
        reply = self.queue(statement, params)
        self.batch.send()
        return reply.rows


class PostgresOutbox:
    """The :class:`~travelcore.outbox.ports.OutboxStore` of a PostgreSQL database (connect
    as the application role, like the units of work). With ``keep_delivered=False`` a
    delivered message is deleted in the claim's commit instead of kept (as ``delivered``)
    for :meth:`purge`: cheaper, and operators no longer see what was delivered."""

    def __init__(self, engine: Engine, *, keep_delivered: bool = True) -> None:
        self._engine = engine
        self._delivered = DELIVERED if keep_delivered else FORGET_DELIVERED
        self._listener: psycopg.Connection[Any] | None = None

    @contextmanager
    def _relay_transaction(self) -> Iterator[_RelayTransaction]:
        """A relay transaction; what is still queued when the block ends goes with its
        COMMIT (a ROLLBACK if the block raised)."""
        with translated():
            connection = self._engine.connect()
        raw = cast(psycopg.Connection[Any], connection.connection.driver_connection)
        try:
            with translated():
                transaction = _RelayTransaction(connection)
                try:
                    yield transaction
                    transaction.queue(COMMIT, {})
                    transaction.batch.send()
                except BaseException:
                    transaction.batch.clear()
                    if not raw.broken and raw.info.transaction_status != pq.TransactionStatus.IDLE:
                        transaction.queue(ROLLBACK, {})
                        transaction.batch.send()
                    raise
        finally:
            if raw.broken:
                connection.invalidate()  # not back into the pool
            connection.close()

    @contextmanager
    def claim(self, now: datetime, limit: int) -> Iterator[PostgresClaim]:
        with self._relay_transaction() as transaction:
            rows = transaction.rows(CLAIM, {"now": now, "limit": limit})
            claim = PostgresClaim(rows, transaction)
            yield claim
            for at, ctids in claim.delivered_rows.items():  # sent with the COMMIT
                rows_at = array_literal(f'"{ctid}"' for ctid in ctids)
                transaction.queue(self._delivered, {"at": at, "rows": rows_at})
            for retry in claim.retries:
                transaction.queue(RETRY, retry)
            for park in claim.parked:
                transaction.queue(PARK, park)

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
        params = {"tid": tenant_id, "status": None if status is None else status.value}
        with self._relay_transaction() as transaction:
            rows = transaction.rows(ENTRIES, params)
        return [_entry(row) for row in rows]

    def requeue(self, tenant_id: TenantId, event_id: UUID, now: datetime) -> bool:
        with self._relay_transaction() as transaction:
            params = {"tid": tenant_id, "id": event_id, "now": now}
            return len(transaction.rows(REQUEUE, params)) == 1

    def purge(self, before: datetime) -> int:
        with self._relay_transaction() as transaction:
            transaction.queue(PURGE_INBOX, {"before": before})
            transaction.queue(PURGE_ORPHANED_INBOX, {"before": before})
            rows = transaction.rows(PURGE, {"before": before})
            return int(rows[0][0]) if rows else 0
