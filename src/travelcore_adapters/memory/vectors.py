"""Exact-search vector store in memory: the reference every other adapter must agree with."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import attrs

from travelcore.kernel.errors import NotFound, ValidationFailed
from travelcore.vectors.filters import matches, parse_delete_filter, parse_filter
from travelcore.vectors.ports import FilterInput
from travelcore.vectors.records import (
    FetchResult,
    IdPage,
    QueryMatch,
    Stats,
    UpsertItem,
    UpsertResult,
    VectorRecord,
    batches,
    check_ascii_name,
    check_batch,
    check_delete_selector,
    check_fetch_ids,
    check_list_limit,
    check_list_page,
    check_top_k,
    check_vector,
    cosine,
    rank,
)


class MemoryVectorStore:
    """Brute-force cosine search over dicts, one lock around every operation."""

    metric = "cosine"

    def __init__(self, dimension: int) -> None:
        self.dimension = dimension
        self._lock = threading.Lock()
        self._namespaces: dict[str, dict[str, VectorRecord]] = {}

    def upsert(self, namespace: str, records: Sequence[VectorRecord]) -> UpsertResult:
        check_ascii_name(namespace, "namespace")
        check_batch(records, self.dimension)
        requests = 0
        with self._lock:
            space = self._namespaces.setdefault(namespace, {})
            for batch in batches(records):
                requests += 1
                for record in batch:
                    space[record.id] = _copy(record)
        return UpsertResult(tuple(UpsertItem(r.id, ok=True) for r in records), requests)

    def query(
        self,
        namespace: str,
        *,
        vector: Sequence[float] | None = None,
        id: str | None = None,
        top_k: int = 10,
        filter: FilterInput = None,
        include_values: bool = False,
        include_metadata: bool = False,
    ) -> list[QueryMatch]:
        check_ascii_name(namespace, "namespace")
        check_top_k(top_k)
        node = parse_filter(filter)
        if (vector is None) == (id is None):
            raise ValidationFailed("query", "vector_or_id", "give exactly one of vector and id")
        with self._lock:
            space = dict(self._namespaces.get(namespace, {}))
        if id is not None:
            check_ascii_name(id, "id")
            if id not in space:
                raise NotFound("vector", id)
            target: Sequence[float] = space[id].values
        else:
            assert vector is not None
            check_vector(vector, self.dimension, "vector")
            target = vector
        scored = [
            (record.id, cosine(target, record.values))
            for record in space.values()
            if matches(node, record.metadata)
        ]
        return [
            QueryMatch(
                id=rid,
                score=score,
                values=space[rid].values if include_values else None,
                metadata=_copy(space[rid]).metadata if include_metadata else None,
            )
            for rid, score in rank(scored, top_k)
        ]

    def fetch(self, namespace: str, ids: Sequence[str]) -> FetchResult:
        check_ascii_name(namespace, "namespace")
        ids = check_fetch_ids(ids)
        with self._lock:
            space = self._namespaces.get(namespace, {})
            found = {rid: _copy(space[rid]) for rid in ids if rid in space}
        return FetchResult(found, tuple(rid for rid in ids if rid not in found))

    def delete(
        self,
        namespace: str,
        *,
        ids: Sequence[str] | None = None,
        filter: FilterInput = None,
        prefix: str | None = None,
    ) -> None:
        check_ascii_name(namespace, "namespace")
        check_delete_selector(ids, filter, prefix)
        node = parse_delete_filter(filter) if filter is not None else None
        with self._lock:
            space = self._namespaces.get(namespace, {})
            if ids is not None:
                doomed = [rid for rid in dict.fromkeys(ids) if rid in space]
            elif prefix is not None:
                doomed = [rid for rid in space if rid.startswith(prefix)]
            else:
                doomed = [rid for rid, rec in space.items() if matches(node, rec.metadata)]
            for rid in doomed:
                del space[rid]
            if not space:
                self._namespaces.pop(namespace, None)

    def list_ids(
        self, namespace: str, *, prefix: str = "", limit: int = 100, page_token: str | None = None
    ) -> IdPage:
        check_ascii_name(namespace, "namespace")
        check_list_limit(limit)
        check_list_page(prefix, page_token)
        with self._lock:
            ids = sorted(
                rid for rid in self._namespaces.get(namespace, {}) if rid.startswith(prefix)
            )
        if page_token is not None:
            ids = [rid for rid in ids if rid > page_token]
        page = ids[:limit]
        return IdPage(tuple(page), page[-1] if len(ids) > limit else None)

    def stats(self) -> Stats:
        with self._lock:
            counts = {ns: len(space) for ns, space in self._namespaces.items() if space}
        return Stats(self.dimension, self.metric, counts)


def _copy(record: VectorRecord) -> VectorRecord:
    """A record owning fresh metadata containers (the converter copies dicts and lists)."""
    return attrs.evolve(record, metadata=record.metadata)
