"""One PostgreSQL transaction's statements: the one place where reads, read-ahead, batched
writes and the end of the transaction meet.

A :class:`Transaction` is the :class:`~.repositories.scope.PostgresScope` that every
repository of a unit of work talks to. Prebuilt statements travel in batches
(:mod:`~travelcore_adapters.postgres.wire`): whatever is queued (the start of the
transaction and the tenant setting, writes inside :meth:`Transaction.batched`, a
:meth:`Transaction.prefetch`) goes to the server with the next statement that needs an
answer, in one round trip. The unit of work drives its life (:meth:`begin`, :meth:`end`,
:meth:`discard`, :meth:`close`); nothing else does.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, cast

import psycopg
from psycopg import pq
from sqlalchemy import Connection, Engine, Executable, text
from sqlalchemy.engine import CursorResult

from travelcore.kernel import TenantId
from travelcore.kernel.telemetry import REPOSITORY_BATCH, span
from travelcore_adapters.postgres.errors import translated
from travelcore_adapters.postgres.repositories.scope import Query
from travelcore_adapters.postgres.statements import Expect, Statement, checked
from travelcore_adapters.postgres.wire import (
    Batch,
    Reply,
    bounded,
    options_of,
    start_transaction,
)

COMMIT, ROLLBACK = (Statement(text(word)) for word in ("COMMIT", "ROLLBACK"))
SAVEPOINT, RELEASE, ROLLBACK_TO = (
    Statement(text(f"{words} enlisted")) for words in ("SAVEPOINT", "RELEASE", "ROLLBACK TO")
)
ENLISTED_TENANT = Statement(text("SELECT set_config('app.tenant_id', :tid, true)"))


class Transaction:
    """The statements of one transaction on one pooled connection for one tenant.

    ``seen`` and ``changed`` are the unit of work's records of the entities its
    repositories load and add, and of those they write (for the audit log).
    """

    def __init__(
        self,
        engine: Engine,
        tenant_id: TenantId,
        seen: Callable[..., None],
        changed: Callable[..., None],
    ) -> None:
        self._engine = engine
        self._tenant_id = tenant_id
        self.seen = seen
        self.changed = changed
        self._connection: Connection | None = None
        self._raw: psycopg.Connection[Any] | None = None
        self._batch: Batch | None = None
        self._arrivals: list[Callable[[], None]] = []
        self._batching = 0
        self._writes = 0
        self._prefetched: dict[Hashable, list[Any]] = {}
        self._host: tuple[Connection, Batch] | None = None
        self._savepoint: Reply | None = None
        self._mark = 0

    @property
    def tenant_id(self) -> TenantId:
        return self._tenant_id

    @property
    def engine(self) -> Engine:
        return self._engine

    # -- what repositories use (the PostgresScope port) ----------------------------------

    @property
    def connection(self) -> Connection:
        """The transaction's connection, with everything queued sent."""
        if self._connection is None:
            raise RuntimeError("use the unit of work inside a `with` block")
        self._sync()
        return self._connection

    def execute(
        self,
        statement: Executable,
        params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
    ) -> CursorResult[Any]:
        """Run a SQLAlchemy statement (once per mapping if given a sequence of them),
        translating driver errors. It counts as a write: what was read ahead is forgotten.
        With a statement timeout, the wait is bounded as a batch's is."""
        connection = self.connection
        self._wrote()
        raw = cast(psycopg.Connection[Any], self._raw)
        runs = len(params) if isinstance(params, Sequence) else 1
        with translated(), bounded(raw, options_of(connection).statement_timeout, runs):
            return connection.execute(statement, params)

    def rows(self, statement: Statement, params: Mapping[str, Any]) -> list[Any]:
        """The rows of a query, sent with everything queued in one round trip (or, once,
        the rows a :meth:`prefetch` of the same query and parameters read)."""
        [rows] = self.rows_of_all([(statement, params)])
        return rows

    def rows_of_all(self, queries: Sequence[Query]) -> list[list[Any]]:
        """The rows of each query, like :meth:`rows`, those not read ahead sent together
        in one round trip."""
        found: list[list[Any] | None] = [
            self._prefetched.pop(_key(statement, params), None) if self._prefetched else None
            for statement, params in queries
        ]
        replies = {
            n: self._queue(statement, params)
            for n, ((statement, params), rows) in enumerate(zip(queries, found, strict=True))
            if rows is None
        }
        if replies:
            self._sync()
        return [replies[n].rows if rows is None else rows for n, rows in enumerate(found)]

    def prefetch(
        self,
        queries: Sequence[Query],
        then: Callable[[list[list[Any]]], None] | None = None,
    ) -> None:
        """Queue ``queries`` to go with the next query; each one's rows then answer the
        next identical :meth:`rows` call, unless a write comes first. ``then`` receives
        all their rows (to :meth:`remember` some under other queries)."""
        replies = [self._queue(statement, params) for statement, params in queries]
        writes = self._writes

        def arrived() -> None:
            if self._writes != writes:
                return
            results = [reply.rows for reply in replies]
            for (statement, params), rows in zip(queries, results, strict=True):
                self.remember(statement, params, rows)
            if then is not None:
                then(results)

        self._arrivals.append(arrived)

    def remember(self, statement: Statement, params: Mapping[str, Any], rows: list[Any]) -> None:
        """Answer the next :meth:`rows` call for ``statement`` and ``params`` with ``rows``
        (read by a prefetch that reached them another way)."""
        self._prefetched[_key(statement, params)] = rows

    def write(
        self, statement: Statement, params: Mapping[str, Any], expect: Expect | None = None
    ) -> None:
        """Run a write. Inside :meth:`batched` it is queued, and a write that does not do
        what ``expect`` says is refused by the server (which then runs nothing after it);
        outside, it runs at once and ``expect.check`` inspects it."""
        self._wrote()
        if not self._batching:
            reply = self._queue(statement, params)
            self._sync()
            if expect is not None:
                expect.check(reply)
        elif expect is None:
            self._queue(statement, params)
        else:
            refusal = {**params, "refusal": expect.message}
            self._queue(checked(statement, expect.sqlstate), refusal)

    def write_many(self, statement: Statement, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run a write once per row (queued like :meth:`write`)."""
        if not rows:
            return
        self._wrote()
        for row in rows:
            self._queue(statement, row)
        if not self._batching:
            self._sync()

    def enqueue(self, statement: Statement, params: Mapping[str, Any]) -> None:
        """Send a statement whose answer nobody reads (a lock) with the next query."""
        self._queue(statement, params)

    @contextmanager
    def batched(self) -> Iterator[None]:
        """Queue the writes made inside and send them with the next query, the commit,
        or when the block ends; a refused write (``AlreadyExists``, ``StaleVersion``)
        raises then."""
        self._batching += 1
        try:
            yield
        finally:
            self._batching -= 1
        if not self._batching:
            self._sync()

    # -- its life, driven by the unit of work ----------------------------------------------

    def enlist(self, connection: Connection, batch: Batch) -> None:
        """Run, from :meth:`begin` on, inside the transaction that is open on
        ``connection`` (whose statements ``batch`` queues), as a savepoint acting for this
        tenant: :meth:`end` releases the savepoint (``COMMIT``) or returns to it
        (``ROLLBACK``), sets the tenant back to none, and leaves the connection to its
        owner."""
        self._host = (connection, batch)

    def begin(self) -> None:
        """Take a pooled connection; the start of the transaction is queued."""
        if self._host is not None:
            self._connection, self._batch = self._host
            self._raw = cast(psycopg.Connection[Any], self._connection.connection.driver_connection)
            self._mark = len(self._batch)
            self._savepoint = self._queue(SAVEPOINT, {})
            self._queue(ENLISTED_TENANT, {"tid": str(self._tenant_id)})
            return
        with translated():
            connection = self._engine.connect()
        self._connection = connection
        self._raw = cast(psycopg.Connection[Any], connection.connection.driver_connection)
        self._batch = start_transaction(connection, self._tenant_id)

    @property
    def aborted(self) -> bool:
        """Whether PostgreSQL aborted the transaction (a statement failed)."""
        raw = self._raw
        return raw is not None and raw.info.transaction_status is pq.TransactionStatus.INERROR

    def end(self, end: Statement) -> None:
        """Send what is queued and end the transaction with ``end`` (:data:`COMMIT` or
        :data:`ROLLBACK`), in one round trip."""
        connection, raw = self._connection, self._raw
        if connection is None or raw is None or self._batch is None:
            raise RuntimeError("use the unit of work inside a `with` block")
        if self._host is not None:
            self._end_savepoint(end)
            return
        with translated():
            status = raw.info.transaction_status
            if not raw.broken and (self._batch or status is not pq.TransactionStatus.IDLE):
                self._queue(end, {})
                self._sync()
            if connection.in_transaction():  # SQLAlchemy ran statements: tell it the end
                # (psycopg finds the connection idle, so it sends nothing and, unlike its own
                # ROLLBACK, keeps the statements prepared on the connection)
                (connection.commit if end is COMMIT else connection.rollback)()

    def _end_savepoint(self, end: Statement) -> None:
        """Release the savepoint (returning to it first on ``ROLLBACK``), sending it with
        the host's next statements unless writes are queued: a commit sends them now, so
        that a refused one raises here."""
        if self._savepoint is None:
            return
        if end is not COMMIT:
            if self._savepoint.result is None:
                return  # never sent: nothing to undo (discard forgot it)
            self._queue(ROLLBACK_TO, {})
        begun = 2 if self._savepoint.result is None else 0  # the savepoint, the tenant
        writes = self._batch is not None and len(self._batch) > self._own() + begun
        self._queue(RELEASE, {})
        self._queue(ENLISTED_TENANT, {"tid": ""})
        if end is COMMIT and writes:
            self._sync()

    def _own(self) -> int:
        """Where this transaction's unsent statements start in the batch (after the
        host's, while the savepoint is unsent)."""
        if self._host is None or self._savepoint is None or self._savepoint.result is not None:
            return 0
        return self._mark

    def discard(self) -> None:
        """Forget what is queued and read ahead (before a rollback): none of it reaches
        the server."""
        self._arrivals, self._prefetched = [], {}
        if self._batch is not None:
            self._batch.truncate(self._own())

    @property
    def begun(self) -> bool:
        return self._connection is not None

    def close(self) -> None:
        """Give the connection back to the pool (or drop it if it broke)."""
        connection, raw = self._connection, self._raw
        self._connection = self._raw = self._batch = self._savepoint = None
        self._arrivals, self._prefetched, self._batching = [], {}, 0
        if connection is not None and self._host is None:
            with translated():
                if raw is not None and raw.broken:
                    connection.invalidate()  # not back into the pool
                connection.close()

    # -- inside ----------------------------------------------------------------------------

    def _wrote(self) -> None:
        self._writes += 1
        self._prefetched.clear()

    def _queue(self, statement: Statement, params: Mapping[str, Any]) -> Reply:
        if self._batch is None:
            raise RuntimeError("use the unit of work inside a `with` block")
        return self._batch.queue(statement, statement.args(params))

    def _sync(self) -> None:
        """Send what is queued, wait for every answer and hand the prefetched rows on."""
        arrivals, self._arrivals = self._arrivals, []
        if self._batch:  # (sending an empty batch does nothing)
            with span(REPOSITORY_BATCH, {"db.statements": len(self._batch)}), translated():
                self._batch.send()
        for arrived in arrivals:
            arrived()


def _key(statement: Statement, params: Mapping[str, Any]) -> Hashable:
    return statement, statement.args(params)
