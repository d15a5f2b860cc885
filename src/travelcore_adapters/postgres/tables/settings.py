"""The platform settings table (seed 003 ``platform_settings``): one row per tenant."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, PrimaryKeyConstraint
from sqlalchemy.dialects.postgresql import JSONB, UUID

from travelcore_adapters.postgres.tables.base import tenant_table

platform_settings = tenant_table(
    "platform_settings",
    Column("overrides", JSONB, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", UUID(as_uuid=True), nullable=True),
    Column("version", Integer, nullable=False),
    PrimaryKeyConstraint("tenant_id"),
)
