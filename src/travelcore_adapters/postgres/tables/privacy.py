"""Tables of the privacy contexts: consent texts and records (seed 003
``parental_consent_records``) and data export requests (``data_export_requests``)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from travelcore.consent import ConsentKind, ConsentMethod
from travelcore.export import ExportStatus
from travelcore_adapters.postgres.tables.base import one_of, tenant_table

KINDS = [k.value for k in ConsentKind]
METHODS = [m.value for m in ConsentMethod]
EXPORT_STATUSES = [s.value for s in ExportStatus]

consent_texts = tenant_table(
    "consent_texts",
    Column("consent_type", String(50), nullable=False),
    Column("consent_version", Integer, nullable=False),
    Column("consent_text", Text, nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("tenant_id", "consent_type", "consent_version"),
    CheckConstraint(one_of("consent_type", KINDS), name="consent_type"),
)

parental_consent_records = tenant_table(
    "parental_consent_records",
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("parent_id", UUID(as_uuid=True), nullable=False),
    Column("child_id", UUID(as_uuid=True), nullable=False),
    Column("consent_type", String(50), nullable=False),
    Column("consent_version", Integer, nullable=False),
    Column("consent_given", Boolean, nullable=False),
    Column("consent_method", String(50), nullable=False),
    Column("consent_text", Text, nullable=False),
    Column("ip_address", String(45), nullable=True),
    Column("user_agent", Text, nullable=True),
    Column("withdrawal_reason", Text, nullable=True),
    Column("consented_at", DateTime(timezone=True), nullable=False),
    Column("sequence", Integer, nullable=False),
    PrimaryKeyConstraint("tenant_id", "id"),
    ForeignKeyConstraint(["tenant_id", "child_id"], ["children.tenant_id", "children.id"]),
    ForeignKeyConstraint(["tenant_id", "parent_id"], ["users.tenant_id", "users.id"]),
    ForeignKeyConstraint(
        ["tenant_id", "consent_type", "consent_version"],
        ["consent_texts.tenant_id", "consent_texts.consent_type", "consent_texts.consent_version"],
        name="fk_parental_consent_records_consent_texts",
    ),
    CheckConstraint(one_of("consent_method", METHODS), name="consent_method"),
)
Index(None, parental_consent_records.c.tenant_id, parental_consent_records.c.child_id)
Index(None, parental_consent_records.c.tenant_id, parental_consent_records.c.parent_id)

data_export_requests = tenant_table(
    "data_export_requests",
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("user_id", UUID(as_uuid=True), nullable=False),
    Column("export_type", String(50), nullable=False),
    Column("format", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=True),
    Column("completed_at", DateTime(timezone=True), nullable=True),
    Column("document", JSONB, nullable=True),
    Column("file_size_bytes", BigInteger, nullable=True),
    Column("file_expires_at", DateTime(timezone=True), nullable=True),
    Column("download_count", Integer, nullable=False),
    Column("last_downloaded_at", DateTime(timezone=True), nullable=True),
    Column("request_ip", String(45), nullable=True),
    Column("request_user_agent", Text, nullable=True),
    Column("version", Integer, nullable=False),
    PrimaryKeyConstraint("tenant_id", "id"),
    ForeignKeyConstraint(["tenant_id", "user_id"], ["users.tenant_id", "users.id"]),
    CheckConstraint(one_of("status", EXPORT_STATUSES), name="status"),
)
Index(None, data_export_requests.c.tenant_id, data_export_requests.c.user_id)
Index(
    "ix_data_export_requests_open",
    data_export_requests.c.tenant_id,
    data_export_requests.c.status,
    postgresql_where=data_export_requests.c.status.in_(["requested", "processing", "ready"]),
)
