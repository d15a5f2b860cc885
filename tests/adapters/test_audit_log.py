"""The audit log contract on memory and PostgreSQL, and the PostgreSQL grant: the
application role may insert and select the audit table, never update or delete it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from travelcore.kernel import Clock, TenantId, new_uuid
from travelcore.testing import AuditLogContract
from travelcore.testing.apikeys import make_api_key
from travelcore_adapters.memory import MemoryStore, MemoryUnitOfWork
from travelcore_adapters.postgres import PostgresDatabase, PostgresUnitOfWork
from travelcore_adapters.postgres.provision import ProvisionedDatabase, admin_connection


@pytest.fixture(params=["memory", "postgres"])
def audit_db(request: pytest.FixtureRequest) -> Callable[[Clock], Callable[[TenantId], Any]]:
    if request.param == "memory":
        store = MemoryStore()
        return lambda clock: lambda tenant: MemoryUnitOfWork(store, tenant, clock=clock)
    database: PostgresDatabase = request.getfixturevalue("postgres_database")
    return lambda clock: lambda tenant: PostgresUnitOfWork(database.engine, tenant, clock=clock)


class TestAuditLog(AuditLogContract):
    pass


def _app_role(provisioned: ProvisionedDatabase, tenant: TenantId) -> psycopg.Connection[Any]:
    """A connection as the application role, in a transaction of ``tenant``."""
    conn = admin_connection(provisioned.app_url.render_as_string(hide_password=False))
    conn.autocommit = False
    conn.execute("SELECT set_config('app.tenant_id', %s, true)", (str(tenant),))
    return conn


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_logs SET actor = 'someone else'",
        "DELETE FROM audit_logs",
        "TRUNCATE audit_logs",
    ],
)
def test_the_application_role_cannot_change_or_remove_entries(
    postgres_database: PostgresDatabase,
    postgres_test_database: ProvisionedDatabase,
    superuser: psycopg.Connection[Any],
    statement: str,
) -> None:
    tenant = TenantId(new_uuid())
    with postgres_database(tenant) as uow:
        uow.api_keys.add(make_api_key(tenant))
        uow.commit()
    with _app_role(postgres_test_database, tenant) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(statement)
        conn.rollback()
        conn.execute("SELECT set_config('app.tenant_id', %s, true)", (str(tenant),))
        # the negative control: the same role reads and appends
        assert conn.execute("SELECT count(*) FROM audit_logs").fetchone() == (1,)
        conn.execute(
            "INSERT INTO audit_logs (tenant_id, id, action_type, entity_type, entity_id,"
            " created_at) VALUES (%s, gen_random_uuid(), 'create', 'x', 'y', now())",
            (tenant,),
        )
        assert conn.execute("SELECT count(*) FROM audit_logs").fetchone() == (2,)
    with superuser.transaction(force_rollback=True):  # a role with the privilege may
        superuser.execute(statement)
