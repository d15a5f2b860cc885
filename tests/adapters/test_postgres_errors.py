"""Driver errors arrive as travelcore errors; transient ones are retried."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from tests.postgres_fixtures import PostgresTestDatabase
from travelcore.kernel import (
    AlreadyExists,
    Conflict,
    IdempotencyRecord,
    TenantId,
    Unavailable,
    new_uuid,
)
from travelcore.kernel.errors import TransientConflict
from travelcore_adapters.postgres import PostgresDatabase, PostgresUnitOfWork

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
    database = PostgresDatabase(f"postgresql://nobody@/db?host={tmp_path}")
    with pytest.raises(Unavailable), database(TenantId(new_uuid())):
        pass


def test_exhausted_pool_is_unavailable(postgres_test_database: PostgresTestDatabase) -> None:
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


def test_deadlock_is_retried(postgres_test_database: PostgresTestDatabase) -> None:
    with PostgresDatabase(postgres_test_database.app_url, pool_size=2) as database:
        outcomes, attempts = _deadlocking_pair(database)
    assert sorted(map(str, outcomes)) == ["x", "y"]
    assert sum(attempts.values()) == 3


def test_deadlock_without_retries_is_a_conflict(
    postgres_test_database: PostgresTestDatabase,
) -> None:
    with PostgresDatabase(
        postgres_test_database.app_url, pool_size=2, retry_attempts=1
    ) as database:
        outcomes, _ = _deadlocking_pair(database)
    assert len([o for o in outcomes if isinstance(o, TransientConflict)]) == 1
    assert len([o for o in outcomes if isinstance(o, str)]) == 1
