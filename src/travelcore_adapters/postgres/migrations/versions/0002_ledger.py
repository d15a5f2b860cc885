"""Ledger: credit balances, the append-only credit ledger, credit holds, corporate
subscriptions and their seat allocations.

Revision ID: 0002_ledger
Revises: 0001_kernel
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

from travelcore_adapters.postgres.ddl import grant, tenant_rls

revision = "0002_ledger"
down_revision = "0001_kernel"
branch_labels = None
depends_on = None

ENTRY_TYPES = (
    "'allocation', 'booking_debit', 'refund_credit', 'partial_refund', 'forfeit', "
    "'adjustment', 'expiry'"
)
HOLD_STATUSES = "'active', 'captured', 'voided', 'expired'"
TIERS = "'basic', 'standard', 'premium', 'enterprise'"
SUBSCRIPTION_STATUSES = "'active', 'cancelled'"
TABLES = (
    "credit_balances",
    "credit_ledger",
    "credit_holds",
    "corporate_subscriptions",
    "subscription_seats",
)


def _uuid(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, postgresql.UUID(as_uuid=True), nullable=nullable)


def _at(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    app_role = context.config.attributes["app_role"]
    op.create_table(
        "credit_balances",
        _uuid("tenant_id"),
        _uuid("id"),
        _uuid("user_id"),
        sa.Column("billing_period_start", sa.Date(), nullable=False),
        sa.Column("billing_period_end", sa.Date(), nullable=False),
        *(
            sa.Column(f"credits_{name}", sa.Integer(), nullable=False)
            for name in ("allocated", "balance", "held", "available", "used", "refunded")
        ),
        sa.Column("credits_forfeited", sa.Integer(), nullable=False),
        sa.Column("is_closed", sa.Boolean(), nullable=False),
        _at("expiry_warning_sent_at", nullable=True),
        _at("created_at"),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_credit_balances"),
        sa.UniqueConstraint(
            "tenant_id",
            "user_id",
            "billing_period_start",
            name="uq_credit_balances_tenant_id_user_id_billing_period_start",
        ),
        sa.CheckConstraint(
            "billing_period_end > billing_period_start",
            name=op.f("ck_credit_balances_period_order"),
        ),
        sa.CheckConstraint(
            "credits_available >= 0", name=op.f("ck_credit_balances_available_not_negative")
        ),
        sa.CheckConstraint(
            "credits_available = credits_balance - credits_held",
            name=op.f("ck_credit_balances_available_sum"),
        ),
        sa.CheckConstraint(
            "credits_allocated >= 0 AND credits_balance >= 0 AND credits_held >= 0 "
            "AND credits_used >= 0 AND credits_refunded >= 0 AND credits_forfeited >= 0",
            name=op.f("ck_credit_balances_figures_not_negative"),
        ),
        sa.CheckConstraint("version >= 0", name=op.f("ck_credit_balances_version_not_negative")),
    )
    op.create_index(
        "ix_credit_balances_tenant_id_billing_period_end",
        "credit_balances",
        ["tenant_id", "billing_period_end"],
        postgresql_where=sa.text("is_closed IS false"),
    )
    op.create_table(
        "credit_ledger",
        _uuid("tenant_id"),
        _uuid("id"),
        _uuid("balance_id"),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("entry_type", sa.String(32), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("balance_after", sa.Integer(), nullable=False),
        _at("created_at"),
        sa.Column("actor", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        _uuid("booking_id", nullable=True),
        _uuid("reverses", nullable=True),
        sa.Column("idempotency_key", sa.String(255), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_credit_ledger"),
        sa.UniqueConstraint(
            "tenant_id",
            "balance_id",
            "sequence",
            name="uq_credit_ledger_tenant_id_balance_id_sequence",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "balance_id"],
            ["credit_balances.tenant_id", "credit_balances.id"],
            name="fk_credit_ledger_tenant_id_balance_id_credit_balances",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "reverses"],
            ["credit_ledger.tenant_id", "credit_ledger.id"],
            name="fk_credit_ledger_tenant_id_reverses_credit_ledger",
        ),
        sa.CheckConstraint(
            f"entry_type IN ({ENTRY_TYPES})", name=op.f("ck_credit_ledger_entry_type")
        ),
        sa.CheckConstraint("sequence >= 1", name=op.f("ck_credit_ledger_sequence_positive")),
        sa.CheckConstraint(
            "balance_after >= 0", name=op.f("ck_credit_ledger_balance_not_negative")
        ),
        sa.CheckConstraint(
            "CASE entry_type"
            " WHEN 'allocation' THEN amount > 0"
            " WHEN 'booking_debit' THEN amount < 0"
            " WHEN 'refund_credit' THEN amount > 0"
            " WHEN 'partial_refund' THEN amount > 0"
            " WHEN 'forfeit' THEN amount = 0"
            " WHEN 'adjustment' THEN amount <> 0"
            " WHEN 'expiry' THEN amount <= 0"
            " END",
            name=op.f("ck_credit_ledger_amount_sign"),
        ),
    )
    op.create_index(
        "ix_credit_ledger_tenant_id_booking_id",
        "credit_ledger",
        ["tenant_id", "booking_id"],
        postgresql_where=sa.text("booking_id IS NOT NULL"),
    )
    op.create_table(
        "credit_holds",
        _uuid("tenant_id"),
        _uuid("id"),
        _uuid("balance_id"),
        sa.Column("position", sa.Integer(), nullable=False),
        _uuid("booking_id"),
        sa.Column("credits", sa.Integer(), nullable=False),
        _at("created_at"),
        _at("expires_at"),
        sa.Column("status", sa.String(16), nullable=False),
        _at("resolved_at", nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_credit_holds"),
        sa.UniqueConstraint(
            "tenant_id",
            "balance_id",
            "position",
            name="uq_credit_holds_tenant_id_balance_id_position",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "balance_id"],
            ["credit_balances.tenant_id", "credit_balances.id"],
            name="fk_credit_holds_tenant_id_balance_id_credit_balances",
        ),
        sa.CheckConstraint(f"status IN ({HOLD_STATUSES})", name=op.f("ck_credit_holds_status")),
        sa.CheckConstraint("credits > 0", name=op.f("ck_credit_holds_credits_positive")),
        sa.CheckConstraint("expires_at >= created_at", name=op.f("ck_credit_holds_expiry_order")),
    )
    op.create_index(
        "ix_credit_holds_tenant_id_expires_at",
        "credit_holds",
        ["tenant_id", "expires_at"],
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_index(
        "uq_credit_holds_active_booking",
        "credit_holds",
        ["tenant_id", "balance_id", "booking_id"],
        unique=True,
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_table(
        "corporate_subscriptions",
        _uuid("tenant_id"),
        _uuid("id"),
        _uuid("corporate_id"),
        sa.Column("tier", sa.String(16), nullable=False),
        sa.Column("covered_employees", sa.Integer(), nullable=False),
        sa.Column("credits_per_employee", sa.Integer(), nullable=False),
        sa.Column("monthly_cost", sa.Numeric(), nullable=False),
        sa.Column("monthly_cost_currency", sa.String(3), nullable=False),
        sa.Column("billing_cycle_day", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("auto_renew", sa.Boolean(), nullable=False),
        sa.Column("premium_venue_access", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _at("cancelled_at", nullable=True),
        sa.Column("cancellation_reason", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_corporate_subscriptions"),
        sa.CheckConstraint(f"tier IN ({TIERS})", name=op.f("ck_corporate_subscriptions_tier")),
        sa.CheckConstraint(
            f"status IN ({SUBSCRIPTION_STATUSES})", name=op.f("ck_corporate_subscriptions_status")
        ),
        sa.CheckConstraint(
            "covered_employees > 0",
            name=op.f("ck_corporate_subscriptions_covered_employees_positive"),
        ),
        sa.CheckConstraint(
            "credits_per_employee > 0",
            name=op.f("ck_corporate_subscriptions_credits_per_employee_positive"),
        ),
        sa.CheckConstraint(
            "monthly_cost >= 0", name=op.f("ck_corporate_subscriptions_monthly_cost_not_negative")
        ),
        sa.CheckConstraint(
            "billing_cycle_day BETWEEN 1 AND 28",
            name=op.f("ck_corporate_subscriptions_billing_cycle_day"),
        ),
        sa.CheckConstraint(
            "end_date IS NULL OR end_date >= start_date",
            name=op.f("ck_corporate_subscriptions_date_order"),
        ),
    )
    op.create_index(
        "ix_corporate_subscriptions_tenant_id_corporate_id",
        "corporate_subscriptions",
        ["tenant_id", "corporate_id"],
    )
    op.create_table(
        "subscription_seats",
        _uuid("tenant_id"),
        _uuid("subscription_id"),
        sa.Column("billing_period_start", sa.Date(), nullable=False),
        sa.Column("billing_period_end", sa.Date(), nullable=False),
        sa.Column("user_ids", postgresql.ARRAY(postgresql.UUID(as_uuid=True)), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "subscription_id", "billing_period_start", name="pk_subscription_seats"
        ),
        sa.CheckConstraint(
            "billing_period_end > billing_period_start",
            name=op.f("ck_subscription_seats_period_order"),
        ),
    )
    for table in TABLES:
        for statement in tenant_rls(table):
            op.execute(statement)
    op.execute(grant("credit_balances", app_role, "SELECT, INSERT, UPDATE"))
    op.execute(grant("credit_ledger", app_role, "SELECT, INSERT"))  # append-only
    op.execute(grant("credit_holds", app_role, "SELECT, INSERT, UPDATE"))
    op.execute(grant("corporate_subscriptions", app_role, "SELECT, INSERT, UPDATE"))
    op.execute(grant("subscription_seats", app_role, "SELECT, INSERT, UPDATE"))


def downgrade() -> None:
    op.drop_table("subscription_seats")
    op.drop_table("corporate_subscriptions")
    op.drop_table("credit_holds")
    op.drop_table("credit_ledger")
    op.drop_table("credit_balances")
