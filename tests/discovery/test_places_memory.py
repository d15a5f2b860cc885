"""The discovery repositories on the memory adapters."""

from __future__ import annotations

import pytest

from travelcore.testing import PlacesContract, SearchLogRepositoryContract
from travelcore_adapters.memory import MemoryDatabase


@pytest.fixture
def uow_factory() -> MemoryDatabase:
    return MemoryDatabase()


class TestMemoryPlaces(PlacesContract):
    pass


class TestMemorySearchLogs(SearchLogRepositoryContract):
    pass
