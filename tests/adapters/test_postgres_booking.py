"""The catalog, people, booking and waitlist contract suites on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from travelcore.kernel import EventBus, TenantId
from travelcore.testing import (
    ActivityRepositoryContract,
    BookingRepositoryContract,
    ChildRepositoryContract,
    CorporateRepositoryContract,
    ScheduleRepositoryContract,
    SessionRepositoryContract,
    UserRepositoryContract,
    VenueRepositoryContract,
    WaitlistRepositoryContract,
)
from travelcore_adapters.postgres import PostgresDatabase, PostgresUnitOfWork


@pytest.fixture
def uow_factory(postgres_database: PostgresDatabase) -> Callable[..., Any]:
    def make(tenant_id: TenantId, bus: EventBus | None = None) -> PostgresUnitOfWork:
        return PostgresUnitOfWork(postgres_database.engine, tenant_id, bus)

    return make


class TestPostgresCorporates(CorporateRepositoryContract):
    pass


class TestPostgresUsers(UserRepositoryContract):
    pass


class TestPostgresChildren(ChildRepositoryContract):
    pass


class TestPostgresVenues(VenueRepositoryContract):
    pass


class TestPostgresActivities(ActivityRepositoryContract):
    pass


class TestPostgresSessions(SessionRepositoryContract):
    pass


class TestPostgresSchedules(ScheduleRepositoryContract):
    pass


class TestPostgresBookings(BookingRepositoryContract):
    pass


class TestPostgresWaitlist(WaitlistRepositoryContract):
    pass
