"""The audit log table (seed 003 ``audit_logs``): append-only, the application role may
only insert and select (migration 0017); the request metadata came with migration 0020."""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    Index,
    PrimaryKeyConstraint,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import INET, JSONB, UUID

from travelcore_adapters.postgres.tables.base import one_of, tenant_table

ACTIONS = ["create", "update", "delete"]

audit_logs = tenant_table(
    "audit_logs",
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("user_id", UUID(as_uuid=True), nullable=True),
    Column("actor", String(255), nullable=True),
    Column("actor_role", String(20), nullable=True),
    Column("api_key_id", UUID(as_uuid=True), nullable=True),
    Column("action_type", String(100), nullable=False),
    Column("entity_type", String(50), nullable=False),
    Column("entity_id", String(255), nullable=False),
    Column("old_values", JSONB, nullable=True),
    Column("new_values", JSONB, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("ip_address", INET, nullable=True),
    Column("user_agent", Text, nullable=True),
    Column("request_id", String(255), nullable=True),
    Column("session_id", String(255), nullable=True),
    PrimaryKeyConstraint("tenant_id", "id"),
    CheckConstraint("char_length(user_agent) <= 512", name="user_agent_length"),
    CheckConstraint(one_of("action_type", ACTIONS), name="action_type"),
    Index("ix_audit_logs_entity", "tenant_id", "entity_type", "entity_id", "created_at", "id"),
    Index("ix_audit_logs_actor", "tenant_id", "actor", "created_at", "id"),
    Index("ix_audit_logs_created_at", "tenant_id", "created_at", "id"),
    Index(
        "ix_audit_logs_request_id",
        "tenant_id",
        "request_id",
        "created_at",
        "id",
        postgresql_where=text("request_id IS NOT NULL"),
    ),
    Index(
        "ix_audit_logs_ip_address",
        "tenant_id",
        "ip_address",
        "created_at",
        "id",
        postgresql_where=text("ip_address IS NOT NULL"),
    ),
)
