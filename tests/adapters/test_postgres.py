"""The PostgreSQL adapter: the shared contracts, the tenant layout, row-level security and
the roles, on a real server."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from sqlalchemy import text

from travelcore.kernel import AccessDenied, EventBus, IdempotencyRecord, TenantId, new_uuid
from travelcore.testing import (
    AccountRepositoryContract,
    BillingRepositoriesContract,
    ConversationRepositoryContract,
    CorporateSubscriptionRepositoryContract,
    CredentialRepositoryContract,
    CreditBalanceRepositoryContract,
    InvoiceRepositoryContract,
    ItineraryRepositoryContract,
    LedgerRepositoryContract,
    PaymentRepositoryContract,
    PayoutRepositoryContract,
    PolicyRuleRepositoryContract,
    ReminderRepositoryContract,
    SubscriptionRepositoryContract,
    TenantRepositoryContract,
    TravelPreferencesRepositoryContract,
    TripRepositoryContract,
    UnitOfWorkContract,
)
from travelcore.testing.ledger import rich_balance, subscription
from travelcore_adapters.postgres import PostgresDatabase, PostgresUnitOfWork
from travelcore_adapters.postgres.provision import ProvisionedDatabase
from travelcore_adapters.postgres.tables import tenant_tables
from travelcore_adapters.postgres.uow import TransactionAborted

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def uow_factory(postgres_database: PostgresDatabase) -> Callable[..., Any]:
    def make(tenant_id: TenantId, bus: EventBus | None = None) -> PostgresUnitOfWork:
        return PostgresUnitOfWork(postgres_database.engine, tenant_id, bus)

    return make


class TestPostgresUnitOfWork(UnitOfWorkContract):
    pass


class TestPostgresLedgerRepository(LedgerRepositoryContract):
    pass


class TestPostgresSubscriptionRepository(SubscriptionRepositoryContract):
    pass


def _record(key: str) -> IdempotencyRecord:
    return IdempotencyRecord(key=key, fingerprint="a" * 64, result={"k": key}, created_at=T0)


def _tenant() -> TenantId:
    return TenantId(new_uuid())


# --- the Citus layout and row-level security, read from pg_catalog -------------------------

TABLES = """
SELECT c.oid, c.relname, c.relrowsecurity, c.relforcerowsecurity,
       (SELECT attnum FROM pg_attribute a
         WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped) AS tenant_att
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname <> 'alembic_version'
ORDER BY c.relname
"""


def test_every_table_is_tenant_scoped_and_row_level_secure(
    superuser: psycopg.Connection[Any],
) -> None:
    tables = superuser.execute(TABLES).fetchall()
    names = {row[1] for row in tables}
    assert {t.name for t in tenant_tables()} <= names
    assert "idempotency_keys" in names
    for oid, name, rls, forced, tenant_att in tables:
        assert tenant_att is not None, f"{name} has no tenant_id"
        assert rls, f"{name}: row-level security is not enabled"
        assert forced, f"{name}: row-level security is not forced"
        (pk,) = superuser.execute(
            "SELECT conkey FROM pg_constraint WHERE conrelid = %s AND contype = 'p'", [oid]
        ).fetchone() or (None,)
        assert pk is not None, f"{name} has no primary key"
        assert pk[0] == tenant_att, f"{name}: primary key must lead with tenant_id"
        for conname, key in superuser.execute(
            "SELECT conname, conkey FROM pg_constraint WHERE conrelid = %s AND contype = 'u'", [oid]
        ):
            assert tenant_att in key, f"{name}.{conname} lacks tenant_id"
        for indexname, key in superuser.execute(
            "SELECT indexrelid::regclass::text, indkey::int2[] FROM pg_index "
            "WHERE indrelid = %s AND indisunique",
            [oid],
        ):
            assert tenant_att in key, f"{name}: unique index {indexname} lacks tenant_id"
        for conname, key, ref, ref_key in superuser.execute(
            "SELECT conname, conkey, confrelid, confkey FROM pg_constraint "
            "WHERE conrelid = %s AND contype = 'f'",
            [oid],
        ):
            ref_tenant = superuser.execute(
                "SELECT attnum FROM pg_attribute WHERE attrelid = %s AND attname = 'tenant_id'",
                [ref],
            ).fetchone()
            assert ref_tenant is not None
            pairs = set(zip(key, ref_key, strict=True))
            assert (tenant_att, ref_tenant[0]) in pairs, f"{name}.{conname} lacks tenant_id"
        policies = superuser.execute(
            "SELECT cmd, qual, with_check FROM pg_policies WHERE tablename = %s", [name]
        ).fetchall()
        assert policies, f"{name} has no policy"
        for cmd, qual, check in policies:
            assert "app.tenant_id" in qual
            if cmd == "SELECT":  # a read-only policy (the tenant directory) writes nothing
                assert check is None
            else:
                assert "app.tenant_id" in check


def test_app_role_is_powerless(
    superuser: psycopg.Connection[Any], postgres_test_database: ProvisionedDatabase
) -> None:
    role = postgres_test_database.app_role
    row = superuser.execute(
        "SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles "
        "WHERE rolname = %s",
        [role],
    ).fetchone()
    assert row == (False, False, False, False)
    owned = superuser.execute(
        "SELECT count(*) FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles "
        "WHERE rolname = %s)",
        [role],
    ).fetchone()
    assert owned == (0,)
    schemas = superuser.execute(
        "SELECT count(*) FROM pg_namespace WHERE nspowner = (SELECT oid FROM pg_roles "
        "WHERE rolname = %s)",
        [role],
    ).fetchone()
    assert schemas == (0,)
    memberships = superuser.execute(
        "SELECT count(*) FROM pg_auth_members WHERE member = (SELECT oid FROM pg_roles "
        "WHERE rolname = %s)",
        [role],
    ).fetchone()
    assert memberships == (0,)


def test_library_connects_as_the_app_role(
    postgres_database: PostgresDatabase, postgres_test_database: ProvisionedDatabase
) -> None:
    with postgres_database(_tenant()) as uow:
        who = uow.connection.execute(text("SELECT current_user")).scalar()
    assert who == postgres_test_database.app_role


# --- tenant isolation ----------------------------------------------------------------------


def test_tenant_b_is_invisible_and_untouchable_from_tenant_a(
    postgres_database: PostgresDatabase,
) -> None:
    a, b = _tenant(), _tenant()
    with postgres_database(b) as uow:
        uow.idempotency.add(_record("b-key"))
        uow.commit()
    with postgres_database(a) as uow:
        assert uow.idempotency.get("b-key") is None
        assert uow.idempotency.purge_before(datetime(2100, 1, 1, tzinfo=UTC)) == 0
        raw = uow.connection
        params = {"b": str(b)}
        assert raw.execute(text("SELECT count(*) FROM idempotency_keys")).scalar() == 0
        assert (
            raw.execute(
                text("SELECT count(*) FROM idempotency_keys WHERE tenant_id = :b"), params
            ).scalar()
            == 0
        )
        assert raw.execute(text("DELETE FROM idempotency_keys")).rowcount == 0
        assert (
            raw.execute(text("DELETE FROM idempotency_keys WHERE tenant_id = :b"), params).rowcount
            == 0
        )
        uow.commit()
    with postgres_database(a) as uow, pytest.raises(AccessDenied):  # stored results are final
        uow.execute(text("UPDATE idempotency_keys SET fingerprint = 'x'"))
    with postgres_database(a) as uow, pytest.raises(AccessDenied):
        uow.execute(
            text(
                "INSERT INTO idempotency_keys (tenant_id, key, fingerprint, created_at) "
                "VALUES (:b, 'forged', 'f', now())"
            ),
            {"b": str(b)},
        )
    with postgres_database(b) as uow:
        record = uow.idempotency.get("b-key")
    assert record is not None
    assert record.fingerprint == "a" * 64


def test_without_a_tenant_no_row_is_visible(postgres_database: PostgresDatabase) -> None:
    tenant = _tenant()
    balance = rich_balance(tenant)
    with postgres_database(tenant) as uow:
        uow.idempotency.add(_record("k"))
        uow.credits.add(balance)
        uow.subscriptions.add(subscription(tenant))
        uow.commit()
    for _ in range(2):  # a fresh connection, then one that carried a tenant before
        with postgres_database.engine.connect() as raw:
            for table in tenant_tables():
                count = raw.execute(text(f"SELECT count(*) FROM {table.name}")).scalar()
                assert count == 0, table.name
            setting = raw.execute(text("SELECT current_setting('app.tenant_id', true)")).scalar()
            assert setting in (None, "")
    with postgres_database(tenant) as uow:
        assert uow.credits.get(balance.id) == balance


def test_alternating_tenants_on_a_small_pool_leak_nothing(
    postgres_test_database: ProvisionedDatabase,
) -> None:
    tenants = (_tenant(), _tenant())
    written: dict[TenantId, int] = dict.fromkeys(tenants, 0)
    with PostgresDatabase(postgres_test_database.app_url, pool_size=2) as database:
        for i in range(1000):
            tenant = tenants[i % 2]
            with database(tenant) as uow:
                uow.idempotency.add(_record(f"k{i}"))
                seen = uow.connection.execute(
                    text("SELECT tenant_id, count(*) FROM idempotency_keys GROUP BY tenant_id")
                ).all()
                assert [(str(t), n) for t, n in seen] == [(str(tenant), written[tenant] + 1)]
                uow.commit()
            written[tenant] += 1
        assert database.engine.pool.checkedout() == 0
        with database.engine.connect() as raw:
            assert raw.execute(text("SELECT count(*) FROM idempotency_keys")).scalar() == 0
    assert written == dict.fromkeys(tenants, 500)


def test_commit_after_a_failed_statement_raises_and_writes_nothing(
    postgres_database: PostgresDatabase,
) -> None:
    tenant = TenantId(new_uuid())
    record = IdempotencyRecord(
        key="aborted", fingerprint="f" * 64, result={}, created_at=datetime(2026, 1, 1, tzinfo=UTC)
    )
    with postgres_database(tenant) as uow:
        uow.idempotency.add(record)
        with pytest.raises(Exception, match="division by zero"):
            uow.connection.execute(text("SELECT 1 / 0"))
        with pytest.raises(TransactionAborted) as err:
            uow.commit()
    assert err.value.code == "transaction_aborted"
    with postgres_database(tenant) as uow:
        assert uow.idempotency.get("aborted") is None


# -- the repository contract, for the repositories of travel, payments, accounts, ledger --


class TestPostgresTenantRepository(TenantRepositoryContract):
    pass


class TestPostgresPolicyRuleRepository(PolicyRuleRepositoryContract):
    pass


class TestPostgresTravelPreferencesRepository(TravelPreferencesRepositoryContract):
    pass


class TestPostgresItineraryRepository(ItineraryRepositoryContract):
    pass


class TestPostgresTripRepository(TripRepositoryContract):
    pass


class TestPostgresReminderRepository(ReminderRepositoryContract):
    pass


class TestPostgresPaymentRepository(PaymentRepositoryContract):
    pass


class TestPostgresAccountRepository(AccountRepositoryContract):
    pass


class TestPostgresCredentialRepository(CredentialRepositoryContract):
    pass


class TestPostgresConversationRepository(ConversationRepositoryContract):
    pass


class TestPostgresCreditBalanceRepository(CreditBalanceRepositoryContract):
    pass


class TestPostgresCorporateSubscriptionRepository(CorporateSubscriptionRepositoryContract):
    pass


class TestPostgresInvoiceRepository(InvoiceRepositoryContract):
    pass


class TestPostgresPayoutRepository(PayoutRepositoryContract):
    pass


class TestPostgresBillingRepositories(BillingRepositoriesContract):
    pass
