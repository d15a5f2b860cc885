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
from travelcore_adapters.postgres.uow import PostgresUnitOfWork, TransactionAborted
from travelcore_adapters.postgres.wire import StatementPath

__all__ = [
    "DEFAULT_APP_ROLE",
    "ConnectionLost",
    "PostgresDatabase",
    "PostgresUnitOfWork",
    "StatementPath",
    "StatementTimedOut",
    "TransactionAborted",
    "create_pg_engine",
    "downgrade",
    "psycopg_url",
    "register_constraint",
    "retry_transient",
    "translate",
    "upgrade",
]
