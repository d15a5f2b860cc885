"""The transactional outbox and the consumers' inbox.

``outbox`` holds every committed domain event; ``seq`` (an identity) is commit order per
aggregate. ``inbox`` records, per consumer, the events it has applied.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from travelcore.outbox import OutboxStatus
from travelcore_adapters.postgres.tables.base import one_of, tenant_table

outbox = tenant_table(
    "outbox",
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("seq", BigInteger, Identity(always=True), nullable=False),
    Column("aggregate", Text, nullable=False),
    Column("event_type", String(200), nullable=False),
    Column("payload", JSONB, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("available_at", DateTime(timezone=True), nullable=False),
    Column("last_error", Text, nullable=True),
    Column("delivered_at", DateTime(timezone=True), nullable=True),
    PrimaryKeyConstraint("tenant_id", "event_id"),
    CheckConstraint(one_of("status", [s.value for s in OutboxStatus]), name="status"),
)
Index("ix_outbox_pending", outbox.c.seq, postgresql_where=text("status = 'pending'"))
Index(
    "ix_outbox_pending_aggregate",
    outbox.c.tenant_id,
    outbox.c.aggregate,
    outbox.c.seq,
    postgresql_where=text("status = 'pending'"),
)
Index("ix_outbox_delivered", outbox.c.delivered_at, postgresql_where=text("status = 'delivered'"))

inbox = tenant_table(
    "inbox",
    Column("consumer", String(100), nullable=False),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("handled_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("tenant_id", "consumer", "event_id"),
)
