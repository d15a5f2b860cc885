"""Tables of the vectors context: ``vector_sync``, what the database knows about each source
entity's vector (content hash and model last embedded, and the outcome of the last attempt).
"""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
)

from travelcore_adapters.postgres.tables.base import tenant_table

SYNC_STATUSES = ["synced", "failed", "delete_pending"]

vector_sync = tenant_table(
    "vector_sync",
    Column("namespace", Text, nullable=False),
    Column("source_id", Text, nullable=False),
    Column("content_hash", Text, nullable=False),
    Column("model", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("tenant_id", "namespace", "source_id"),
    CheckConstraint(f"status IN ({', '.join(repr(s) for s in SYNC_STATUSES)})", name="status"),
    CheckConstraint("attempts >= 0", name="attempts_not_negative"),
)
Index(
    "ix_vector_sync_pending",
    vector_sync.c.tenant_id,
    vector_sync.c.namespace,
    vector_sync.c.source_id,
    postgresql_where=vector_sync.c.status != "synced",
)
