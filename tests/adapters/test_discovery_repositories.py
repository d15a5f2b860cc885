"""Discovery's repository contracts (reviews, feedback, suggestions, favourites, user
memory) on memory and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from travelcore.kernel import EventBus, TenantId
from travelcore.testing import (
    FavouriteRepositoryContract,
    FeedbackRepositoryContract,
    MemoryEntryRepositoryContract,
    ReviewRepositoryContract,
    SuggestionRepositoryContract,
)
from travelcore_adapters.memory import MemoryStore, MemoryUnitOfWork
from travelcore_adapters.postgres import PostgresDatabase, PostgresUnitOfWork


@pytest.fixture(params=["memory", "postgres"])
def uow_factory(request: pytest.FixtureRequest) -> Callable[..., Any]:
    if request.param == "memory":
        store = MemoryStore()

        def memory(tenant_id: TenantId, bus: EventBus | None = None) -> MemoryUnitOfWork:
            return MemoryUnitOfWork(store, tenant_id, bus)

        return memory
    database: PostgresDatabase = request.getfixturevalue("postgres_database")

    def postgres(tenant_id: TenantId, bus: EventBus | None = None) -> PostgresUnitOfWork:
        return PostgresUnitOfWork(database.engine, tenant_id, bus)

    return postgres


class TestReviewRepository(ReviewRepositoryContract):
    pass


class TestFeedbackRepository(FeedbackRepositoryContract):
    pass


class TestSuggestionRepository(SuggestionRepositoryContract):
    pass


class TestFavouriteRepository(FavouriteRepositoryContract):
    pass


class TestMemoryEntryRepository(MemoryEntryRepositoryContract):
    pass
