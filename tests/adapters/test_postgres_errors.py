"""Driver errors arrive as travelcore errors; transient ones are retried."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime

import psycopg
import pytest
import sqlalchemy.exc as sa_exc
from psycopg import errors as pg_errors
from sqlalchemy import text

from travelcore.kernel import (
    AccessDenied,
    AlreadyExists,
    Conflict,
    IdempotencyRecord,
    NotFound,
    RuleViolation,
    TenantId,
    TravelcoreError,
    Unavailable,
    ValidationFailed,
    new_uuid,
)
from travelcore.kernel.errors import TransientConflict
from travelcore_adapters.postgres import (
    ConnectionLost,
    PostgresDatabase,
    PostgresUnitOfWork,
    translate,
)
from travelcore_adapters.postgres.provision import ProvisionedDatabase, admin_connection


@pytest.mark.parametrize(
    ("driver_error", "expected"),
    [
        (pg_errors.UniqueViolation("duplicate"), AlreadyExists),
        (pg_errors.CheckViolation("check"), RuleViolation),
        (pg_errors.ForeignKeyViolation("missing"), NotFound),
        (pg_errors.NotNullViolation("null"), ValidationFailed),
        (pg_errors.SerializationFailure("serialization"), TransientConflict),
        (pg_errors.DeadlockDetected("deadlock"), TransientConflict),
        (pg_errors.LockNotAvailable("nowait"), TransientConflict),
        (pg_errors.InvalidSqlStatementName("deallocated"), TransientConflict),
        (pg_errors.InsufficientPrivilege("denied"), AccessDenied),
        (pg_errors.AdminShutdown("terminating"), ConnectionLost),
        (pg_errors.ConnectionFailure("gone"), Unavailable),
        (psycopg.OperationalError("server closed the connection"), ConnectionLost),
        (pg_errors.PipelineAborted("an earlier statement failed"), Unavailable),
        (sa_exc.TimeoutError("pool"), Unavailable),
        (sa_exc.InvalidRequestError("This connection is closed"), ConnectionLost),
        (pg_errors.NumericValueOutOfRange("integer out of range"), ValidationFailed),
        (pg_errors.StringDataRightTruncation("value too long"), ValidationFailed),
        (pg_errors.CharacterNotInRepertoire("invalid byte sequence"), ValidationFailed),
        (
            psycopg.DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes"),
            ValidationFailed,
        ),
        (UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed"), ValidationFailed),
    ],
)
def test_driver_errors_are_translated(
    driver_error: Exception, expected: type[TravelcoreError]
) -> None:
    translated = translate(driver_error)
    assert type(translated) is expected


def test_unexpected_database_errors_stay_travelcore_errors() -> None:
    translated = translate(pg_errors.SyntaxError("syntax"))
    assert type(translated) is TravelcoreError
    assert translated.details["sqlstate"] == "42601"


def test_a_terminated_connection_is_unavailable(
    postgres_database: PostgresDatabase, postgres_test_database: ProvisionedDatabase
) -> None:
    with postgres_database(TenantId(new_uuid())) as uow:
        pid = uow.execute(text("SELECT pg_backend_pid()")).scalar()
        with admin_connection(postgres_test_database.superuser_url) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        with pytest.raises(Unavailable):
            uow.execute(text("SELECT 1"))
    with postgres_database(TenantId(new_uuid())) as uow:  # the pool recovers
        assert uow.execute(text("SELECT 1")).scalar() == 1


INSERT = text(
    "INSERT INTO idempotency_keys (tenant_id, key, fingerprint, created_at) "
    "VALUES (:t, 'dup', 'f', now())"
)


def test_unique_violation_is_already_exists(postgres_database: PostgresDatabase) -> None:
    tenant = TenantId(new_uuid())
    with postgres_database(tenant) as uow:
        uow.execute(INSERT, {"t": str(tenant)})
        with pytest.raises(AlreadyExists):
            uow.execute(INSERT, {"t": str(tenant)})


def test_unreachable_server_is_unavailable(tmp_path: object) -> None:
    database = PostgresDatabase(f"postgresql://nobody@/db?host={tmp_path}", reconnect_within=0)
    with pytest.raises(Unavailable), database(TenantId(new_uuid())):
        pass


def test_exhausted_pool_is_unavailable(postgres_test_database: ProvisionedDatabase) -> None:
    with PostgresDatabase(
        postgres_test_database.app_url, pool_size=1, pool_timeout=0.05
    ) as database:
        with (
            database(TenantId(new_uuid())),
            pytest.raises(Unavailable),
            database(TenantId(new_uuid())),
        ):
            pass
        assert database.engine.pool.checkedout() == 0


def _deadlocking_pair(database: PostgresDatabase) -> tuple[list[object], Counter[str]]:
    """Two transactions that lock two keys in opposite order: PostgreSQL aborts one."""
    tenant = TenantId(new_uuid())
    barrier = threading.Barrier(2, timeout=20)
    attempts: Counter[str] = Counter()
    outcomes: list[object] = []

    def work(first: str, second: str) -> None:
        def transaction(uow: PostgresUnitOfWork) -> str:
            attempts[first] += 1
            uow.idempotency.get(first)
            if attempts[first] == 1:
                barrier.wait()
            uow.idempotency.get(second)
            uow.idempotency.add(
                IdempotencyRecord(
                    key=first, fingerprint="f", result=None, created_at=datetime.now(UTC)
                )
            )
            return first

        try:
            outcomes.append(database.run(tenant, transaction))
        except Conflict as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=work, args=pair) for pair in (("x", "y"), ("y", "x"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes, attempts


def test_deadlock_is_retried(postgres_test_database: ProvisionedDatabase) -> None:
    with PostgresDatabase(postgres_test_database.app_url, pool_size=2) as database:
        outcomes, attempts = _deadlocking_pair(database)
    assert sorted(map(str, outcomes)) == ["x", "y"]
    assert sum(attempts.values()) == 3


def test_deadlock_without_retries_is_a_conflict(
    postgres_test_database: ProvisionedDatabase,
) -> None:
    with PostgresDatabase(
        postgres_test_database.app_url, pool_size=2, retry_attempts=1
    ) as database:
        outcomes, _ = _deadlocking_pair(database)
    assert len([o for o in outcomes if isinstance(o, TransientConflict)]) == 1
    assert len([o for o in outcomes if isinstance(o, str)]) == 1


@pytest.mark.parametrize(
    ("value", "rule"),
    [("a\x00b", "storable"), ("a\ud800b", "utf8")],
)
def test_text_the_server_cannot_store_is_bad_input_not_an_outage(
    postgres_database: PostgresDatabase, value: str, rule: str
) -> None:
    with postgres_database(TenantId(new_uuid())) as uow, pytest.raises(ValidationFailed) as err:
        uow.execute(text("SELECT CAST(:v AS varchar(255))"), {"v": value})
    assert err.value.rule == rule


def test_an_integer_beyond_int4_is_bad_input(postgres_database: PostgresDatabase) -> None:
    with postgres_database(TenantId(new_uuid())) as uow, pytest.raises(ValidationFailed) as err:
        uow.execute(text("SELECT CAST(:v AS integer)"), {"v": 2**31})
    assert err.value.rule == "storage_range"
