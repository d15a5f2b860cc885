"""The vector store over Pinecone's official SDK (``pinecone`` 10.x, HTTP data plane).

Filters are parsed and validated locally, then rendered with every negation guarded by
``$exists: true`` (identical meaning on Pinecone; needed by Pinecone-API servers where
``$ne`` matches missing fields). Each request is retried a bounded number of times on
transient errors (tenacity) inside a circuit breaker; SDK, HTTP and socket errors become
``VectorStoreUnavailable`` (or ``AccessDenied`` / ``ValidationFailed``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any, TypeVar

from pinecone import Pinecone
from pinecone.errors import ApiError, PineconeError, PineconeTypeError, PineconeValueError
from tenacity import (
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from travelcore.kernel.clock import Clock, SystemClock
from travelcore.kernel.errors import (
    AccessDenied,
    NotFound,
    TravelcoreError,
    ValidationFailed,
    VectorStoreUnavailable,
)
from travelcore.kernel.telemetry import VECTOR_QUERY, span
from travelcore.vectors.filters import parse_delete_filter, parse_filter, to_pinecone
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
    check_top_k,
    check_vector,
    rank,
)
from travelcore_adapters.breaker import CircuitBreaker

T = TypeVar("T")
FETCH_CHUNK = 100
"""Ids per fetch request: the SDK sends them in the URL, which servers cap in length."""


def translate(exc: BaseException) -> TravelcoreError:
    """Map an SDK / transport exception to travelcore's errors."""
    if isinstance(exc, ApiError):
        status = exc.status_code
        if status in (401, 403):
            return AccessDenied(f"vector store refused the credentials ({status})")
        if status in (400, 413, 422):
            return ValidationFailed("request", "refused_by_server", str(exc))
        return VectorStoreUnavailable(f"vector store answered {status}: {exc}")
    if isinstance(exc, PineconeValueError | PineconeTypeError):
        return ValidationFailed("request", "refused_by_client", str(exc))
    return VectorStoreUnavailable(f"vector store unreachable: {exc}")


