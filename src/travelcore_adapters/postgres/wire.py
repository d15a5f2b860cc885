"""Prebuilt statements sent in batches, on one of two paths.

A :class:`Batch` queues statements without touching the server; :meth:`Batch.send` sends
them all and waits for every answer, in one round trip. The engine's ``statement_path``
option picks how:

- ``"fast"`` (:class:`FastBatch`) drives libpq's pipeline mode directly: one write and one
  read per batch, each statement prepared under its own name on its connection the first
  time it goes there (in the same round trip) and then only bound and executed.
  Parameters travel as text, so the server reads each one as the type its prepared
  statement infers. Needs a connection that keeps its prepared statements: a direct
  connection, or PgBouncer with ``max_prepared_statements`` set.
- ``"portable"`` (:class:`PortableBatch`) uses psycopg's public pipeline
  (``connection.pipeline()``) and prepares nothing in its batches (psycopg's
  ``prepare_threshold`` applies to the statements run through SQLAlchemy), so it works
  behind PgBouncer in transaction mode.

Both set the tenant, the time zone and the statement timeout transaction-locally in the
first statement of each transaction (nothing is left on the connection).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
import selectors
import socket
import threading
import time
import weakref
from collections.abc import Iterator, Sequence
from typing import Any, Literal, cast

import attrs
import psycopg
from psycopg import abc, pq
from psycopg.adapt import PyFormat, Transformer
from psycopg.rows import RowMaker
from sqlalchemy import Connection, bindparam, func, literal, select, text

from travelcore.kernel import TenantId
from travelcore_adapters.postgres.statements import Statement

StatementPath = Literal["fast", "portable"]
"""How prebuilt statements reach the server (see the module docstring)."""

OPTIONS_KEY = "travelcore_wire"
"""The engine's execution option that holds its :class:`WireOptions`."""

OK = (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.COMMAND_OK)
ABORTED = pq.ExecStatus.PIPELINE_ABORTED
SYNC = pq.ExecStatus.PIPELINE_SYNC
TEXT = PyFormat.TEXT
READ, WRITE = selectors.EVENT_READ, selectors.EVENT_WRITE

GRACE = 1.0
"""Seconds the client waits for a batch beyond the server's statement timeout."""
CANCEL_TIMEOUT = 2.0
"""Seconds a cancel request may take before the connection is closed anyway."""

BEGIN = Statement(text("BEGIN"))


@attrs.frozen
class WireOptions:
    """The statement path and the statement timeout (seconds, ``None``: no limit)."""

    path: StatementPath = "fast"
    statement_timeout: float | None = None


@functools.cache
def _start(timeout: float | None) -> Statement:
    """The transaction's first statement: the tenant setting, the time zone and the
    statement timeout, all transaction-local."""
    settings = [
        func.set_config("app.tenant_id", bindparam("tid"), True),
        func.set_config("TimeZone", literal("UTC"), True),
    ]
    if timeout is not None:
        milliseconds = literal(str(max(1, round(timeout * 1000))))
        settings.append(func.set_config("statement_timeout", milliseconds, True))
    return Statement(select(*settings))


def start_transaction(connection: Connection, tenant_id: TenantId) -> Batch:
    """A batch on ``connection`` with the start of a transaction for ``tenant_id`` queued
    (it travels with the first statement whose answer is needed)."""
    batch = begin_batch(connection)
    batch.queue(_start(options_of(connection).statement_timeout), (str(tenant_id),))
    return batch


def begin_batch(connection: Connection) -> Batch:
    """A batch on ``connection`` that begins a transaction (on the fast path ``BEGIN`` is
    queued; on the portable one psycopg sends it)."""
    options = options_of(connection)
    raw = cast(psycopg.Connection[Any], connection.connection.driver_connection)
    if options.path == "fast":
        batch = FastBatch(raw, options.statement_timeout)
        batch.queue(BEGIN, ())
        return batch
    return PortableBatch(raw, options.statement_timeout)


