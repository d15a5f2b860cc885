"""The traveller's long-term memory: facts they asked the agent to remember, embedded and
kept in the tenant's ``user_memory`` namespace of the vector store, recalled by meaning."""

from __future__ import annotations

import hashlib

from travelcore.kernel import TenantId, UserId
from travelcore.vectors import Embedder, VectorRecord, VectorStore, namespace_for

RELEVANT = 0.2
"""The least cosine similarity at which a fact counts as recalled."""


class LongTermMemory:
    def __init__(self, store: VectorStore, embedder: Embedder, tenant_id: TenantId) -> None:
        self._store = store
        self._embedder = embedder
        self._namespace = namespace_for(tenant_id, "user_memory")

    def remember(self, user_id: UserId, fact: str) -> None:
        """Keep ``fact`` (the same fact twice is one record)."""
        digest = hashlib.sha256(f"{user_id}:{fact.lower()}".encode()).hexdigest()[:32]
        [vector] = self._embedder.embed([fact])
        record = VectorRecord(digest, vector, {"user_id": str(user_id), "text": fact})
        self._store.upsert(self._namespace, [record])

    def recall(self, user_id: UserId, about: str, top_k: int = 3) -> list[str]:
        """The user's facts closest in meaning to ``about``, the closest first."""
        [vector] = self._embedder.embed([about])
        matches = self._store.query(
            self._namespace,
            vector=vector,
            top_k=top_k,
            filter={"user_id": str(user_id)},
            include_metadata=True,
        )
        return [str(m.metadata["text"]) for m in matches if m.metadata and m.score >= RELEVANT]
