"""PostgreSQL fixtures for every suite: a fresh database per test session, migrated by an
owner role, and a ``PostgresDatabase`` connected as an application role that owns nothing
and has neither SUPERUSER nor BYPASSRLS (so row-level security applies to it)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, get_args

import psycopg
import pytest

from travelcore_adapters.postgres import PostgresDatabase, StatementPath
from travelcore_adapters.postgres.provision import (
    ProvisionedDatabase,
    admin_connection,
    provision_database,
)


@pytest.fixture(scope="session")
def postgres_test_database(postgres_superuser_url: str) -> ProvisionedDatabase:
    """One migrated database for the session; tests use fresh tenant ids, so no cleanup."""
    return provision_database(postgres_superuser_url)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test that takes ``statement_path`` (``postgres_database`` does) runs once per
    statement path."""
    if "statement_path" in metafunc.fixturenames:
        paths = get_args(StatementPath)
        metafunc.parametrize("statement_path", paths, indirect=True, scope="session")


@pytest.fixture(scope="session")
def statement_path(request: pytest.FixtureRequest) -> StatementPath:
    """The statement path of the test (the fast one for a fixture asked for by name)."""
    path: StatementPath = getattr(request, "param", "fast")
    return path


@pytest.fixture(scope="session")
def postgres_database(
    postgres_test_database: ProvisionedDatabase, statement_path: StatementPath
) -> Iterator[PostgresDatabase]:
    """A ``PostgresDatabase`` connected as the application role, on ``statement_path``."""
    url = postgres_test_database.app_url
    with PostgresDatabase(url, pool_size=5, statement_path=statement_path) as database:
        yield database


@pytest.fixture
def superuser(postgres_test_database: ProvisionedDatabase) -> Iterator[psycopg.Connection[Any]]:
    """An autocommit superuser connection to the test database (to inspect the catalog or
    change rows behind the adapter's back)."""
    url = postgres_test_database.superuser_url
    with admin_connection(url, postgres_test_database.name) as conn:
        yield conn
