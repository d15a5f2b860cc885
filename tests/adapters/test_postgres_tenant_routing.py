"""Ready for Citus: every statement the use cases send to PostgreSQL filters on the tenant
key, so it routes to one shard. The statements are recorded as they leave (the prebuilt
ones as they are queued, SQLAlchemy's as its cursor runs them) while the booking, ledger
and payment use cases run random command sequences, then checked one by one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test
from sqlalchemy import event, select

from tests.adapters.tenant_routing import unrouted
from tests.adapters.test_postgres_differential import differential
from tests.payments.test_payments_stateful import PaymentsMachine
from travelcore.kernel import TenantId, new_uuid
from travelcore.testing.booking_machine import booking_machine
from travelcore.testing.ledger_machine import ledger_machine
from travelcore_adapters.postgres import PostgresDatabase
from travelcore_adapters.postgres.statements import Statement
from travelcore_adapters.postgres.tables.booking import bookings
from travelcore_adapters.postgres.wire import Batch

FEW = settings(max_examples=5, stateful_step_count=15, deadline=None, database=None)


@pytest.fixture
def sent(
    postgres_database: PostgresDatabase, monkeypatch: pytest.MonkeyPatch
) -> Iterator[set[str]]:
    """The SQL of every statement sent while the test runs."""
    statements: set[str] = set()
    queue = Batch.queue

    def recording(batch: Batch, statement: Statement, args: Any) -> Any:
        statements.add(statement.sql.decode())
        return queue(batch, statement, args)

    def executed(*args: Any) -> None:
        statements.add(args[2])

    monkeypatch.setattr(Batch, "queue", recording)
    engine = postgres_database.engine
    event.listen(engine, "before_cursor_execute", executed)
    yield statements
    event.remove(engine, "before_cursor_execute", executed)


def test_every_statement_of_the_use_cases_filters_on_the_tenant(
    postgres_database: PostgresDatabase, sent: set[str]
) -> None:
    differential(lambda: postgres_database)()
    run_state_machine_as_test(booking_machine(lambda: postgres_database), settings=FEW)
    run_state_machine_as_test(ledger_machine(lambda: postgres_database), settings=FEW)

    class PostgresPayments(PaymentsMachine):
        make_db = staticmethod(lambda: postgres_database)

    run_state_machine_as_test(PostgresPayments, settings=FEW)
    assert len(sent) > 50  # the recorder saw them
    assert {sql: unrouted(sql) for sql in sent if unrouted(sql)} == {}


def test_a_statement_without_the_tenant_is_caught(
    postgres_database: PostgresDatabase, sent: set[str]
) -> None:
    with postgres_database(TenantId(new_uuid())) as uow:
        uow.execute(select(bookings.c.id).where(bookings.c.id == new_uuid()))
    assert [unrouted(sql) for sql in sent if "FROM bookings" in sql] == [["bookings"]]
