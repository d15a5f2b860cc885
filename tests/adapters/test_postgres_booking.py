"""The catalog, people, booking and waitlist contract suites on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text, update

from travelcore.kernel import AccessDenied, CapacityExceeded, EventBus, TenantId, new_uuid
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
from travelcore.testing.booking import add_session
from travelcore_adapters.postgres import PostgresDatabase, PostgresUnitOfWork
from travelcore_adapters.postgres.tables.catalog import activity_sessions


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


def test_seat_check_constraint_backs_up_the_model(postgres_database: PostgresDatabase) -> None:
    """Raw SQL past the repository still cannot overbook: the CHECK constraint refuses it
    and the adapter reports ``CapacityExceeded``."""
    tenant = TenantId(new_uuid())
    with postgres_database(tenant) as uow:
        session = add_session(uow)
        uow.commit()
    with postgres_database(tenant) as uow, pytest.raises(CapacityExceeded):
        uow.execute(
            update(activity_sessions)
            .where(activity_sessions.c.id == session.id)
            .values(booked_count=activity_sessions.c.total_capacity + 1)
        )


@pytest.mark.parametrize(
    "table", ["corporates", "users", "venues", "activities", "bookings", "waitlist"]
)  # a child's profile is deleted by its erasure (travelcore.retention)
def test_the_app_role_cannot_delete(postgres_database: PostgresDatabase, table: str) -> None:
    with postgres_database(TenantId(new_uuid())) as uow, pytest.raises(AccessDenied):
        uow.execute(text(f"DELETE FROM {table}"))
