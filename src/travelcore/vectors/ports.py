"""Ports of the vectors context: the vector store, the embedder, full-text search and the
sync-state repository."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from travelcore.kernel.uow import UnitOfWork
from travelcore.vectors.filters import Filter
from travelcore.vectors.records import (
    FetchResult,
    IdPage,
    QueryMatch,
    Stats,
    UpsertResult,
    VectorRecord,
)
from travelcore.vectors.sync_model import VectorSyncState

FilterInput = Mapping[str, Any] | Filter | None


class VectorStore(Protocol):
    """A cosine-similarity vector store with Pinecone's metadata filter language.

    Every adapter returns the same ids in the same order for the same data and filter.
    Invalid input raises ``ValidationFailed`` (filters: ``InvalidFilter``) before anything is
    sent; an unreachable back end raises ``VectorStoreUnavailable``.
    """

    dimension: int

    def upsert(self, namespace: str, records: Sequence[VectorRecord]) -> UpsertResult:
        """Insert or replace, in requests of <= 1,000 records and < 2 MB; per-item results."""
        ...

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
        """The ``top_k`` most similar records (by ``vector`` or by a stored record's ``id``),
        highest cosine similarity first, ties by id."""
        ...

    def fetch(self, namespace: str, ids: Sequence[str]) -> FetchResult: ...

    def delete(
        self,
        namespace: str,
        *,
        ids: Sequence[str] | None = None,
        filter: FilterInput = None,
        prefix: str | None = None,
    ) -> None:
        """Delete by ids, by a non-empty filter, or by id prefix (exactly one of them)."""
        ...

    def list_ids(
        self, namespace: str, *, prefix: str = "", limit: int = 100, page_token: str | None = None
    ) -> IdPage: ...

    def stats(self) -> Stats: ...


class Embedder(Protocol):
    """Turns text into a vector; ``model`` and ``version`` travel with every vector."""

    model: str
    version: str
    dimension: int

    def embed(self, texts: Sequence[str]) -> list[tuple[float, ...]]: ...


class TextSearch(Protocol):
    """Full-text search over the documents that also have vectors (the degraded path).

    ``score`` of a match is the back end's text rank (higher is better); filters have the
    same semantics as in the vector store."""

    def put(self, namespace: str, id: str, text: str, metadata: Mapping[str, Any]) -> None: ...

    def remove(self, namespace: str, ids: Sequence[str]) -> None: ...

    def search(
        self, namespace: str, text: str, *, top_k: int = 10, filter: Filter | None = None
    ) -> list[QueryMatch]: ...


class VectorSyncRepository(Protocol):
    """Per source entity: the content hash and model version last embedded."""

    def get(self, namespace: str, source_id: str) -> VectorSyncState | None: ...

    def save(self, state: VectorSyncState) -> None: ...

    def remove(self, namespace: str, source_id: str) -> None: ...

    def pending(self, namespace: str) -> list[VectorSyncState]:
        """States that are not in sync (changed, failed, or deleted at the source)."""
        ...


class VectorsUnitOfWork(UnitOfWork, Protocol):
    @property
    def vector_sync(self) -> VectorSyncRepository: ...
