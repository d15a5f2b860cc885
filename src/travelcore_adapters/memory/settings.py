"""The memory platform settings repository (one record per tenant)."""

from __future__ import annotations

from collections.abc import Hashable

from travelcore.settings import PlatformSettings
from travelcore_adapters.memory.repository import MemoryRepository


class MemoryPlatformSettings(MemoryRepository[PlatformSettings]):
    table, entity = "platform_settings", "platform_settings"

    def key_of(self, entity: PlatformSettings) -> Hashable:
        return ()

    def get(self, key: object = ()) -> PlatformSettings:
        return super().get(())

    def get_for_update(self, key: object = ()) -> PlatformSettings:
        return super().get_for_update(())
