"""The ledger on PostgreSQL: mapping, append-only storage, optimistic versions and
concurrency on real connections."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import ClassVar

import attrs
import pytest
from sqlalchemy import func, select, text
from tenacity import (
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from travelcore.kernel import (
    FIRST_VERSION,
    AccessDenied,
    AlreadyExists,
    InsufficientCredits,
    ManualClock,
    NotFound,
    StaleVersion,
    StaticPolicies,
    TenantId,
    UserId,
    new_uuid,
)
from travelcore.ledger import (
    BalanceId,
    BillingPeriod,
    CreditBalance,
    EntryType,
    LedgerEntry,
    LedgerIsAppendOnly,
)
from travelcore.ledger.service import Debit, LedgerService
from travelcore.testing.actors import admin
from travelcore_adapters.postgres import PostgresDatabase
from travelcore_adapters.postgres.provision import ProvisionedDatabase
from travelcore_adapters.postgres.repositories.ledger import (
    UPSERT_HOLD,
    PostgresLedgerRepository,
    balance_figures,
    entry_row,
    hold_row,
)
from travelcore_adapters.postgres.statements import insert_statement
from travelcore_adapters.postgres.tables.ledger import credit_balances as b
from travelcore_adapters.postgres.tables.ledger import credit_ledger as e

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PERIOD = BillingPeriod(date(2026, 3, 1), date(2026, 4, 1))


def _tenant() -> TenantId:
    return TenantId(new_uuid())


def _open(database: PostgresDatabase, tenant: TenantId, credits: int) -> BalanceId:
    balance = CreditBalance.open(tenant, UserId(new_uuid()), PERIOD, T0)
    balance.allocate(credits, T0, actor="hr", reason="monthly")
    with database(tenant) as uow:
        uow.credits.add(balance)
        uow.commit()
    return balance.id


# --- mapping --------------------------------------------------------------------------------


def test_a_balance_round_trips_with_entries_and_holds(
    postgres_database: PostgresDatabase,
) -> None:
    tenant = _tenant()
    balance = CreditBalance.open(tenant, UserId(new_uuid()), PERIOD, T0)
    balance.allocate(20, T0, actor="hr", reason="monthly", idempotency_key="a1")
    extra = balance.allocate(10, T0, actor="hr", reason="bonus")
    with postgres_database(tenant) as uow:
        uow.credits.add(balance)
        uow.commit()
    booking, other = new_uuid(), new_uuid()
    with postgres_database(tenant) as uow:
        loaded = uow.credits.get(balance.id)
        assert loaded == balance
        hold = loaded.place_hold(booking, 3, T0, timedelta(minutes=15))
        loaded.place_hold(other, 2, T0, timedelta(minutes=15))
        loaded.capture_hold(hold.id, T0 + timedelta(minutes=1))
        loaded.refund(booking, T0 + timedelta(hours=1), credits=1, partial=True)
        loaded.reverse(extra.id, T0 + timedelta(hours=2), actor="admin", reason="typo")
        loaded.adjust(4, T0 + timedelta(hours=2), actor="admin", reason="goodwill")
        loaded.warn_of_expiry(datetime(2026, 3, 30, tzinfo=UTC), timedelta(days=7))
        uow.credits.save(loaded)
        uow.commit()
    assert loaded.version == FIRST_VERSION + 1
    with postgres_database(tenant) as uow:
        again = uow.credits.get(balance.id)
        assert uow.credits.find(balance.user_id, date(2026, 3, 31)) == again
        assert uow.credits.find(balance.user_id, date(2026, 4, 1)) is None
        row = uow.execute(b.select().where(b.c.id == balance.id)).one()
    assert again == loaded
    assert again.available == 20 + 10 - 3 + 1 - 10 + 4 - 2
    assert (row.credits_available, row.credits_held, row.credits_used) == (20, 2, 3)


def test_missing_duplicate_and_stale_balances(postgres_database: PostgresDatabase) -> None:
    tenant = _tenant()
    balance_id = _open(postgres_database, tenant, 5)
    with postgres_database(tenant) as uow:
        with pytest.raises(NotFound):
            uow.credits.get(BalanceId(new_uuid()))
        existing = uow.credits.get(balance_id)
    twin = CreditBalance.open(tenant, existing.user_id, PERIOD, T0)
    with postgres_database(tenant) as uow, pytest.raises(AlreadyExists):
        uow.credits.add(twin)
    with postgres_database(tenant) as uow:  # (a read locks the balance until the end)
        c = uow.credits.get(balance_id)
    with postgres_database(tenant) as first:
        a = first.credits.get(balance_id)
        a.debit(new_uuid(), 1, T0)
        first.credits.save(a)
        first.commit()
    c.debit(new_uuid(), 1, T0)
    with postgres_database(tenant) as second, pytest.raises(StaleVersion):
        second.credits.save(c)


def test_periods_due_for_expiry_and_warning(postgres_database: PostgresDatabase) -> None:
    tenant = _tenant()
    balance_id = _open(postgres_database, tenant, 5)
    with postgres_database(tenant) as uow:
        assert uow.credits.open_ending_by(date(2026, 3, 31)) == []
        assert uow.credits.open_ending_by(date(2026, 4, 1)) == [balance_id]
        assert uow.credits.unwarned_ending_by(date(2026, 4, 1)) == [balance_id]
        balance = uow.credits.get(balance_id)
        balance.warn_of_expiry(datetime(2026, 3, 28, tzinfo=UTC), timedelta(days=7))
        uow.credits.save(balance)
        assert uow.credits.unwarned_ending_by(date(2026, 4, 1)) == []
        balance.expire(PERIOD.ends_at)
        uow.credits.save(balance)
        assert uow.credits.open_ending_by(date(2026, 4, 1)) == []
        uow.commit()


# --- the database as a backstop -------------------------------------------------------------


def test_ledger_entries_cannot_be_changed_or_deleted(postgres_database: PostgresDatabase) -> None:
    tenant = _tenant()
    _open(postgres_database, tenant, 5)
    for statement in ("UPDATE credit_ledger SET amount = 50", "DELETE FROM credit_ledger"):
        with postgres_database(tenant) as uow, pytest.raises(AccessDenied):
            uow.execute(text(statement))
    with postgres_database(tenant) as uow, pytest.raises(AccessDenied):
        uow.execute(text("DELETE FROM credit_balances"))


def test_check_constraints_map_to_domain_errors(postgres_database: PostgresDatabase) -> None:
    tenant = _tenant()
    balance_id = _open(postgres_database, tenant, 5)
    with postgres_database(tenant) as uow, pytest.raises(InsufficientCredits):
        uow.execute(
            text(
                "UPDATE credit_balances SET credits_available = -1, credits_balance = -1 "
                "WHERE id = :id"
            ),
            {"id": str(balance_id)},
        )


def test_other_tenants_balances_are_out_of_reach(postgres_database: PostgresDatabase) -> None:
    a, other = _tenant(), _tenant()
    balance_id = _open(postgres_database, other, 5)
    with postgres_database(a) as uow:
        with pytest.raises(NotFound):
            uow.credits.get(balance_id)
        for table in ("credit_balances", "credit_ledger", "credit_holds"):
            count = uow.execute(text(f"SELECT count(*) FROM {table}")).scalar()
            assert count == 0
        updated = uow.execute(
            text("UPDATE credit_balances SET version = version + 1 WHERE id = :id"),
            {"id": str(balance_id)},
        )
        assert updated.rowcount == 0
        uow.commit()
    with postgres_database(other) as uow:
        assert uow.credits.get(balance_id).version == FIRST_VERSION


# --- concurrency on real connections --------------------------------------------------------


class UnguardedLedgerRepository(PostgresLedgerRepository):
    """The negative control: a naive read-modify-write without the row lock on ``get`` and
    without the optimistic version check, appending its new entries after whatever is
    stored by then."""

    lock_on_get: ClassVar[bool] = False

    def save(self, balance: CreditBalance) -> None:
        fresh = self._new_entries(balance)
        tid = self._scope.tenant_id
        self._scope.execute(
            b.update()
            .where(b.c.tenant_id == tid, b.c.id == balance.id)
            .values(version=b.c.version + 1, **balance_figures(balance))
        )
        statement = insert_statement(e, on_conflict="error")
        self._scope.write_many(statement, [entry_row(tid, x) for x in fresh])
        holds = [hold_row(tid, n, hold) for n, hold in enumerate(balance.holds)]
        self._scope.write_many(UPSERT_HOLD, holds)
        balance.version += 1
        self._entries_seen[balance.id] = (balance.version, tuple(balance.entries))

    def _new_entries(self, balance: CreditBalance) -> list[LedgerEntry]:
        stored = self._scope.execute(
            select(func.max(e.c.sequence)).where(e.c.balance_id == balance.id)
        ).scalar_one()
        fresh = balance.entries[len(self._entries_seen[balance.id][1]) :]
        return [attrs.evolve(x, sequence=stored + i + 1) for i, x in enumerate(fresh)]


@attrs.frozen
class Outcome:
    accepted: int
    stored: CreditBalance
    row_available: int
    row_balance: int


def _hammer(db: ProvisionedDatabase, debits: int, credits_each: int, *, guarded: bool) -> Outcome:
    """``debits`` concurrent debits of ``credits_each`` on 20 threads and 20 connections
    against a balance of 1,000 credits; stale saves are retried (bounded)."""
    tenant = _tenant()
    accepted: list[int] = []
    lock = threading.Lock()
    with PostgresDatabase(db.app_url, pool_size=20) as database:
        balance_id = _open(database, tenant, 1000)

        def debit_once() -> None:
            with database(tenant) as uow:
                if not guarded:
                    uow.credits = UnguardedLedgerRepository(uow.scope)
                balance = uow.credits.get(balance_id)
                balance.debit(new_uuid(), credits_each, T0)
                uow.credits.save(balance)
                uow.commit()
            with lock:
                accepted.append(credits_each)

        def debit() -> None:
            retrying = Retrying(
                retry=retry_if_exception_type(StaleVersion),
                stop=stop_after_attempt(200),
                wait=wait_random_exponential(multiplier=0.002, max=0.1),
                reraise=True,
            )
            try:
                for attempt in retrying:
                    with attempt:
                        debit_once()
            except (InsufficientCredits, StaleVersion):  # refused, or lost 200 races
                pass

        with ThreadPoolExecutor(max_workers=20) as pool:
            for future in [pool.submit(debit) for _ in range(debits)]:
                future.result()
        with database(tenant) as uow:
            stored = uow.credits.get(balance_id)
            row = uow.execute(b.select().where(b.c.id == balance_id)).one()
    return Outcome(sum(accepted), stored, row.credits_available, row.credits_balance)


def _violations(outcome: Outcome) -> list[str]:
    entries = outcome.stored.entries
    found = []
    if outcome.row_available < 0 or any(e.balance_after < 0 for e in entries):
        found.append("negative balance")
    if sum(e.amount for e in entries) != outcome.row_balance:
        found.append("ledger sum differs from the balance row")
    running = 0
    for entry in entries:
        running += entry.amount
        if entry.balance_after != running:
            found.append(f"entry {entry.sequence} does not chain")
            break
    if outcome.accepted > 1000:
        found.append(f"accepted {outcome.accepted} > 1000 credits")
    debited = -sum(e.amount for e in entries if e.entry_type is EntryType.BOOKING_DEBIT)
    if debited != outcome.accepted:
        found.append(f"accepted {outcome.accepted} but the ledger holds {debited}")
    return found


def test_concurrent_debits_never_overdraw(postgres_test_database: ProvisionedDatabase) -> None:
    outcome = _hammer(postgres_test_database, 500, 7, guarded=True)
    assert _violations(outcome) == []
    assert outcome.accepted == 994  # drained down to the last debit that fits
    assert outcome.row_available == 6


def test_without_the_version_check_the_same_test_fails(
    postgres_test_database: ProvisionedDatabase,
) -> None:
    outcome = _hammer(postgres_test_database, 500, 7, guarded=False)
    assert _violations(outcome) != []


def test_one_idempotency_key_gives_one_entry(
    postgres_test_database: ProvisionedDatabase,
) -> None:
    """50 concurrent calls of the ledger service's debit with one key: one entry, and every
    call returns it."""
    tenant = _tenant()
    with PostgresDatabase(postgres_test_database.app_url, pool_size=20) as database:
        balance_id = _open(database, tenant, 100)
        service = LedgerService(database, ManualClock(T0), policies=StaticPolicies())
        command = Debit(
            tenant_id=tenant,
            balance_id=balance_id,
            booking_id=new_uuid(),
            credits=7,
            idempotency_key="pay-1",
        )
        with ThreadPoolExecutor(max_workers=50) as pool:
            results = list(
                pool.map(
                    lambda _: service.debit(command, actor=admin(command.tenant_id)), range(50)
                )
            )
        with database(tenant) as uow:
            balance = uow.credits.get(balance_id)
    debits = [x for x in balance.entries if x.entry_type is EntryType.BOOKING_DEBIT]
    assert len(debits) == 1
    assert {r.id for r in results} == {debits[0].id}
    assert balance.available == 93


def test_a_refused_save_writes_nothing(postgres_database: PostgresDatabase) -> None:
    tenant = _tenant()
    balance_id = _open(postgres_database, tenant, 5)
    with postgres_database(tenant) as uow:
        balance = uow.credits.get(balance_id)
        balance.debit(new_uuid(), 2, T0)
        balance.entries.pop(0)
        with pytest.raises(LedgerIsAppendOnly):
            uow.credits.save(balance)
        uow.commit()  # the refusal left the transaction clean and unchanged
    with postgres_database(tenant) as uow:
        stored = uow.credits.get(balance_id)
        row = uow.execute(b.select().where(b.c.id == balance_id)).one()
    assert (stored.version, stored.available, len(stored.entries)) == (FIRST_VERSION, 5, 1)
    assert (row.version, row.credits_available) == (FIRST_VERSION, 5)
