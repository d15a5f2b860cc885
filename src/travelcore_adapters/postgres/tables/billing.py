"""Tables of billing (seed 003): corporate invoices (lines as JSON) and venue payouts. One
invoice per subscription and period, one sequence number per corporate; one payout per venue
and period, whose figures the database checks too (gross = fee + net, nothing negative)."""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from travelcore.billing import InvoiceStatus, PayoutStatus
from travelcore_adapters.postgres.tables.base import tenant_table
from travelcore_adapters.postgres.tables.travel import one_of

INVOICE_STATUSES = [s.value for s in InvoiceStatus]
PAYOUT_STATUSES = [s.value for s in PayoutStatus]

invoices = tenant_table(
    "invoices",
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("corporate_id", UUID(as_uuid=True), nullable=False),
    Column("subscription_id", UUID(as_uuid=True), nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("number", String(50), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("lines", JSONB, nullable=False),
    Column("tax_rate", Numeric, nullable=False),
    Column("tax", Numeric, nullable=False),
    Column("issued_on", Date, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("status", String(16), nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Column("paid_at", DateTime(timezone=True), nullable=True),
    Column("payment_reference", String(255), nullable=True),
    Column("cancelled_at", DateTime(timezone=True), nullable=True),
    Column("notes", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),
    PrimaryKeyConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "subscription_id", "period_start"),
    UniqueConstraint("tenant_id", "corporate_id", "sequence"),
    CheckConstraint(one_of("status", INVOICE_STATUSES), name="status"),
    CheckConstraint("sequence > 0", name="sequence_positive"),
    CheckConstraint("tax >= 0", name="tax_not_negative"),
    CheckConstraint("due_on >= issued_on", name="due_after_issue"),
)
Index(None, invoices.c.tenant_id, invoices.c.due_on, postgresql_where=invoices.c.status == "sent")

venue_payouts = tenant_table(
    "venue_payouts",
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("venue_id", UUID(as_uuid=True), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("bookings", Integer, nullable=False),
    Column("attendees", Integer, nullable=False),
    Column("credits", Integer, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("credit_value", Numeric, nullable=False),
    Column("fee_rate", Numeric, nullable=False),
    Column("gross", Numeric, nullable=False),
    Column("fee", Numeric, nullable=False),
    Column("net", Numeric, nullable=False),
    Column("adjustments", Numeric, nullable=False),
    Column("adjustment_notes", Text, nullable=True),
    Column("status", String(16), nullable=False),
    Column("failure_reason", Text, nullable=True),
    Column("retry_count", Integer, nullable=False),
    Column("paid_at", DateTime(timezone=True), nullable=True),
    Column("payment_reference", String(255), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),
    PrimaryKeyConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "venue_id", "period_start"),
    CheckConstraint(one_of("status", PAYOUT_STATUSES), name="status"),
    CheckConstraint("period_end > period_start", name="period"),
    CheckConstraint("gross >= 0 AND fee >= 0 AND net >= 0", name="figures_not_negative"),
    CheckConstraint("gross = fee + net", name="gross_is_fee_plus_net"),
    CheckConstraint("net + adjustments >= 0", name="payable_not_negative"),
)
Index(None, venue_payouts.c.tenant_id, venue_payouts.c.status)
