"""Tables of the credit ledger (seed 003 §2.6, with ``tenant_id`` leading every key).

``credit_balances`` keeps the figures derived from the entries (denormalized, as in the
seed's ``user_credit_balances``) so that CHECK constraints back up the model's invariants;
``credit_ledger`` is append-only (the application role may only SELECT and INSERT);
``credit_holds`` are the reservations of the two-phase debit; ``corporate_subscriptions``
and ``subscription_seats`` (who received a subscription's credits in which period).
"""

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
    Numeric,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID

from travelcore.kernel import InsufficientCredits, StaleVersion
from travelcore.ledger import EntryType, HoldStatus
from travelcore.ledger.subscription import SubscriptionStatus, SubscriptionTier
from travelcore_adapters.postgres.errors import register_constraint
from travelcore_adapters.postgres.tables.base import tenant_table


def _one_of(column: str, values: list[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


ENTRY_TYPES = [t.value for t in EntryType]
HOLD_STATUSES = [s.value for s in HoldStatus]
TIERS = [t.value for t in SubscriptionTier]
SUBSCRIPTION_STATUSES = [s.value for s in SubscriptionStatus]

credit_balances = tenant_table(
    "credit_balances",
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("user_id", UUID(as_uuid=True), nullable=False),
    Column("billing_period_start", Date, nullable=False),
    Column("billing_period_end", Date, nullable=False),
    Column("credits_allocated", Integer, nullable=False),
    Column("credits_balance", Integer, nullable=False),
    Column("credits_held", Integer, nullable=False),
    Column("credits_available", Integer, nullable=False),
    Column("credits_used", Integer, nullable=False),
    Column("credits_refunded", Integer, nullable=False),
    Column("credits_forfeited", Integer, nullable=False),
    Column("is_closed", Boolean, nullable=False),
    Column("expiry_warning_sent_at", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),
    Column("timezone", String(64), nullable=False, server_default="UTC"),
    PrimaryKeyConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "user_id", "billing_period_start"),
    CheckConstraint("billing_period_end > billing_period_start", name="period_order"),
    CheckConstraint("credits_available >= 0", name="available_not_negative"),
    CheckConstraint("credits_available = credits_balance - credits_held", name="available_sum"),
    CheckConstraint(
        "credits_allocated >= 0 AND credits_balance >= 0 AND credits_held >= 0 "
        "AND credits_used >= 0 AND credits_refunded >= 0 AND credits_forfeited >= 0",
        name="figures_not_negative",
    ),
    CheckConstraint("version >= 0", name="version_not_negative"),
)
Index(
    None,
    credit_balances.c.tenant_id,
    credit_balances.c.billing_period_end,
    postgresql_where=credit_balances.c.is_closed.is_(False),
)

credit_ledger = tenant_table(
    "credit_ledger",
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("balance_id", UUID(as_uuid=True), nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("entry_type", String(32), nullable=False),
    Column("amount", Integer, nullable=False),
    Column("balance_after", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("actor", Text, nullable=True),
    Column("reason", Text, nullable=True),
    Column("booking_id", UUID(as_uuid=True), nullable=True),
    Column("reverses", UUID(as_uuid=True), nullable=True),
    Column("idempotency_key", String(255), nullable=True),
    PrimaryKeyConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "balance_id", "sequence"),
    ForeignKeyConstraint(
        ["tenant_id", "balance_id"], ["credit_balances.tenant_id", "credit_balances.id"]
    ),
    ForeignKeyConstraint(
        ["tenant_id", "reverses"], ["credit_ledger.tenant_id", "credit_ledger.id"]
    ),
    CheckConstraint(_one_of("entry_type", ENTRY_TYPES), name="entry_type"),
    CheckConstraint("sequence >= 1", name="sequence_positive"),
    CheckConstraint("balance_after >= 0", name="balance_not_negative"),
    CheckConstraint(
        "CASE entry_type"
        " WHEN 'allocation' THEN amount > 0"
        " WHEN 'booking_debit' THEN amount < 0"
        " WHEN 'refund_credit' THEN amount > 0"
        " WHEN 'partial_refund' THEN amount > 0"
        " WHEN 'forfeit' THEN amount = 0"
        " WHEN 'adjustment' THEN amount <> 0"
        " WHEN 'expiry' THEN amount <= 0"
        " END",
        name="amount_sign",
    ),
)
Index(
    None,
    credit_ledger.c.tenant_id,
    credit_ledger.c.booking_id,
    postgresql_where=credit_ledger.c.booking_id.is_not(None),
)

credit_holds = tenant_table(
    "credit_holds",
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("balance_id", UUID(as_uuid=True), nullable=False),
    Column("position", Integer, nullable=False),
    Column("booking_id", UUID(as_uuid=True), nullable=False),
    Column("credits", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("status", String(16), nullable=False),
    Column("resolved_at", DateTime(timezone=True), nullable=True),
    PrimaryKeyConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "balance_id", "position"),
    ForeignKeyConstraint(
        ["tenant_id", "balance_id"], ["credit_balances.tenant_id", "credit_balances.id"]
    ),
    CheckConstraint(_one_of("status", HOLD_STATUSES), name="status"),
    CheckConstraint("credits > 0", name="credits_positive"),
    CheckConstraint("expires_at >= created_at", name="expiry_order"),
)
Index(
    None,
    credit_holds.c.tenant_id,
    credit_holds.c.expires_at,
    postgresql_where=credit_holds.c.status == "active",
)
Index(
    "uq_credit_holds_active_booking",
    credit_holds.c.tenant_id,
    credit_holds.c.balance_id,
    credit_holds.c.booking_id,
    unique=True,
    postgresql_where=credit_holds.c.status == "active",
)

corporate_subscriptions = tenant_table(
    "corporate_subscriptions",
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("corporate_id", UUID(as_uuid=True), nullable=False),
    Column("tier", String(16), nullable=False),
    Column("covered_employees", Integer, nullable=False),
    Column("credits_per_employee", Integer, nullable=False),
    Column("monthly_cost", Numeric, nullable=False),
    Column("monthly_cost_currency", String(3), nullable=False),
    Column("billing_cycle_day", Integer, nullable=False),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=True),
    Column("auto_renew", Boolean, nullable=False),
    Column("premium_venue_access", Boolean, nullable=False),
    Column("status", String(16), nullable=False),
    Column("cancelled_at", DateTime(timezone=True), nullable=True),
    Column("cancellation_reason", Text, nullable=True),
    Column("version", Integer, nullable=False),
    Column("timezone", String(64), nullable=False, server_default="UTC"),
    PrimaryKeyConstraint("tenant_id", "id"),
    CheckConstraint(_one_of("tier", TIERS), name="tier"),
    CheckConstraint(_one_of("status", SUBSCRIPTION_STATUSES), name="status"),
    CheckConstraint("covered_employees > 0", name="covered_employees_positive"),
    CheckConstraint("credits_per_employee > 0", name="credits_per_employee_positive"),
    CheckConstraint("monthly_cost >= 0", name="monthly_cost_not_negative"),
    CheckConstraint("billing_cycle_day BETWEEN 1 AND 28", name="billing_cycle_day"),
    CheckConstraint("end_date IS NULL OR end_date >= start_date", name="date_order"),
)
Index(None, corporate_subscriptions.c.tenant_id, corporate_subscriptions.c.corporate_id)

subscription_seats = tenant_table(
    "subscription_seats",
    Column("subscription_id", UUID(as_uuid=True), nullable=False),
    Column("billing_period_start", Date, nullable=False),
    Column("billing_period_end", Date, nullable=False),
    Column("user_ids", ARRAY(UUID(as_uuid=True)), nullable=False),
    Column("version", Integer, nullable=False),
    PrimaryKeyConstraint("tenant_id", "subscription_id", "billing_period_start"),
    CheckConstraint("billing_period_end > billing_period_start", name="period_order"),
)


def _insufficient(detail: str) -> InsufficientCredits:
    return InsufficientCredits(f"credits may not go below zero ({detail})")


def _stale(detail: str) -> StaleVersion:
    return StaleVersion(f"the ledger changed concurrently ({detail})")


register_constraint("ck_credit_balances_available_not_negative", _insufficient)
register_constraint("ck_credit_ledger_balance_not_negative", _insufficient)
register_constraint("uq_credit_ledger_tenant_id_balance_id_sequence", _stale)
