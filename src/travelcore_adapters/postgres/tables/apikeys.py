"""The API key table (seed 003 ``api_keys``): a public prefix and a keyed hash, never the
key."""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID

from travelcore_adapters.postgres.tables.base import tenant_table

api_keys = tenant_table(
    "api_keys",
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("user_id", UUID(as_uuid=True), nullable=False),
    Column("role", String(32), nullable=False),
    Column("name", String(255), nullable=False),
    Column("key_prefix", String(16), nullable=False),
    Column("key_hash", String(128), nullable=False),
    Column("scopes", ARRAY(Text), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Column("revoked_reason", Text, nullable=True),
    Column("last_used_at", DateTime(timezone=True), nullable=True),
    Column("version", Integer, nullable=False),
    PrimaryKeyConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "key_prefix"),
    CheckConstraint("(revoked_at IS NULL) = (revoked_reason IS NULL)", name="revocation"),
)
