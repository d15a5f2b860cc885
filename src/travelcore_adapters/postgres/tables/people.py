"""Tables of the people context (seed 003 ``corporates``, ``users``, ``children``), with
``tenant_id`` leading every key."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID

from travelcore.people import UserRole
from travelcore_adapters.postgres.tables.base import one_of, tenant_table

ROLES = [r.value for r in UserRole]

corporates = tenant_table(
    "corporates",
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("company_name", String(255), nullable=False),
    Column("primary_contact_name", String(255), nullable=False),
    Column("primary_contact_email", String(255), nullable=False),
    Column("contract_start_date", Date, nullable=False),
    Column("contract_end_date", Date, nullable=True),
    Column("timezone", String(64), nullable=False, server_default="UTC"),
    Column("is_active", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    PrimaryKeyConstraint("tenant_id", "id"),
    CheckConstraint(
        "contract_end_date IS NULL OR contract_end_date >= contract_start_date",
        name="date_order",
    ),
)

users = tenant_table(
    "users",
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("email", String(255), nullable=False),
    Column("role", String(32), nullable=False),
    Column("first_name", String(100), nullable=False),
    Column("last_name", String(100), nullable=False),
    Column("corporate_id", UUID(as_uuid=True), nullable=True),
    Column("venue_id", UUID(as_uuid=True), nullable=True),
    Column("timezone", String(50), nullable=False),
    Column("is_active", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    PrimaryKeyConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "email"),
    ForeignKeyConstraint(["tenant_id", "corporate_id"], ["corporates.tenant_id", "corporates.id"]),
    CheckConstraint(one_of("role", ROLES), name="role"),
)
Index(None, users.c.tenant_id, users.c.corporate_id)

children = tenant_table(
    "children",
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("parent_id", UUID(as_uuid=True), nullable=False),
    Column("first_name", String(100), nullable=False),
    Column("date_of_birth", Date, nullable=False),
    Column("interests", ARRAY(Text), nullable=False),
    Column("activities_to_avoid", ARRAY(Text), nullable=False),
    Column("accessibility_needs", ARRAY(Text), nullable=False),
    Column("parental_consent_given", Boolean, nullable=False),
    Column("parental_consent_at", DateTime(timezone=True), nullable=True),
    Column("is_active", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    Column("deletion_requested_at", DateTime(timezone=True), nullable=True),
    Column("deletion_scheduled_for", Date, nullable=True),
    PrimaryKeyConstraint("tenant_id", "id"),
    ForeignKeyConstraint(["tenant_id", "parent_id"], ["users.tenant_id", "users.id"]),
)
Index(None, children.c.tenant_id, children.c.parent_id)
Index(
    "ix_children_deletion_pending",
    children.c.tenant_id,
    children.c.deletion_scheduled_for,
    postgresql_where=children.c.deletion_scheduled_for.is_not(None),
)