def options_of(connection: Connection) -> WireOptions:
    options: WireOptions = connection.get_execution_options().get(OPTIONS_KEY, WireOptions())
    return options


class Reply:
    """What the server answered to one statement of a batch (once the batch is sent)."""

    __slots__ = ("_make", "_transformer", "result")

    def __init__(self, transformer: abc.Transformer, make: RowMaker[Any]) -> None:
        self._transformer = transformer
        self._make = make
        self.result: pq.abc.PGresult | None = None

    @property
    def rows(self) -> list[Any]:
        """The rows the statement returned, as its statement's row type."""
        result = self._answered()
        if result.status != pq.ExecStatus.TUPLES_OK:
            return []
        self._transformer.set_pgresult(result)
        return self._transformer.load_rows(0, result.ntuples, self._make)

    @property
    def rowcount(self) -> int:
        """How many rows the statement returned or changed."""
        return self._answered().command_tuples or 0

    def _answered(self) -> pq.abc.PGresult:
        if self.result is None:
            raise RuntimeError("the batch of this statement was not sent")
        return self.result


class Batch:
    """Statements queued on one connection, sent together by :meth:`send`."""

    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self._connection = connection
        self._transformer: abc.Transformer = Transformer(connection)
        self._queued: list[tuple[Statement, Sequence[Any], Reply]] = []

    def __len__(self) -> int:
        return len(self._queued)

    def queue(self, statement: Statement, args: Sequence[Any]) -> Reply:
        """Queue ``statement`` with its parameter values in placeholder order."""
        reply = Reply(self._transformer, statement.make_row)
        self._queued.append((statement, args, reply))
        return reply

    def clear(self) -> None:
        """Forget the statements queued (none of them was sent)."""
        self._queued.clear()

    def truncate(self, length: int) -> None:
        """Forget the statements queued after the first ``length`` (none was sent)."""
        del self._queued[length:]

    def send(self) -> None:
        """Send every queued statement and wait for all their answers. The first
        statement the server refuses raises (as psycopg's error for it); the server runs
        none of the statements after it."""
        raise NotImplementedError


class PortableBatch(Batch):
    """A batch on psycopg's public pipeline, one cursor per statement (``$n``
    placeholders: :class:`psycopg.RawCursor`). Nothing in a batch is prepared: psycopg
    records a statement as prepared when it queues it, so a refusal that aborts the batch
    before the server reaches it would leave psycopg asking for a statement that does not
    exist. With a statement timeout the wait is bounded like the fast path's (see
    :func:`bounded`).

    A batch's ``COMMIT`` or ``ROLLBACK`` goes after the pipeline, on its own: psycopg
    ends a pipeline's sync with a flush request, and a pooler in transaction mode that
    releases the server at the sync's idle ``ReadyForQuery`` (PgBouncer before 1.21) hands
    that lone flush a server of its own, which then never answers and stays taken."""

    def __init__(self, connection: psycopg.Connection[Any], timeout: float | None) -> None:
        super().__init__(connection)
        self._timeout = timeout

    def send(self) -> None:
        queued, self._queued = self._queued, []
        if not queued:
            return
        connection = self._connection
        ending = queued[-1][0].sql.strip().upper() in _TRANSACTION_ENDS
        pipelined, alone = (queued[:-1], queued[-1:]) if ending else (queued, [])
        cursors = []

        def execute(statements: list[tuple[Statement, Sequence[Any], Reply]]) -> None:
            for statement, args, reply in statements:
                cursor = psycopg.RawCursor(connection)
                cursor.execute(statement.sql, args, prepare=False)
                cursors.append((cursor, reply))

        with bounded(connection, self._timeout, len(queued)):
            if pipelined:
                with connection.pipeline():
                    execute(pipelined)
            execute(alone)
        for cursor, reply in cursors:
            reply.result = cursor.pgresult


