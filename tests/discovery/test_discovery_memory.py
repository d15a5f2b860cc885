"""The discovery repositories on the memory adapters."""

from __future__ import annotations

import pytest

from travelcore.testing import (
    FeedbackContract,
    PersonalContract,
    PlacesContract,
    SearchLogRepositoryContract,
    personal,
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
