"""The shared contract suites, run against the memory adapter."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from travelcore.kernel import EventBus, TenantId, new_uuid
from travelcore.testing import (
    ActivityRepositoryContract,
    BookingRepositoryContract,
    ChildRepositoryContract,
    CorporateRepositoryContract,
    LedgerRepositoryContract,
    ScheduleRepositoryContract,
    SessionRepositoryContract,
    SubscriptionRepositoryContract,
    UnitOfWorkContract,
    UserRepositoryContract,
    VenueRepositoryContract,
    WaitlistRepositoryContract,
)
from travelcore_adapters.memory import MemoryDatabase, MemoryStore, MemoryUnitOfWork


@pytest.fixture
def memory_store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def uow_factory(memory_store: MemoryStore) -> Callable[..., Any]:
    def make(tenant_id: TenantId, bus: EventBus | None = None) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(memory_store, tenant_id, bus)

    return make


class TestMemoryUnitOfWork(UnitOfWorkContract):
    pass


class TestMemoryLedgerRepository(LedgerRepositoryContract):
    pass


class TestMemorySubscriptionRepository(SubscriptionRepositoryContract):
    pass


def test_database_hands_out_units_of_work_for_a_tenant() -> None:
    database = MemoryDatabase()
    tenant = TenantId(new_uuid())
    with database(tenant) as uow:
        assert uow.tenant_id == tenant


class TestMemoryCorporates(CorporateRepositoryContract):
    pass


class TestMemoryUsers(UserRepositoryContract):
    pass


class TestMemoryChildren(ChildRepositoryContract):
    pass


class TestMemoryVenues(VenueRepositoryContract):
    pass


class TestMemoryActivities(ActivityRepositoryContract):
    pass


class TestMemorySessions(SessionRepositoryContract):
    pass


class TestMemorySchedules(ScheduleRepositoryContract):
    pass


class TestMemoryBookings(BookingRepositoryContract):
    pass


class TestMemoryWaitlist(WaitlistRepositoryContract):
    pass
