"""``PostgresDatabase``: an engine with a bounded connection pool that hands out units of
work per tenant.

After a server restart, every pooled connection is dead. The pool finds out at checkout
without a round trip (the server's goodbye, or the closed socket, is waiting to be read on an
idle connection) and opens a new one instead; while the server is starting, new connections
are retried for a bounded time. So a use case that starts after a restart does not see it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from types import TracebackType
from typing import Any, ParamSpec, Self, TypeVar

import psycopg
from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection
from tenacity import Retrying, retry_if_exception, stop_after_delay, wait_exponential

from travelcore.kernel import Clock, EventBus, TenantId, dumps
from travelcore_adapters.postgres.errors import DEFAULT_RETRY_ATTEMPTS, retry_transient
from travelcore_adapters.postgres.uow import PostgresUnitOfWork
from travelcore_adapters.postgres.wire import OPTIONS_KEY, StatementPath, WireOptions, has_input

P = ParamSpec("P")
T = TypeVar("T")

DRIVER = "postgresql+psycopg"
RECONNECT_WITHIN = 10.0
"""Seconds during which a connection refused by a stopped or starting server is retried."""
CONNECT_TIMEOUT = 5
"""Seconds one connection attempt may take (libpq's ``connect_timeout``; at least 2)."""
STATEMENT_TIMEOUT = 60.0
"""Seconds a statement may run (the server cancels it), and the client waits for each
statement of a batch beyond :data:`~.wire.GRACE`."""


def psycopg_url(url: str | URL) -> URL:
    """``url`` with the psycopg 3 driver (``postgresql://`` and ``postgres://`` accepted)."""
    parsed = make_url(url)
    if parsed.drivername not in {"postgresql", "postgres", DRIVER}:
        raise ValueError(f"not a PostgreSQL URL: {parsed.drivername}")
    return parsed.set(drivername=DRIVER)


def create_pg_engine(
    url: str | URL,
    *,
    pool_size: int = 5,
    pool_timeout: float = 10.0,
    pool_recycle: int = 1800,
    reconnect_within: float = RECONNECT_WITHIN,
    statement_path: StatementPath = "fast",
    statement_timeout: float | None = STATEMENT_TIMEOUT,
    connect_timeout: int = CONNECT_TIMEOUT,
    **kwargs: object,
) -> Engine:
    """An engine on psycopg 3 with a bounded pool (no overflow) and JSON through
    travelcore's one serialization path. Sessions run in UTC.

    ``statement_path`` chooses how units of work send their prebuilt statements (see
    ``docs/postgres.md``): ``"fast"`` prepares them under names of its own on each
    connection, so psycopg must not prepare (its ``ROLLBACK`` would deallocate them):
    ``prepare_threshold`` is set to ``None``, whatever ``connect_args`` says.
    ``"portable"`` uses psycopg's public pipeline and leaves ``prepare_threshold`` as
    given (behind PgBouncer in transaction mode, give ``None``). ``statement_timeout``
    (seconds, ``None``: no limit) bounds every statement of a unit of work on the server,
    and the client's wait too: a server or pooler that stops answering surfaces as
    ``StatementTimedOut`` (an ``Unavailable``). ``connect_timeout`` (whole seconds, libpq's;
    a ``connect_timeout`` in the URL or ``connect_args`` wins) bounds each connection
    attempt, so a dead server or pooler surfaces as ``ConnectionLost`` (an
    ``Unavailable``) after at most ``reconnect_within`` plus one attempt.

    The pool hands out the connection returned last (last in, first out): work that runs
    one unit of work after another keeps reusing one warm connection (its server process,
    its prepared statements and caches), and the others stay idle until
    ``pool_recycle`` replaces them. No ping on checkout (it would cost a round trip per
    transaction): a connection whose
    socket has something to read while idle (the server closed it) is replaced at checkout,
    one found broken later is discarded when its unit of work ends, and connections are
    replaced after ``pool_recycle`` seconds. A new connection that the server refuses
    because it is down or starting is retried for ``reconnect_within`` seconds."""
    given: dict[str, object] = dict(kwargs.pop("connect_args", {}))  # type: ignore[call-overload]
    connect_args = {"options": "-c timezone=UTC", **given}
    if "connect_timeout" not in make_url(url).query:
        connect_args.setdefault("connect_timeout", connect_timeout)
    if statement_path == "fast":
        connect_args["prepare_threshold"] = None
    elif statement_path != "portable":
        raise ValueError(f"statement_path must be 'fast' or 'portable', not {statement_path!r}")
    execution_options: dict[str, object] = dict(kwargs.pop("execution_options", {}))  # type: ignore[call-overload]
    execution_options[OPTIONS_KEY] = WireOptions(statement_path, statement_timeout)
    engine = create_engine(
        psycopg_url(url),
        pool_size=pool_size,
        max_overflow=0,
        pool_use_lifo=True,
        pool_timeout=pool_timeout,
        pool_recycle=pool_recycle,
        json_serializer=dumps,
        json_deserializer=json.loads,
        connect_args=connect_args,
        execution_options=execution_options,
        **kwargs,
    )
    event.listen(engine, "do_connect", _reconnecting(reconnect_within))
    event.listen(engine.pool, "checkout", _replace_if_closed_by_server)
    return engine


def _server_not_there(exc: BaseException) -> bool:
    """Refused because the server is down or starting (not for a bad password)."""
    return isinstance(exc, psycopg.OperationalError) and exc.sqlstate in (None, "57P03")


def _reconnecting(within: float) -> Callable[..., Any]:
    def connect(dialect: Any, record: Any, cargs: Any, cparams: Any) -> Any:
        retrying = Retrying(
            retry=retry_if_exception(_server_not_there),
            stop=stop_after_delay(within),
            wait=wait_exponential(multiplier=0.05, max=1.0),
            reraise=True,
        )
        return retrying(dialect.loaded_dbapi.connect, *cargs, **cparams)

    return connect


def _replace_if_closed_by_server(
    dbapi_connection: Any, record: ConnectionPoolEntry, proxy: PoolProxiedConnection
) -> None:
    """An idle connection has nothing to read, unless the server said goodbye (a restart,
    a terminated backend) or closed the socket: then the pool connects anew."""
    connection: psycopg.Connection[Any] = dbapi_connection
    if connection.closed or connection.broken:
        raise DisconnectionError("the connection is closed")
    if has_input(connection):
        raise DisconnectionError("the server closed the connection")


class PostgresDatabase:
    """A PostgreSQL back end: call it with a tenant id to get a unit of work.

    Connect as the application role (no superuser, no BYPASSRLS); see ``docs/postgres.md``.
    ``statement_path``, ``statement_timeout`` and ``connect_timeout`` are
    :func:`create_pg_engine`'s.
    ``retry_attempts`` bounds :meth:`run` and :meth:`retrying`; ``reconnect_within`` is how
    many seconds a new connection waits for a server that is down or starting. ``clock``
    dates the audit entries (the system clock if not given).
    """

    def __init__(
        self,
        url: str | URL,
        *,
        bus: EventBus | None = None,
        clock: Clock | None = None,
        pool_size: int = 5,
        pool_timeout: float = 10.0,
        retry_attempts: int = DEFAULT_RETRY_ATTEMPTS,
        reconnect_within: float = RECONNECT_WITHIN,
        statement_path: StatementPath = "fast",
        statement_timeout: float | None = STATEMENT_TIMEOUT,
        connect_timeout: int = CONNECT_TIMEOUT,
        connect_args: dict[str, object] | None = None,
    ) -> None:
        self.engine = create_pg_engine(
            url,
            pool_size=pool_size,
            pool_timeout=pool_timeout,
            reconnect_within=reconnect_within,
            statement_path=statement_path,
            statement_timeout=statement_timeout,
            connect_timeout=connect_timeout,
            connect_args=connect_args or {},
        )
        self.bus = bus
        self.clock = clock
        self.retry_attempts = retry_attempts

    def __call__(self, tenant_id: TenantId) -> PostgresUnitOfWork:
        return PostgresUnitOfWork(self.engine, tenant_id, self.bus, clock=self.clock)

    def run(self, tenant_id: TenantId, work: Callable[[PostgresUnitOfWork], T]) -> T:
        """Run ``work`` in a unit of work and commit it, rerunning the whole transaction
        after serialization failures and deadlocks (bounded; then ``TransientConflict``)."""

        def once() -> T:
            with self(tenant_id) as uow:
                result = work(uow)
                uow.commit()
                return result

        return self.retrying(once)()

    def retrying(self, fn: Callable[P, T]) -> Callable[P, T]:
        """``fn`` (typically a use case that opens its own unit of work) retried on
        ``TransientConflict``."""
        return retry_transient(fn, self.retry_attempts)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.dispose()
