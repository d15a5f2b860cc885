"""The memory API key repository."""

from __future__ import annotations

from travelcore.apikeys import ApiKey
from travelcore_adapters.memory.repository import MemoryRepository


class MemoryApiKeys(MemoryRepository[ApiKey]):
    table, entity = "api_keys", "api_key"

    def find_by_prefix(self, prefix: str) -> ApiKey | None:
        return self._first(lambda key: key.prefix == prefix)

    def _check_unique(self, entity: ApiKey) -> None:
        self._clash(entity, lambda row: row.prefix == entity.prefix, "prefix")