_TRANSACTION_ENDS = frozenset({b"COMMIT", b"ROLLBACK"})


class _Watchdog:
    """One thread that shuts down the socket of a wait that outlives its deadline (so
    psycopg's blocking wait returns: the peer seems gone). It looks every :data:`TICK`
    seconds while waits are armed, and sleeps while none is."""

    TICK = GRACE / 2

    def __init__(self) -> None:
        self._armed: dict[int, tuple[float, int]] = {}  # wait -> (deadline, socket)
        self._fired: set[int] = set()
        self._order = itertools.count()
        self._lock = threading.Condition()
        self._thread: threading.Thread | None = None

    def arm(self, fileno: int, deadline: float) -> int:
        wait = next(self._order)
        with self._lock:
            self._armed[wait] = (deadline, fileno)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, daemon=True)
                self._thread.start()
            elif len(self._armed) == 1:
                self._lock.notify()
        return wait

    def disarm(self, wait: int) -> bool:
        """Whether the wait's socket was shut down."""
        with self._lock:
            self._armed.pop(wait, None)
            fired = wait in self._fired
            self._fired.discard(wait)
            return fired

    def _run(self) -> None:
        with self._lock:
            while True:
                if not self._armed:
                    self._lock.wait()
                    continue
                now = time.monotonic()
                for wait, (deadline, fileno) in list(self._armed.items()):
                    if deadline <= now:
                        del self._armed[wait]
                        self._fired.add(wait)
                        with (
                            contextlib.suppress(OSError),
                            socket.socket(fileno=os.dup(fileno)) as sock,
                        ):
                            sock.shutdown(socket.SHUT_RDWR)
                self._lock.wait(self.TICK)


def _shut_down(fileno: int) -> None:
    """Shut the socket down both ways (through a duplicate of its descriptor)."""
    with socket.socket(fileno=os.dup(fileno)) as sock:
        sock.shutdown(socket.SHUT_RDWR)


_watchdog = _Watchdog()


@contextlib.contextmanager
def bounded(
    connection: psycopg.Connection[Any], timeout: float | None, statements: int = 1
) -> Iterator[None]:
    """Bound psycopg's wait for ``statements`` to the timeout per statement plus
    :data:`GRACE`: past it the connection's socket is shut down and closed, and
    ``QueryCanceled`` raised (``StatementTimedOut``; the unit of work then discards the
    connection). No bound without a timeout."""
    if timeout is None:
        yield
        return
    wait = _watchdog.arm(connection.pgconn.socket, time.monotonic() + timeout * statements + GRACE)
    try:
        yield
    except BaseException as exc:
        if not _watchdog.disarm(wait):
            raise
        cause: BaseException | None = exc
    else:
        if not _watchdog.disarm(wait):
            return
        cause = None
    connection.pgconn.finish()
    raise psycopg.errors.QueryCanceled(
        f"no answer within the statement timeout ({timeout}s per statement): the "
        "connection was closed"
    ) from cause


class _Channel:
    """Per connection: the names of the statements prepared on it, and a selector that
    waits for its socket."""

    def __init__(self, pgconn: pq.abc.PGconn) -> None:
        self.prepared: set[bytes] = set()
        self.selector = selectors.DefaultSelector()
        self.selector.register(pgconn.socket, READ)
        self.events = READ


_channels: weakref.WeakKeyDictionary[psycopg.Connection[Any], _Channel] = (
    weakref.WeakKeyDictionary()
)


def _channel(connection: psycopg.Connection[Any]) -> _Channel:
    channel = _channels.get(connection)
    if channel is None:
        channel = _channels[connection] = _Channel(connection.pgconn)
        weakref.finalize(connection, channel.selector.close)
    return channel


def has_input(connection: psycopg.Connection[Any]) -> bool:
    """Whether an idle connection has something to read (the server said goodbye or closed
    the socket), looked at without waiting, with the connection's own selector."""
    channel = _channel(connection)
    if channel.events != READ:
        channel.selector.modify(connection.pgconn.socket, READ)
        channel.events = READ
    return bool(channel.selector.select(0))


