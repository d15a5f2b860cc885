"""The two statement paths: what each leaves on the connection, the statement timeout,
the fast path's own bound on its wait, and a query cancelled by an interrupt."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy import func, literal, select, text

from travelcore.kernel import TenantId, new_uuid
from travelcore_adapters.postgres import PostgresDatabase, StatementPath, StatementTimedOut
from travelcore_adapters.postgres.provision import ProvisionedDatabase
from travelcore_adapters.postgres.statements import Statement

SLEEP = Statement(select(func.pg_sleep(literal(30))))
NO_SERVER_TIMEOUT = Statement(select(func.set_config("statement_timeout", literal("0"), True)))
ONE = Statement(select(literal(1)))


def _database(db: ProvisionedDatabase, path: StatementPath, **options: Any) -> PostgresDatabase:
    return PostgresDatabase(db.app_url, pool_size=1, statement_path=path, **options)


def _sleepers(superuser: psycopg.Connection[Any]) -> int:
    row = superuser.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE state = 'active'"
        " AND query LIKE '%pg_sleep%' AND pid <> pg_backend_pid()"
        " AND datname = current_database()"
    ).fetchone()
    assert row is not None
    return int(row[0])


def _no_sleeper_within(superuser: psycopg.Connection[Any], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while _sleepers(superuser):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _still_usable(database: PostgresDatabase) -> None:
    with database(TenantId(new_uuid())) as uow:
        assert uow.scope.rows(ONE, {}) == [(1,)]
        uow.commit()


@pytest.fixture
def interrupt_after() -> Iterator[Any]:
    """``interrupt_after(seconds)``: a SIGINT to this thread after ``seconds``."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timers: list[threading.Timer] = []
    main = threading.get_ident()

    def arm(seconds: float) -> None:
        timer = threading.Timer(seconds, signal.pthread_kill, (main, signal.SIGINT))
        timers.append(timer)
        timer.start()

    yield arm
    for timer in timers:
        timer.cancel()
    signal.signal(signal.SIGINT, previous)


def test_only_the_fast_path_overrides_prepare_threshold(
    postgres_test_database: ProvisionedDatabase,
) -> None:
    def threshold(path: StatementPath, **options: Any) -> Any:
        with (
            _database(postgres_test_database, path, **options) as database,
            database(TenantId(new_uuid())) as uow,
        ):
            return uow.connection.connection.driver_connection.prepare_threshold

    assert threshold("portable", connect_args={"prepare_threshold": 2}) == 2
    assert threshold("portable") == 5  # psycopg's default
    assert threshold("fast", connect_args={"prepare_threshold": 2}) is None
    with pytest.raises(ValueError, match="statement_path"):
        _database(postgres_test_database, "other")  # type: ignore[arg-type]


def test_the_portable_path_prepares_no_statement_of_its_own(
    postgres_test_database: ProvisionedDatabase,
) -> None:
    def prepared(path: StatementPath) -> set[str]:
        with _database(postgres_test_database, path) as database:
            for _ in range(8):  # past psycopg's threshold: psycopg prepares its own
                _still_usable(database)
            with database(TenantId(new_uuid())) as uow:
                names = uow.execute(text("SELECT name FROM pg_prepared_statements"))
                return {name[:3] for name in names.scalars()}

    assert "tc_" in prepared("fast")  # the control: the fast path's names are seen
    assert "tc_" not in prepared("portable")


def test_a_statement_past_the_timeout_is_cancelled_and_the_pool_stays_usable(
    postgres_test_database: ProvisionedDatabase, statement_path: StatementPath
) -> None:
    options = {"statement_timeout": 0.2}
    with _database(postgres_test_database, statement_path, **options) as database:
        started = time.monotonic()
        with pytest.raises(StatementTimedOut), database(TenantId(new_uuid())) as uow:
            uow.scope.rows(SLEEP, {})
        assert time.monotonic() - started < 10
        _still_usable(database)
    with (  # the control: no timeout, no cancel
        _database(postgres_test_database, statement_path) as database,
        database(TenantId(new_uuid())) as uow,
    ):
        assert uow.scope.rows(Statement(select(func.pg_sleep(literal(0.5)))), {}) == [("",)]


def test_the_fast_path_stops_waiting_when_the_server_does_not_answer(
    postgres_test_database: ProvisionedDatabase, superuser: psycopg.Connection[Any]
) -> None:
    """The batch lifts the server's timeout, so only the client's bound (0.2 s per
    statement plus a second) ends the wait: it cancels the query and drops the
    connection."""
    with _database(postgres_test_database, "fast", statement_timeout=0.2) as database:
        started = time.monotonic()
        with database(TenantId(new_uuid())) as uow:
            uow.scope.enqueue(NO_SERVER_TIMEOUT, {})
            with pytest.raises(StatementTimedOut):
                uow.scope.rows(SLEEP, {})
        assert time.monotonic() - started < 10
        assert _no_sleeper_within(superuser, 5)
        _still_usable(database)


def test_an_interrupt_cancels_the_query_and_the_pool_stays_usable(
    postgres_test_database: ProvisionedDatabase,
    statement_path: StatementPath,
    superuser: psycopg.Connection[Any],
    interrupt_after: Any,
) -> None:
    with _database(postgres_test_database, statement_path) as database:
        _still_usable(database)
        started = time.monotonic()
        interrupt_after(0.5)
        with pytest.raises(KeyboardInterrupt), database(TenantId(new_uuid())) as uow:
            uow.scope.rows(SLEEP, {})
        assert time.monotonic() - started < 10
        assert _no_sleeper_within(superuser, 5)
        _still_usable(database)
