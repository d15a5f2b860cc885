"""The PostgreSQL adapter: SQLAlchemy 2 Core over psycopg 3, Alembic migrations and
row-level security per tenant. See ``docs/postgres.md``."""

from travelcore_adapters.postgres.database import PostgresDatabase, create_pg_engine, psycopg_url
from travelcore_adapters.postgres.errors import (
    ConnectionLost,
    register_constraint,
    retry_transient,
    translate,
)
from travelcore_adapters.postgres.migrate import DEFAULT_APP_ROLE, downgrade, upgrade
from travelcore_adapters.postgres.uow import PostgresUnitOfWork, TransactionAborted

__all__ = [
    "DEFAULT_APP_ROLE",
    "ConnectionLost",
    "PostgresDatabase",
    "PostgresUnitOfWork",
    "TransactionAborted",
    "create_pg_engine",
    "downgrade",
    "psycopg_url",
    "register_constraint",
    "retry_transient",
    "translate",
    "upgrade",
]
