"""A server that stops answering never hangs a caller: with a statement timeout, the wait
for a batch (either statement path) or a SQLAlchemy statement ends after the timeout per
statement plus a second, as ``StatementTimedOut`` (an ``Unavailable``), and the pool
replaces the connection. The server is made to stop answering by stopping (SIGSTOP) the
backend process of the unit of work's connection."""

from __future__ import annotations

import contextlib
import inspect
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import func, literal, make_url, select, text

from travelcore.kernel import TenantId, Unavailable, new_uuid
from travelcore_adapters import bootstrap
from travelcore_adapters.postgres import (
    PostgresDatabase,
    PostgresUnitOfWork,
    StatementPath,
    StatementTimedOut,
)
from travelcore_adapters.postgres.database import CONNECT_TIMEOUT, STATEMENT_TIMEOUT
from travelcore_adapters.postgres.provision import ProvisionedDatabase
from travelcore_adapters.postgres.statements import Statement

ONE = Statement(select(literal(1)))
BACKEND = Statement(select(func.pg_backend_pid()))
TIMEOUT = 0.3
BOUND = TIMEOUT + 1.0 + 3.0  # the client's bound (one statement), and room for a busy machine

Call = Callable[[PostgresUnitOfWork], object]
CALLS: dict[str, Call] = {
    "batch": lambda uow: uow.scope.rows(ONE, {}),
    "sqlalchemy": lambda uow: uow.execute(text("SELECT 1")).scalar(),
}


@pytest.fixture
def stopped() -> Iterator[Callable[[int], None]]:
    """``stop(pid)``: SIGSTOP the process; every stopped one is continued afterwards."""
    pids: list[int] = []

    def stop(pid: int) -> None:
        pids.append(pid)
        os.kill(pid, signal.SIGSTOP)

    yield stop
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):  # (a backend may have ended since)
            os.kill(pid, signal.SIGCONT)


def _database(db: ProvisionedDatabase, path: StatementPath, **options: Any) -> PostgresDatabase:
    return PostgresDatabase(db.app_url, pool_size=1, statement_path=path, **options)


@pytest.mark.parametrize("call", list(CALLS))
def test_a_backend_that_stops_answering_times_out_within_the_bound(
    postgres_test_database: ProvisionedDatabase,
    statement_path: StatementPath,
    stopped: Callable[[int], None],
    call: str,
) -> None:
    with _database(postgres_test_database, statement_path, statement_timeout=TIMEOUT) as database:
        with database(TenantId(new_uuid())) as uow:
            [(pid,)] = uow.scope.rows(BACKEND, {})
            stopped(pid)
            started = time.monotonic()
            with pytest.raises(StatementTimedOut) as raised:
                CALLS[call](uow)
            assert time.monotonic() - started < BOUND
        assert isinstance(raised.value, Unavailable)
        with database(TenantId(new_uuid())) as uow:  # the pool made a new connection
            assert uow.scope.rows(ONE, {}) == [(1,)]


def test_the_control_without_a_timeout_waits_until_the_backend_answers(
    postgres_test_database: ProvisionedDatabase,
    statement_path: StatementPath,
    stopped: Callable[[int], None],
) -> None:
    with (
        _database(postgres_test_database, statement_path, statement_timeout=None) as database,
        database(TenantId(new_uuid())) as uow,
    ):
        [(pid,)] = uow.scope.rows(BACKEND, {})
        stopped(pid)
        answered = threading.Event()

        def query() -> None:
            uow.scope.rows(ONE, {})
            answered.set()

        waiting = threading.Thread(target=query)
        waiting.start()
        assert not answered.wait(BOUND)  # still waiting past the bound
        os.kill(pid, signal.SIGCONT)
        assert answered.wait(30)
        waiting.join()


def _settings(database: PostgresDatabase) -> tuple[str, str]:
    """The unit of work's statement timeout and its connection's ``connect_timeout``."""
    with database(TenantId(new_uuid())) as uow:
        shown = uow.execute(text("SHOW statement_timeout")).scalar()
        dsn = uow.connection.connection.driver_connection.info.dsn
    [connect] = [part for part in dsn.split() if part.startswith("connect_timeout=")]
    return str(shown), connect


def test_the_timeouts_have_defaults_that_a_caller_overrides(
    postgres_test_database: ProvisionedDatabase,
) -> None:
    url = postgres_test_database.app_url
    with PostgresDatabase(url, pool_size=1) as database:
        assert _settings(database) == ("1min", f"connect_timeout={CONNECT_TIMEOUT}")
    assert STATEMENT_TIMEOUT == 60.0
    with PostgresDatabase(url, pool_size=1, statement_timeout=2.5, connect_timeout=3) as database:
        assert _settings(database) == ("2500ms", "connect_timeout=3")
    in_url = make_url(url).update_query_dict({"connect_timeout": "4"})
    with PostgresDatabase(in_url, pool_size=1, connect_timeout=3) as database:
        assert _settings(database)[1] == "connect_timeout=4"  # the URL's wins
    defaults = inspect.signature(bootstrap.postgres).parameters
    assert defaults["statement_timeout"].default == STATEMENT_TIMEOUT
    assert defaults["connect_timeout"].default == CONNECT_TIMEOUT
    with bootstrap.postgres(url, pool_size=1, statement_timeout=1.5) as app:
        database = app.database
        assert isinstance(database, PostgresDatabase)
        assert _settings(database)[0] == "1500ms"
