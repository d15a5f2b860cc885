"""Alembic migrations: empty -> head -> base -> head, and head matches the table modules."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from travelcore_adapters.postgres import downgrade, psycopg_url, upgrade
from travelcore_adapters.postgres.migrate import main
from travelcore_adapters.postgres.provision import ProvisionedDatabase, provision_database
from travelcore_adapters.postgres.tables import metadata


def _tables(url: object) -> set[str]:
    engine = create_engine(psycopg_url(str(url)))
    try:
        with engine.connect() as conn:
            return set(inspect(conn).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_to_head_and_back_to_base(postgres_superuser_url: str) -> None:
    db = provision_database(postgres_superuser_url, migrate=False)
    url = db.owner_url.render_as_string(hide_password=False)
    assert _tables(url) == set()
    upgrade(url, app_role=db.app_role)
    assert set(metadata.tables) | {"alembic_version"} == _tables(url)
    downgrade(url, app_role=db.app_role)
    assert _tables(url) == {"alembic_version"}
    upgrade(url, app_role=db.app_role)
    assert set(metadata.tables) <= _tables(url)


def test_head_matches_the_table_modules(postgres_superuser_url: str) -> None:
    db = provision_database(postgres_superuser_url)
    engine = create_engine(psycopg_url(db.owner_url))
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_migration_command_line(postgres_test_database: ProvisionedDatabase) -> None:
    url = postgres_test_database.owner_url.render_as_string(hide_password=False)
    main(["--url", url, "--app-role", postgres_test_database.app_role, "upgrade", "head"])
