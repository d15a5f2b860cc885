"""Natural-language search on the memory adapters."""

from __future__ import annotations

import pytest

from tests.discovery.search_contract import SearchContract
from tests.discovery.search_world import SearchWorld
from travelcore.kernel import ManualClock
from travelcore_adapters.memory import MemoryDatabase


@pytest.fixture
def world(clock: ManualClock) -> SearchWorld:
    return SearchWorld(MemoryDatabase(), clock)


class TestMemorySearch(SearchContract):
    pass
