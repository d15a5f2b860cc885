"""Tables of the shared kernel: stored results of idempotent commands."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, PrimaryKeyConstraint, String
from sqlalchemy.dialects.postgresql import JSONB

from travelcore_adapters.postgres.tables.base import tenant_table

idempotency_keys = tenant_table(
    "idempotency_keys",
    Column("key", String(255), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("result", JSONB, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("tenant_id", "key"),
)
Index(None, idempotency_keys.c.tenant_id, idempotency_keys.c.created_at)
