"""The employee invitations table (seed 003 ``employee_invitations``; the token column
holds the token's keyed hash, never the token)."""

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
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import UUID

from travelcore_adapters.postgres.tables.base import one_of, tenant_table

STATUSES = ["pending", "accepted", "revoked", "expired"]

employee_invitations = tenant_table(
    "employee_invitations",
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("corporate_id", UUID(as_uuid=True), nullable=False),
    Column("subscription_id", UUID(as_uuid=True), nullable=False),
    Column("invited_by", UUID(as_uuid=True), nullable=True),
    Column("email", String(255), nullable=False),
    Column("first_name", String(100), nullable=False),
    Column("last_name", String(100), nullable=False),
    Column("department", String(100), nullable=True),
    Column("credits_to_allocate", Integer, nullable=False),
    Column("token_hash", String(255), nullable=False),
    Column("status", String(20), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("accepted_user_id", UUID(as_uuid=True), nullable=True),
    Column("accepted_at", DateTime(timezone=True), nullable=True),
    Column("resend_count", Integer, nullable=False),
    Column("last_resent_at", DateTime(timezone=True), nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Column("revoked_by", UUID(as_uuid=True), nullable=True),
    Column("revoke_reason", Text, nullable=True),
    Column("batch_import_id", UUID(as_uuid=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),
    PrimaryKeyConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "token_hash"),
    CheckConstraint(one_of("status", STATUSES), name="status"),
    CheckConstraint("credits_to_allocate > 0", name="credits_positive"),
    CheckConstraint("resend_count >= 0", name="resend_count"),
    Index("ix_employee_invitations_email", "tenant_id", "email"),
)