class PineconeVectorStore:
    """One Pinecone index (fixed ``dimension``, cosine); namespaces separate kinds/tenants."""

    metric = "cosine"

    def __init__(
        self,
        index: Any,
        dimension: int,
        *,
        clock: Clock | None = None,
        attempts: int = 3,
        failure_threshold: int = 5,
        cooldown: timedelta = timedelta(seconds=30),
        timeout: float = 10.0,
    ) -> None:
        self._index = index
        self.dimension = dimension
        self._timeout = timeout
        self._attempts = attempts
        self.breaker = CircuitBreaker(
            clock or SystemClock(),
            failure_threshold=failure_threshold,
            cooldown=cooldown,
            counts=(VectorStoreUnavailable,),
            error=VectorStoreUnavailable,
        )

    @classmethod
    def connect(
        cls, api_key: str, host: str, dimension: int, **options: Any
    ) -> PineconeVectorStore:
        """An adapter for the index at ``host``; the SDK's own retries are switched off."""
        client = Pinecone(api_key=api_key, timeout=options.get("timeout", 10.0))
        return cls(_without_sdk_retries(client.Index(host=host)), dimension, **options)

    def _call(self, action: Callable[[], T]) -> T:
        def attempt() -> T:
            try:
                return action()
            except (PineconeError, OSError) as exc:
                raise translate(exc) from exc

        def retried() -> T:
            retrying = Retrying(
                stop=stop_after_attempt(self._attempts),
                wait=wait_exponential(multiplier=0.05, max=1.0),
                retry=retry_if_exception_type(VectorStoreUnavailable),
                reraise=True,
            )
            return retrying(attempt)

        return self.breaker.call(retried)

    # ---- writes ----------------------------------------------------------------------

    def upsert(self, namespace: str, records: Sequence[VectorRecord]) -> UpsertResult:
        check_ascii_name(namespace, "namespace")
        check_batch(records, self.dimension)
        items: list[UpsertItem] = []
        requests = 0
        for batch in batches(records):
            requests += 1
            payload = [_wire(record) for record in batch]
            try:
                self._call(
                    lambda payload=payload: self._index.upsert(  # type: ignore[misc]
                        vectors=payload,
                        namespace=namespace,
                        show_progress=False,
                        timeout=self._timeout,
                    )
                )
            except VectorStoreUnavailable as exc:
                items.extend(UpsertItem(r.id, ok=False, error=exc.code) for r in batch)
            else:
                items.extend(UpsertItem(r.id, ok=True) for r in batch)
        return UpsertResult(tuple(items), requests)

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
        if filter is not None:
            rendered = to_pinecone(parse_delete_filter(filter))
            self._call(
                lambda: self._index.delete(
                    filter=rendered, namespace=namespace, timeout=self._timeout
                )
            )
            return
        if prefix is not None:
            ids = self._all_ids(namespace, prefix)
        assert ids is not None
        for start in range(0, len(ids), 1000):
            chunk = list(ids[start : start + 1000])
            self._call(
                lambda chunk=chunk: self._index.delete(  # type: ignore[misc]
                    ids=chunk, namespace=namespace, timeout=self._timeout
                )
            )

    def _all_ids(self, namespace: str, prefix: str) -> list[str]:
        ids: list[str] = []
        token: str | None = None
        while True:
            page = self.list_ids(namespace, prefix=prefix, page_token=token)
            ids.extend(page.ids)
            token = page.next_token
            if token is None:
                return ids

    # ---- reads -----------------------------------------------------------------------

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
        rendered = to_pinecone(parse_filter(filter)) or None
        if (vector is None) == (id is None):
            raise ValidationFailed("query", "vector_or_id", "give exactly one of vector and id")
        if id is not None:
            found = self.fetch(namespace, [id])
            if id not in found.records:
                raise NotFound("vector", id)
            vector = found.records[id].values
        assert vector is not None
        check_vector(vector, self.dimension, "vector")
        target = [float(v) for v in vector]
        with span(VECTOR_QUERY, {"travelcore.vector.store": "pinecone", "top_k": top_k}):
            response = self._call(
                lambda: self._index.query(
                    vector=target,
                    top_k=top_k,
                    namespace=namespace,
                    filter=rendered,
                    include_values=include_values,
                    include_metadata=include_metadata,
                    timeout=self._timeout,
                )
            )
        by_id = {match.id: match for match in response.matches}
        ranked = rank([(m.id, float(m.score)) for m in response.matches], top_k)
        return [
            QueryMatch(
                id=rid,
                score=score,
                values=tuple(by_id[rid].values) if include_values else None,
                metadata=dict(by_id[rid].metadata or {}) if include_metadata else None,
            )
            for rid, score in ranked
        ]

    def fetch(self, namespace: str, ids: Sequence[str]) -> FetchResult:
        check_ascii_name(namespace, "namespace")
        wanted = check_fetch_ids(ids)
        if not wanted:
            return FetchResult({}, ())
        records: dict[str, VectorRecord] = {}
        for start in range(0, len(wanted), FETCH_CHUNK):
            chunk = wanted[start : start + FETCH_CHUNK]
            response = self._call(
                lambda chunk=chunk: self._index.fetch(  # type: ignore[misc]
                    ids=chunk, namespace=namespace, timeout=self._timeout
                )
            )
            for rid, vec in response.vectors.items():
                records[rid] = VectorRecord(rid, tuple(vec.values), dict(vec.metadata or {}))
        return FetchResult(records, tuple(rid for rid in wanted if rid not in records))

    def list_ids(
        self, namespace: str, *, prefix: str = "", limit: int = 100, page_token: str | None = None
    ) -> IdPage:
        check_ascii_name(namespace, "namespace")
        check_list_limit(limit)
        response = self._call(
            lambda: self._index.list_paginated(
                prefix=prefix or None,
                limit=limit,
                pagination_token=page_token,
                namespace=namespace,
                timeout=self._timeout,
            )
        )
        ids = tuple(item.id for item in response.vectors)
        token = response.pagination.next if response.pagination and ids else None
        return IdPage(ids, token or None)

    def stats(self) -> Stats:
        response = self._call(lambda: self._index.describe_index_stats(timeout=self._timeout))
        counts = {
            name: int(summary.vector_count)
            for name, summary in (response.namespaces or {}).items()
            if summary.vector_count
        }
        return Stats(int(response.dimension or self.dimension), self.metric, counts)


def _without_sdk_retries(index: Any) -> Any:
    """The SDK 10.x data-plane client retries connection errors 3 times on its own and
    ignores ``Pinecone(retry_config=...)``; rebuild its HTTP client without retries so the
    adapter's bounded retry and circuit breaker are the only policy. If the SDK's internals
    differ (another version), its own retries stay on."""
    try:
        from pinecone._internal.config import RetryConfig
        from pinecone._internal.constants import DATA_PLANE_API_VERSION
        from pinecone._internal.http_client import HTTPClient

        config = replace(index._config, retry_config=RetryConfig(max_retries=0))
        index._http = HTTPClient(config, DATA_PLANE_API_VERSION)
    except (ImportError, AttributeError, TypeError):  # pragma: no cover - other SDK layout
        pass
    return index


def _wire(record: VectorRecord) -> dict[str, Any]:
    body: dict[str, Any] = {"id": record.id, "values": list(record.values)}
    if record.metadata:
        body["metadata"] = record.metadata
    return body
