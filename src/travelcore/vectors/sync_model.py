"""What the database knows about each source entity's vector (the database is the source of
truth; the vector store is a derived index)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

import attrs

from travelcore.kernel.ids import TenantId

SyncStatus = Literal["synced", "failed", "delete_pending"]


def content_hash(text: str, metadata: Mapping[str, Any]) -> str:
    """SHA-256 over the text and metadata that make up a vector."""
    payload = json.dumps([text, dict(metadata)], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


@attrs.frozen(kw_only=True)
class VectorSyncState:
    """The last sync of one source entity's vector.

    ``content_hash`` and ``model`` describe what is in the vector store when ``status`` is
    ``synced``; ``failed`` means the last attempt did not reach the store (retried on the next
    run); ``delete_pending`` means the entity is gone and its vector still has to be deleted.
    """

    tenant_id: TenantId
    namespace: str
    source_id: str
    content_hash: str
    model: str
    status: SyncStatus
    attempts: int = 0
    last_error: str | None = None
    updated_at: datetime
