"""Semantic search with a full-text fallback when the vector store is down."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from travelcore.kernel.errors import VectorStoreUnavailable
from travelcore.vectors.filters import parse_filter
from travelcore.vectors.ports import Embedder, TextSearch, VectorStore
from travelcore.vectors.records import QueryMatch, check_query_text


@attrs.frozen
class SearchResult:
    """``degraded`` is true when the answer came from full-text search, not vectors."""

    matches: tuple[QueryMatch, ...]
    degraded: bool
    error: str | None = None


class SemanticSearch:
    def __init__(self, store: VectorStore, embedder: Embedder, fallback: TextSearch) -> None:
        self._store = store
        self._embedder = embedder
        self._fallback = fallback

    def search(
        self,
        namespace: str,
        text: str,
        *,
        top_k: int = 10,
        filter: Mapping[str, Any] | None = None,
    ) -> SearchResult:
        """Vector search; on ``VectorStoreUnavailable`` full-text search, marked degraded.

        The text and the filter are validated first, so bad input is refused in both modes.
        """
        check_query_text(text)
        node = parse_filter(filter)
        try:
            vector = self._embedder.embed([text])[0]
            matches = self._store.query(
                namespace, vector=vector, top_k=top_k, filter=node, include_metadata=True
            )
        except VectorStoreUnavailable as exc:
            found = self._fallback.search(namespace, text, top_k=top_k, filter=node)
            return SearchResult(tuple(found), degraded=True, error=exc.code)
        return SearchResult(tuple(matches), degraded=False)
