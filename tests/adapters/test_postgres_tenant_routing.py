"""Ready for Citus: every statement the use cases send to PostgreSQL filters on the tenant
key, so it routes to one shard. The statements are recorded as they leave (the prebuilt
ones as they are queued, SQLAlchemy's as its cursor runs them) while the use cases run
random command sequences (booking, ledger and payments; then every service's public
commands, travel and accounts included), then checked one by one."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test
from sqlalchemy import event, select

from tests.adapters.tenant_routing import unrouted
from tests.adapters.test_postgres_differential import differential
from tests.adapters.test_postgres_differential_services import Runner
from tests.adapters.test_postgres_differential_services import (
    differential as every_service_differential,
)
from tests.payments.test_payments_stateful import PaymentsMachine
from travelcore.accounts import (
    PostMessage,
    RegisterAccount,
    Role,
    Secret,
    StartConversation,
    StoreCredential,
)
from travelcore.kernel import Money, TenantId, UserId, new_uuid
from travelcore.payments import PayTrip
from travelcore.testing.actors import admin
from travelcore.testing.booking_machine import booking_machine
from travelcore.testing.ledger_machine import ledger_machine
from travelcore.travel import BookTrip, DraftItinerary, LineItem
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


TRAVEL_AND_ACCOUNTS = {
    "tenants",
    "travel_policies",
    "itineraries",
    "trips",
    "payments",
    "accounts",
    "credentials",
    "conversations",
    "conversation_messages",
}


def accounts_conversations_and_a_paid_trip(database: PostgresDatabase) -> None:
    """An account with a credential and a conversation, an itinerary drafted and a trip
    booked and paid (random commands rarely make a valid account or reach a payment, and
    may draft no itinerary)."""
    runner = Runner(database)
    tenant, user, accounts, chats = (
        runner.tenant,
        UserId(new_uuid()),
        runner.services["accounts"],
        runner.services["chats"],
    )
    password = Secret("correct horse")
    accounts.register(
        RegisterAccount(
            tenant_id=tenant,
            user_id=user,
            email="ada@example.com",
            name="Ada",
            password=password,
            idempotency_key="r",
        ),
        actor=admin(tenant),
    )
    accounts.store_credential(
        StoreCredential(
            tenant_id=tenant,
            user_id=user,
            provider="amadeus",
            fields={"api_key": Secret("AMADEUS-KEY-123")},
            idempotency_key="c",
        ),
        actor=admin(tenant),
    )
    chat = chats.start(
        StartConversation(tenant_id=tenant, user_id=user, idempotency_key="s"),
        actor=admin(tenant),
    )
    chats.post(
        PostMessage(
            tenant_id=tenant,
            conversation_id=chat,
            role=Role.USER,
            content="a hotel in Lisbon",
            idempotency_key="p",
        ),
        actor=admin(tenant),
    )
    runner.services["travel"].draft_itinerary(
        DraftItinerary(
            tenant_id=tenant,
            user_id=user,
            starts_on=date(2027, 6, 1),
            ends_on=date(2027, 6, 3),
            destinations=("LIS",),
            idempotency_key="d",
        ),
        actor=admin(tenant),
    )
    trip = runner.services["travel"].book_trip(
        BookTrip(
            tenant_id=tenant,
            user_id=user,
            currency="EUR",
            items=(
                LineItem.flight(
                    provider="A",
                    external_ref="F",
                    fare=Money(Decimal("120.00"), "EUR"),
                    passengers=1,
                    departs_on=date(2027, 6, 1),
                    destination="LIS",
                ),
            ),
            idempotency_key="b",
        ),
        actor=admin(tenant),
    )
    runner.services["payments"].pay(
        PayTrip(
            tenant_id=tenant, trip_id=trip.id, payment_method="pm_card_visa", idempotency_key="y"
        ),
        actor=admin(tenant),
    )


def test_every_statement_of_the_travel_and_accounts_use_cases_filters_on_the_tenant(
    postgres_database: PostgresDatabase, sent: set[str]
) -> None:
    every_service_differential(lambda: postgres_database)()
    accounts_conversations_and_a_paid_trip(postgres_database)
    touched = {
        table
        for table in TRAVEL_AND_ACCOUNTS
        if any(re.search(rf"\b{table}\b", sql) for sql in sent)
    }
    assert touched == TRAVEL_AND_ACCOUNTS  # the recorder saw their statements
    assert {sql: unrouted(sql) for sql in sent if unrouted(sql)} == {}


def test_a_statement_without_the_tenant_is_caught(
    postgres_database: PostgresDatabase, sent: set[str]
) -> None:
    with postgres_database(TenantId(new_uuid())) as uow:
        uow.execute(select(bookings.c.id).where(bookings.c.id == new_uuid()))
    assert [unrouted(sql) for sql in sent if "FROM bookings" in sql] == [["bookings"]]
