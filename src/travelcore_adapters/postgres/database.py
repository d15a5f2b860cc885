"""``PostgresDatabase``: an engine with a bounded connection pool that hands out units of
work per tenant."""

from __future__ import annotations

import json
from collections.abc import Callable
from types import TracebackType
from typing import ParamSpec, Self, TypeVar

from sqlalchemy import URL, Engine, create_engine, make_url

from travelcore.kernel import EventBus, TenantId, dumps
from travelcore_adapters.postgres.errors import DEFAULT_RETRY_ATTEMPTS, retry_transient
from travelcore_adapters.postgres.uow import PostgresUnitOfWork

P = ParamSpec("P")
T = TypeVar("T")

DRIVER = "postgresql+psycopg"


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
    **kwargs: object,
) -> Engine:
    """An engine on psycopg 3 with a bounded pool (no overflow) and JSON through
    travelcore's one serialization path. Sessions run in UTC.

    psycopg does not prepare statements itself (``prepare_threshold=None``): its
    ``ROLLBACK`` would deallocate every statement prepared on the connection, including
    the ones travelcore prepares and keeps there (see ``postgres/wire.py``).

    No ping on checkout (it would cost a round trip per transaction): a connection found
    broken is discarded when its unit of work ends, and connections are replaced after
    ``pool_recycle`` seconds."""
    given: dict[str, object] = dict(kwargs.pop("connect_args", {}))  # type: ignore[call-overload]
    connect_args = {"options": "-c timezone=UTC", **given, "prepare_threshold": None}
    return create_engine(
        psycopg_url(url),
        pool_size=pool_size,
        max_overflow=0,
        pool_timeout=pool_timeout,
        pool_recycle=pool_recycle,
        json_serializer=dumps,
        json_deserializer=json.loads,
        connect_args=connect_args,
        **kwargs,
    )


class PostgresDatabase:
    """A PostgreSQL back end: call it with a tenant id to get a unit of work.

    Connect as the application role (no superuser, no BYPASSRLS); see ``docs/postgres.md``.
    """

    def __init__(
        self,
        url: str | URL,
        *,
        bus: EventBus | None = None,
        pool_size: int = 5,
        pool_timeout: float = 10.0,
        retry_attempts: int = DEFAULT_RETRY_ATTEMPTS,
    ) -> None:
        self.engine = create_pg_engine(url, pool_size=pool_size, pool_timeout=pool_timeout)
        self.bus = bus
        self.retry_attempts = retry_attempts

    def __call__(self, tenant_id: TenantId) -> PostgresUnitOfWork:
        return PostgresUnitOfWork(self.engine, tenant_id, self.bus)

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
