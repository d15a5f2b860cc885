"""The memory adapter's storage: named tables in one process, one writer at a time.

A transaction holds the store's lock from begin to end (so memory transactions are
serializable), reads through its own staged writes, hands out copies so callers never
touch stored objects, and applies its writes only on commit.
"""

from __future__ import annotations

import copy
import threading
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterator
from typing import Any

_DELETED = object()


class MemoryStore:
    """All tables of one in-memory database."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.tables: defaultdict[str, dict[Hashable, Any]] = defaultdict(dict)


class MemoryTransaction:
    """Staged writes over a :class:`MemoryStore`; the caller holds the store's lock."""

    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self._staged: defaultdict[str, dict[Hashable, Any]] = defaultdict(dict)

    def get(self, table: str, key: Hashable) -> Any | None:
        staged = self._staged[table]
        value = staged[key] if key in staged else self._store.tables[table].get(key)
        return None if value is None or value is _DELETED else copy.deepcopy(value)

    def contains(self, table: str, key: Hashable) -> bool:
        staged = self._staged[table]
        if key in staged:
            return staged[key] is not _DELETED
        return key in self._store.tables[table]

    def put(self, table: str, key: Hashable, value: Any) -> None:
        self._staged[table][key] = copy.deepcopy(value)

    def delete(self, table: str, key: Hashable) -> None:
        self._staged[table][key] = _DELETED

    def scan(
        self, table: str, where: Callable[[Hashable, Any], bool] | None = None
    ) -> Iterator[tuple[Hashable, Any]]:
        """Rows of ``table`` (committed, overlaid with staged writes), copied."""
        staged = self._staged[table]
        merged = {**self._store.tables[table], **staged}
        for key, value in merged.items():
            if value is _DELETED:
                continue
            if where is None or where(key, value):
                yield key, copy.deepcopy(value)

    def apply(self) -> None:
        for table, rows in self._staged.items():
            target = self._store.tables[table]
            for key, value in rows.items():
                if value is _DELETED:
                    target.pop(key, None)
                else:
                    target[key] = value
        self._staged.clear()
