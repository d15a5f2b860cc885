"""Tables of the payments context (seed 000): payments, their refunds and the ids of
provider webhook events already handled. At most one ``initiated`` payment per trip."""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import UUID

from travelcore.kernel import Conflict
from travelcore.payments import PaymentStatus, RefundStatus
from travelcore_adapters.postgres.errors import register_constraint
from travelcore_adapters.postgres.tables.base import tenant_table
from travelcore_adapters.postgres.tables.travel import one_of

PAYMENT_STATUSES = [s.value for s in PaymentStatus]
REFUND_STATUSES = [s.value for s in RefundStatus]

payments = tenant_table(
    "payments",
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("trip_id", UUID(as_uuid=True), nullable=False),
    Column("amount", Numeric, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("provider", String(50), nullable=False),
    Column("provider_ref", String(255), nullable=True),
    Column("status", String(16), nullable=False),
    Column("failure", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),
    PrimaryKeyConstraint("tenant_id", "id"),
    CheckConstraint(one_of("status", PAYMENT_STATUSES), name="status"),
    CheckConstraint("amount > 0", name="amount_positive"),
)
Index(None, payments.c.tenant_id, payments.c.trip_id, payments.c.created_at)
Index(
    "uq_payments_provider_ref",
    payments.c.tenant_id,
    payments.c.provider_ref,
    unique=True,
    postgresql_where=payments.c.provider_ref.is_not(None),
)
Index(
    "uq_payments_initiated_per_trip",
    payments.c.tenant_id,
    payments.c.trip_id,
    unique=True,
    postgresql_where=payments.c.status == "initiated",
)

payment_refunds = tenant_table(
    "payment_refunds",
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("payment_id", UUID(as_uuid=True), nullable=False),
    Column("position", Integer, nullable=False),
    Column("amount", Numeric, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("provider_ref", String(255), nullable=True),
    Column("status", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("tenant_id", "id"),
    ForeignKeyConstraint(["tenant_id", "payment_id"], ["payments.tenant_id", "payments.id"]),
    CheckConstraint(one_of("status", REFUND_STATUSES), name="status"),
    CheckConstraint("amount > 0", name="amount_positive"),
)
Index(None, payment_refunds.c.tenant_id, payment_refunds.c.payment_id, payment_refunds.c.position)

webhook_events = tenant_table(
    "webhook_events",
    Column("event_id", String(255), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("tenant_id", "event_id"),
)


def _in_progress(detail: str) -> Conflict:
    return Conflict(f"a payment for this trip is in progress ({detail})")


register_constraint("uq_payments_initiated_per_trip", _in_progress)