class _NoAnswer(Exception):
    """The server did not answer within the client's wait bound."""


class FastBatch(Batch):
    """A batch on libpq's pipeline mode: statements prepared once per connection under
    their own names, one write and one read per batch. With a statement timeout the
    client waits at most that long per statement, plus :data:`GRACE`; an interrupt
    (``KeyboardInterrupt``) or a wait that runs out cancels the query on the server and
    closes the connection (the unit of work then discards it)."""

    def __init__(self, connection: psycopg.Connection[Any], timeout: float | None) -> None:
        super().__init__(connection)
        self._timeout = timeout

    def send(self) -> None:
        queued, self._queued = self._queued, []
        if not queued:
            return
        connection = self._connection
        pgconn = connection.pgconn
        channel = _channel(connection)
        prepared = channel.prepared
        dump = self._transformer.dump_sequence
        params = [dump(args, (TEXT,) * len(args)) for _, args, _ in queued]
        expected: list[Reply | bytes] = []  # a reply, or the name of a statement prepared
        deadline = None
        if self._timeout is not None:
            deadline = time.monotonic() + self._timeout * len(queued) + GRACE
        pgconn.enter_pipeline_mode()
        try:
            for (statement, _, reply), values in zip(queued, params, strict=True):
                name = statement.name
                if name not in prepared:
                    prepared.add(name)
                    pgconn.send_prepare(name, statement.sql)
                    expected.append(name)
                pgconn.send_query_prepared(name, values)
                expected.append(reply)
            pgconn.pipeline_sync()
            error = _receive(pgconn, channel, expected, deadline)
            pgconn.exit_pipeline_mode()
        except BaseException as exc:  # left mid-batch: its state is unknown
            if pgconn.status == pq.ConnStatus.OK:
                with contextlib.suppress(psycopg.Error):
                    connection.cancel_safe(timeout=CANCEL_TIMEOUT)
            pgconn.finish()
            if isinstance(exc, _NoAnswer):
                raise psycopg.errors.QueryCanceled(
                    f"no answer within the statement timeout ({self._timeout}s per "
                    "statement): the query was cancelled and the connection closed"
                ) from None
            raise
        if error is not None:
            refusal = psycopg.errors.error_from_result(error, encoding=connection.info.encoding)
            if isinstance(refusal, psycopg.errors.InvalidSqlStatementName):
                prepared.clear()  # deallocated behind our back: prepare them again
            raise refusal


def _receive(
    pgconn: pq.abc.PGconn,
    channel: _Channel,
    expected: list[Reply | bytes],
    deadline: float | None,
) -> pq.abc.PGresult | None:
    """Flush the batch, then read one answer per ``expected`` item and the sync; return
    the first error. A statement whose preparation did not succeed is forgotten."""
    prepared, selector = channel.prepared, channel.selector

    def wait(events: int) -> int:
        if events != channel.events:
            selector.modify(pgconn.socket, events)
            channel.events = events
        timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
        ready = selector.select(timeout)
        if not ready:
            raise _NoAnswer
        return ready[0][1]

    while pgconn.flush():  # the server may answer before it has read everything
        if wait(READ | WRITE) & READ:
            pgconn.consume_input()
    error = None
    for item in [*expected, None]:
        while True:
            while pgconn.is_busy():
                wait(READ)
                pgconn.consume_input()
            result = pgconn.get_result()
            if item is None:  # the sync ends the batch
                if result is not None and result.status == SYNC:
                    return error
                continue
            if result is None:
                break
            if result.status not in OK:
                if isinstance(item, bytes):
                    prepared.discard(item)
                if error is None and result.status != ABORTED:
                    error = result
                continue
            if isinstance(item, Reply):
                item.result = result
    return error
