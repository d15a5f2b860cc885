"""The PostgreSQL adapter: SQLAlchemy 2 Core over psycopg 3, Alembic migrations and
row-level security per tenant. See ``docs/postgres.md``."""

from travelcore_adapters.postgres.database import PostgresDatabase, create_pg_engine, psycopg_url
from travelcore_adapters.postgres.errors import (
    ConnectionLost,
    StatementTimedOut,
    register_constraint,
    retry_transient,
    translate,
)
from travelcore_adapters.postgres.migrate import DEFAULT_APP_ROLE, downgrade, upgrade
from travelcore_adapters.postgres.provision import (
    ProvisionedDatabase,
    embedded_server,
    provision_database,
)
from travelcore_adapters.postgres.uow import PostgresUnitOfWork, TransactionAborted
from travelcore_adapters.postgres.wire import StatementPath

__all__ = [
    "DEFAULT_APP_ROLE",
    "ConnectionLost",
    "PostgresDatabase",
    "PostgresUnitOfWork",
    "ProvisionedDatabase",
    "StatementPath",
    "StatementTimedOut",
    "TransactionAborted",
    "create_pg_engine",
    "downgrade",
    "embedded_server",
    "provision_database",
    "psycopg_url",
    "register_constraint",
    "retry_transient",
    "translate",
    "upgrade",
]
