"""Keep the vector store in step with the database (the source of truth).

Per source entity the ``vector_sync`` repository remembers the content hash and embedding
model last written. ``VectorSync.sync`` re-embeds and upserts only documents whose text,
metadata or model changed (or whose last attempt failed); ``VectorSync.delete`` removes an
entity's vectors, remembering the deletion until the store has confirmed it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from travelcore.kernel import Actor, require_tenant
from travelcore.kernel.clock import Clock, checked_clock
from travelcore.kernel.errors import ValidationFailed, VectorStoreUnavailable
from travelcore.kernel.ids import TenantId
from travelcore.vectors import access
from travelcore.vectors.ports import Embedder, TextSearch, VectorStore, VectorsUnitOfWork
from travelcore.vectors.records import (
    VectorRecord,
    check_ascii_name,
    check_document_text,
    namespace_for,
)
from travelcore.vectors.sync_model import VectorSyncState, content_hash

MODEL_KEY = "embedding_model"
VERSION_KEY = "embedding_version"


@attrs.frozen(kw_only=True)
class SourceDocument:
    """What a source entity contributes to the vector store: its id, text and metadata."""

    id: str = attrs.field(validator=lambda _i, _a, value: check_ascii_name(value, "id"))
    text: str = attrs.field(validator=lambda _i, _a, value: check_document_text(value))
    metadata: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class SyncReport:
    embedded: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()


class VectorSync:
    def __init__(
        self,
        uow_factory: Callable[[TenantId], VectorsUnitOfWork],
        clock: Clock,
        *,
        store: VectorStore,
        embedder: Embedder,
        text_search: TextSearch | None = None,
    ) -> None:
        if embedder.dimension != store.dimension:
            raise ValidationFailed("embedder", "dimension", "embedder and store dimensions differ")
        self._uow_factory = uow_factory
        self._store = store
        self._embedder = embedder
        self._clock = checked_clock(clock)
        self._text = text_search

    @property
    def model(self) -> str:
        return f"{self._embedder.model}@{self._embedder.version}"

    def sync(
        self, tenant_id: TenantId, kind: str, documents: Sequence[SourceDocument], *, actor: Actor
    ) -> SyncReport:
        """Embed and upsert what changed; retry pending deletions; record every outcome."""
        require_tenant(actor, tenant_id)
        access.sync(actor)
        namespace = namespace_for(tenant_id, kind)
        deleted, delete_failed = self._retry_deletes(tenant_id, namespace)
        hashes = {doc.id: content_hash(doc.text, doc.metadata) for doc in documents}
        with self._uow_factory(tenant_id) as uow:
            previous = {doc.id: uow.vector_sync.get(namespace, doc.id) for doc in documents}
        changed = [doc for doc in documents if not self._in_sync(previous[doc.id], hashes[doc.id])]
        unchanged = tuple(doc.id for doc in documents if doc not in changed)
        failed, error = self._write(namespace, changed)
        now = self._clock.now()
        with self._uow_factory(tenant_id) as uow:
            for doc in changed:
                before = previous[doc.id]
                ok = doc.id not in failed
                uow.vector_sync.save(
                    VectorSyncState(
                        tenant_id=tenant_id,
                        namespace=namespace,
                        source_id=doc.id,
                        content_hash=hashes[doc.id],
                        model=self.model,
                        status="synced" if ok else "failed",
                        attempts=0 if ok else (before.attempts if before else 0) + 1,
                        last_error=None if ok else error,
                        updated_at=now,
                    )
                )
            uow.commit()
        return SyncReport(
            embedded=tuple(doc.id for doc in changed if doc.id not in failed),
            unchanged=unchanged,
            deleted=deleted,
            failed=tuple(sorted(failed)) + delete_failed,
        )

    def delete(
        self, tenant_id: TenantId, kind: str, source_ids: Sequence[str], *, actor: Actor
    ) -> SyncReport:
        """Forget entities: their vectors are deleted now, or on a later run if the store is
        unavailable (the intent is committed first, so it is never lost)."""
        require_tenant(actor, tenant_id)
        access.sync(actor)
        namespace = namespace_for(tenant_id, kind)
        now = self._clock.now()
        with self._uow_factory(tenant_id) as uow:
            for source_id in source_ids:
                before = uow.vector_sync.get(namespace, source_id)
                uow.vector_sync.save(
                    VectorSyncState(
                        tenant_id=tenant_id,
                        namespace=namespace,
                        source_id=source_id,
                        content_hash=before.content_hash if before else "",
                        model=before.model if before else self.model,
                        status="delete_pending",
                        attempts=before.attempts if before else 0,
                        updated_at=now,
                    )
                )
            uow.commit()
        deleted, failed = self._retry_deletes(tenant_id, namespace)
        return SyncReport(deleted=deleted, failed=failed)

    def _in_sync(self, state: VectorSyncState | None, digest: str) -> bool:
        return (
            state is not None
            and state.status == "synced"
            and state.content_hash == digest
            and state.model == self.model
        )

    def _write(self, namespace: str, docs: Sequence[SourceDocument]) -> tuple[set[str], str | None]:
        if not docs:
            return set(), None
        vectors = self._embedder.embed([doc.text for doc in docs])
        records = [
            VectorRecord(
                doc.id,
                vector,
                {
                    **doc.metadata,
                    MODEL_KEY: self._embedder.model,
                    VERSION_KEY: self._embedder.version,
                },
            )
            for doc, vector in zip(docs, vectors, strict=True)
        ]
        try:
            result = self._store.upsert(namespace, records)
        except VectorStoreUnavailable as exc:
            return {doc.id for doc in docs}, exc.code
        failed = set(result.failed_ids)
        if self._text is not None:
            for doc in docs:
                if doc.id not in failed:
                    self._text.put(namespace, doc.id, doc.text, doc.metadata)
        return failed, "vector_store_unavailable" if failed else None

    def _retry_deletes(
        self, tenant_id: TenantId, namespace: str
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        with self._uow_factory(tenant_id) as uow:
            pending = [
                s for s in uow.vector_sync.pending(namespace) if s.status == "delete_pending"
            ]
        if not pending:
            return (), ()
        ids = [state.source_id for state in pending]
        try:
            for start in range(0, len(ids), 1000):
                self._store.delete(namespace, ids=ids[start : start + 1000])
        except VectorStoreUnavailable as exc:
            with self._uow_factory(tenant_id) as uow:
                for state in pending:
                    uow.vector_sync.save(
                        attrs.evolve(
                            state,
                            attempts=state.attempts + 1,
                            last_error=exc.code,
                            updated_at=self._clock.now(),
                        )
                    )
                uow.commit()
            return (), tuple(ids)
        if self._text is not None:
            self._text.remove(namespace, ids)
        with self._uow_factory(tenant_id) as uow:
            for source_id in ids:
                uow.vector_sync.remove(namespace, source_id)
            uow.commit()
        return tuple(ids), ()
