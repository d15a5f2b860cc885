"""The example HTTP API on the session's embedded PostgreSQL, its payments on localstripe:
each test gets a fresh sample tenant (so tests share the database, never data)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from examples.api.app import create_app
from examples.api.sample import Person, SampleData, seed
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.payments.conftest import (  # noqa: F401 (fixtures)
    localstripe_url,
    stripe_card,
    stripe_client,
    stripe_gateway,
)
from travelcore.kernel import ManualClock
from travelcore_adapters import bootstrap
from travelcore_adapters.postgres.provision import ProvisionedDatabase
from travelcore_adapters.security import AesGcmSecretBox
from travelcore_adapters.stripe import StripeGateway

SECRET_BOX = AesGcmSecretBox({"k1": AesGcmSecretBox.generate_key()}, "k1")


@pytest.fixture
def api_clock() -> ManualClock:
    return ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


@pytest.fixture
def wired(
    postgres_test_database: ProvisionedDatabase,
    api_clock: ManualClock,
    stripe_gateway: StripeGateway,  # noqa: F811
) -> Iterator[bootstrap.App]:
    with bootstrap.postgres(
        postgres_test_database.app_url,
        pool_size=2,
        clock=api_clock,
        gateway=stripe_gateway,
        secret_box=SECRET_BOX,
    ) as app:
        yield app


@pytest.fixture
def api(wired: bootstrap.App) -> FastAPI:
    return create_app(wired)


@pytest.fixture
def client(api: FastAPI) -> Iterator[TestClient]:
    with TestClient(api) as test_client:
        yield test_client


@pytest.fixture
def sample(api: FastAPI) -> SampleData:
    return seed(api.state.services)


def headers(sample: SampleData, person: Person, key: str | None = None) -> dict[str, str]:
    """An API key's headers, with ``Idempotency-Key: key`` when given."""
    found = {"Authorization": f"Bearer {person.api_key}", "X-Tenant-Id": str(sample.tenant_id)}
    if key is not None:
        found["Idempotency-Key"] = key
    return found


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()
