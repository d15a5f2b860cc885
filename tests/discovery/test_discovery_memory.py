"""The discovery repositories on the memory adapters."""

from __future__ import annotations

import pytest

from travelcore.discovery.scoring import RepositoryMetricsReader
from travelcore.discovery.search import CatalogActivityReader
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
from travelcore_adapters.memory import MemoryDatabase
from travelcore_adapters.memory.vectors import MemoryVectorStore


@pytest.fixture
def uow_factory() -> MemoryDatabase:
    return MemoryDatabase()


@pytest.fixture
def vectors() -> MemoryVectorStore:
    return MemoryVectorStore(DIMENSION)


class TestMemoryPersonal(PersonalContract):
    @pytest.fixture
    def vectors(self) -> MemoryVectorStore:
        return MemoryVectorStore(personal.DIMENSION)


class TestMemoryPlaces(PlacesContract):
    pass


class TestMemorySearchLogs(SearchLogRepositoryContract):
    pass


class TestMemoryFeedback(FeedbackContract):
    pass


class TestMemoryModeration(ModerationContract):
    pass


class TestMemoryVenueScoring(VenueScoringContract):
    @pytest.fixture
    def reader(self, uow_factory: MemoryDatabase) -> RepositoryMetricsReader:
        return RepositoryMetricsReader(uow_factory)


class TestMemorySuggestions(SuggestionsContract):
    @pytest.fixture
    def vectors(self) -> MemoryVectorStore:
        return MemoryVectorStore(suggestions.DIMENSION)


class TestMemoryFavouriteRepository(FavouriteRepositoryContract):
    pass


class TestMemoryFeedbackRepository(FeedbackRepositoryContract):
    pass


class TestMemoryMemoryEntryRepository(MemoryEntryRepositoryContract):
    pass


class TestMemoryReviewRepository(ReviewRepositoryContract):
    pass


class TestMemorySuggestionRepository(SuggestionRepositoryContract):
    pass


class TestMemoryActivityReader(ActivityReaderContract):
    @pytest.fixture
    def reader(self) -> type[CatalogActivityReader]:
        return CatalogActivityReader
