"""Full-text search in memory: documents ranked by how many query words they contain."""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from travelcore.vectors.filters import Filter, matches
from travelcore.vectors.records import (
    QueryMatch,
    check_ascii_name,
    check_document_text,
    check_metadata,
    check_query_text,
    check_top_k,
    rank,
)

_WORD = re.compile(r"\w+")


def words(text: str) -> set[str]:
    return {word.lower() for word in _WORD.findall(text)}


class MemoryTextSearch:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._docs: dict[str, dict[str, tuple[set[str], dict[str, Any]]]] = {}

    def put(self, namespace: str, id: str, text: str, metadata: Mapping[str, Any]) -> None:
        check_ascii_name(namespace, "namespace")
        check_ascii_name(id, "id")
        clean = check_metadata(metadata)
        terms = words(check_document_text(text))
        with self._lock:
            self._docs.setdefault(namespace, {})[id] = (terms, clean)

    def remove(self, namespace: str, ids: Sequence[str]) -> None:
        with self._lock:
            space = self._docs.get(namespace, {})
            for rid in ids:
                space.pop(rid, None)

    def search(
        self, namespace: str, text: str, *, top_k: int = 10, filter: Filter | None = None
    ) -> list[QueryMatch]:
        check_top_k(top_k)
        wanted = words(check_query_text(text))
        with self._lock:
            space = dict(self._docs.get(namespace, {}))
        scored = [
            (rid, len(wanted & terms) / len(wanted))
            for rid, (terms, metadata) in space.items()
            if wanted & terms and matches(filter, metadata)
        ]
        return [
            QueryMatch(rid, score, metadata=dict(space[rid][1]))
            for rid, score in rank(scored, top_k)
        ]
