"""The feature-flag table (seed 003 ``feature_flags``), one set of flags per tenant."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from travelcore_adapters.postgres.tables.base import tenant_table

feature_flags = tenant_table(
    "feature_flags",
    Column("flag_key", String(100), nullable=False),
    Column("name", String(255), nullable=False),
    Column("description", Text, nullable=False),
    Column("category", String(50), nullable=True),
    Column("is_enabled", Boolean, nullable=False),
    Column("rollout_percentage", Integer, nullable=False),
    Column("target_roles", ARRAY(Text), nullable=True),
    Column("target_corporate_ids", ARRAY(UUID(as_uuid=True)), nullable=False),
    Column("target_user_ids", ARRAY(UUID(as_uuid=True)), nullable=False),
    Column("environments", ARRAY(Text), nullable=False),
    Column("variants", JSONB, nullable=True),
    Column("starts_at", DateTime(timezone=True), nullable=True),
    Column("ends_at", DateTime(timezone=True), nullable=True),
    Column("version", Integer, nullable=False),
    PrimaryKeyConstraint("tenant_id", "flag_key"),
    CheckConstraint("rollout_percentage BETWEEN 0 AND 100", name="rollout_percentage"),
    CheckConstraint("ends_at IS NULL OR starts_at IS NULL OR ends_at > starts_at", name="window"),
)
