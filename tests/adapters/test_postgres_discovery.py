"""Discovery on PostgreSQL: the shared contracts, natural-language search end to end, and
the rating aggregate under concurrent reviews."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.discovery.search_contract import SearchContract
from tests.discovery.search_world import SearchWorld
from travelcore.discovery.scoring import RepositoryMetricsReader
from travelcore.kernel import EventBus, ManualClock, TenantId
from travelcore.testing import (
    FeedbackContract,
    PersonalContract,
    PlacesContract,
    SearchLogRepositoryContract,
    VenueScoringContract,
    personal,
)
from travelcore.testing.feedback import DIMENSION
from travelcore_adapters.memory.vectors import MemoryVectorStore
from travelcore_adapters.postgres import PostgresDatabase, PostgresUnitOfWork


@pytest.fixture
def uow_factory(postgres_database: PostgresDatabase) -> Callable[..., Any]:
    def make(tenant_id: TenantId, bus: EventBus | None = None) -> PostgresUnitOfWork:
        return PostgresUnitOfWork(postgres_database.engine, tenant_id, bus)

    return make


@pytest.fixture
def vectors() -> MemoryVectorStore:
    return MemoryVectorStore(DIMENSION)


class TestPostgresPlaces(PlacesContract):
    pass


class TestPostgresSearchLogs(SearchLogRepositoryContract):
    pass


class TestPostgresFeedback(FeedbackContract):
    pass


class TestPostgresPersonal(PersonalContract):
    @pytest.fixture
    def vectors(self) -> MemoryVectorStore:
        return MemoryVectorStore(personal.DIMENSION)


class TestPostgresVenueScoringThroughRepositories(VenueScoringContract):
    @pytest.fixture
    def reader(self, uow_factory: Callable[..., Any]) -> RepositoryMetricsReader:
        return RepositoryMetricsReader(uow_factory)


class TestPostgresSearch(SearchContract):
    @pytest.fixture
    def world(self, uow_factory: Callable[..., Any], clock: ManualClock) -> SearchWorld:
        return SearchWorld(uow_factory, clock)
