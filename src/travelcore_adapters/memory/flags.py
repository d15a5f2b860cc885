"""The memory feature-flag repository."""

from __future__ import annotations

from collections.abc import Hashable

from travelcore.flags import FeatureFlag
from travelcore_adapters.memory.repository import MemoryRepository


class MemoryFeatureFlags(MemoryRepository[FeatureFlag]):
    table, entity = "feature_flags", "feature_flag"

    def key_of(self, entity: FeatureFlag) -> Hashable:
        return entity.key

    def all(self) -> list[FeatureFlag]:
        return sorted(self._rows(), key=lambda flag: flag.key)
