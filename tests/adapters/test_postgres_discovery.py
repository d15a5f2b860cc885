"""Discovery on PostgreSQL: the shared contracts, natural-language search end to end, and
the rating aggregate under concurrent reviews."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import text

from tests.discovery.search_contract import SearchContract
from tests.discovery.search_world import SearchWorld
from travelcore.catalog import ActivityId
from travelcore.discovery.scoring import RepositoryMetricsReader
from travelcore.discovery.search import CatalogActivityReader
from travelcore.kernel import EventBus, ManualClock, TenantId, new_uuid
from travelcore.testing import (
    ActivityReaderContract,
    FavouriteRepositoryContract,
    FeedbackContract,
    FeedbackRepositoryContract,
    MemoryEntryRepositoryContract,
    ModerationContract,
    PersonalContract,
    PlacesContract,
    ReviewRepositoryContract,
    SearchLogRepositoryContract,
    SuggestionRepositoryContract,
    SuggestionsContract,
    VenueScoringContract,
    personal,
    suggestions,
)
from travelcore.testing.feedback import DIMENSION
from travelcore_adapters.memory.vectors import MemoryVectorStore
from travelcore_adapters.postgres import PostgresDatabase, PostgresUnitOfWork
from travelcore_adapters.postgres.activity_reader import PostgresActivityReader
from travelcore_adapters.postgres.venue_metrics import PostgresVenueMetrics


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


class TestPostgresModeration(ModerationContract):
    pass


class TestPostgresPersonal(PersonalContract):
    @pytest.fixture
    def vectors(self) -> MemoryVectorStore:
        return MemoryVectorStore(personal.DIMENSION)


class TestPostgresVenueScoringThroughRepositories(VenueScoringContract):
    @pytest.fixture
    def reader(self, uow_factory: Callable[..., Any]) -> RepositoryMetricsReader:
        return RepositoryMetricsReader(uow_factory)


class TestPostgresSuggestions(SuggestionsContract):
    @pytest.fixture
    def vectors(self) -> MemoryVectorStore:
        return MemoryVectorStore(suggestions.DIMENSION)


class TestPostgresSearch(SearchContract):
    @pytest.fixture
    def world(self, uow_factory: Callable[..., Any], clock: ManualClock) -> SearchWorld:
        return SearchWorld(uow_factory, clock)


class TestPostgresVenueScoringInOneStatement(VenueScoringContract):
    @pytest.fixture
    def reader(self, uow_factory: Callable[..., Any]) -> PostgresVenueMetrics:
        return PostgresVenueMetrics(uow_factory)


class TestPostgresFavouriteRepository(FavouriteRepositoryContract):
    pass


class TestPostgresFeedbackRepository(FeedbackRepositoryContract):
    pass


class TestPostgresMemoryEntryRepository(MemoryEntryRepositoryContract):
    pass


class TestPostgresReviewRepository(ReviewRepositoryContract):
    pass


class TestPostgresSuggestionRepository(SuggestionRepositoryContract):
    pass


class TestPostgresActivityReaderThroughRepositories(ActivityReaderContract):
    @pytest.fixture
    def reader(self) -> type[CatalogActivityReader]:
        return CatalogActivityReader


class TestPostgresActivityReaderInOneStatement(ActivityReaderContract):
    @pytest.fixture
    def reader(self) -> type[PostgresActivityReader]:
        return PostgresActivityReader


def _race(
    uow_factory: Callable[..., Any], tenant: TenantId, write: Callable[[Any, int], None]
) -> None:
    """Two transactions that both read the aggregate before either writes."""
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def review() -> None:
        try:
            with uow_factory(tenant) as uow:
                seen = uow.activity_ratings.get(ACTIVITY).total_reviews
                barrier.wait(timeout=10)
                write(uow, seen)
                uow.commit()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=review) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


ACTIVITY = ActivityId(UUID(int=7))


def test_the_rating_aggregate_survives_the_race_that_read_then_write_loses(
    uow_factory: Callable[..., Any],
) -> None:
    naive_tenant, tenant = TenantId(new_uuid()), TenantId(new_uuid())

    def read_then_write(uow: Any, seen: int) -> None:
        uow.execute(
            text(
                "INSERT INTO activity_ratings (tenant_id, activity_id, total_reviews, rating_sum)"
                " VALUES (:tid, :aid, :n, 4 * :n) ON CONFLICT (tenant_id, activity_id)"
                " DO UPDATE SET total_reviews = :n, rating_sum = 4 * :n"
            ),
            {"tid": naive_tenant, "aid": ACTIVITY, "n": seen + 1},
        )

    _race(uow_factory, naive_tenant, read_then_write)
    with uow_factory(naive_tenant) as uow:
        assert uow.activity_ratings.get(ACTIVITY).total_reviews == 1  # a review was lost
    _race(uow_factory, tenant, lambda uow, seen: uow.activity_ratings.add_rating(ACTIVITY, 4))
    with uow_factory(tenant) as uow:
        rating = uow.activity_ratings.get(ACTIVITY)
    assert (rating.total_reviews, rating.rating_sum) == (2, 8)
