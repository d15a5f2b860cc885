"""Billing: corporate invoices and venue payouts, tenant-scoped with row-level security; the
application role may read, insert and update them, never delete.

Revision ID: 0009_billing
Revises: 0008_discovery
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

from travelcore_adapters.postgres.ddl import grant, tenant_rls

revision = "0009_billing"
down_revision = "0008_discovery"
branch_labels = None
depends_on = None

INVOICE_STATUSES = "'draft', 'sent', 'paid', 'overdue', 'cancelled'"
PAYOUT_STATUSES = "'pending', 'processing', 'paid', 'failed', 'on_hold'"
GRANTS = {"invoices": "SELECT, INSERT, UPDATE", "venue_payouts": "SELECT, INSERT, UPDATE"}


def _uuid(name: str) -> sa.Column[object]:
    return sa.Column(name, postgresql.UUID(as_uuid=True), nullable=False)


def _at(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _num(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.Numeric(), nullable=False)


def _int(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.Integer(), nullable=False)


def _date(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.Date(), nullable=False)


def _ck(table: str, name: str, condition: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(condition, name=f"ck_{table}_{name}")


def upgrade() -> None:
    app_role = context.config.attributes["app_role"]
    op.create_table(
        "invoices",
        _uuid("tenant_id"),
        _uuid("id"),
        _uuid("corporate_id"),
        _uuid("subscription_id"),
        _int("sequence"),
        sa.Column("number", sa.String(50), nullable=False),
        _date("period_start"),
        _date("period_end"),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("lines", postgresql.JSONB(), nullable=False),
        _num("tax_rate"),
        _num("tax"),
        _date("issued_on"),
        _date("due_on"),
        sa.Column("status", sa.String(16), nullable=False),
        _at("sent_at", nullable=True),
        _at("paid_at", nullable=True),
        sa.Column("payment_reference", sa.String(255), nullable=True),
        _at("cancelled_at", nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        _at("created_at"),
        _at("updated_at"),
        _int("version"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_invoices"),
        sa.UniqueConstraint(
            "tenant_id",
            "subscription_id",
            "period_start",
            name="uq_invoices_tenant_id_subscription_id_period_start",
        ),
        sa.UniqueConstraint(
            "tenant_id",
            "corporate_id",
            "sequence",
            name="uq_invoices_tenant_id_corporate_id_sequence",
        ),
        _ck("invoices", "status", f"status IN ({INVOICE_STATUSES})"),
        _ck("invoices", "sequence_positive", "sequence > 0"),
        _ck("invoices", "tax_not_negative", "tax >= 0"),
        _ck("invoices", "due_after_issue", "due_on >= issued_on"),
    )
    op.create_index(
        "ix_invoices_tenant_id_due_on",
        "invoices",
        ["tenant_id", "due_on"],
        postgresql_where=sa.text("status = 'sent'"),
    )
    op.create_table(
        "venue_payouts",
        _uuid("tenant_id"),
        _uuid("id"),
        _uuid("venue_id"),
        _date("period_start"),
        _date("period_end"),
        _int("bookings"),
        _int("attendees"),
        _int("credits"),
        sa.Column("currency", sa.String(3), nullable=False),
        _num("credit_value"),
        _num("fee_rate"),
        _num("gross"),
        _num("fee"),
        _num("net"),
        _num("adjustments"),
        sa.Column("adjustment_notes", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        _int("retry_count"),
        _at("paid_at", nullable=True),
        sa.Column("payment_reference", sa.String(255), nullable=True),
        _at("created_at"),
        _at("updated_at"),
        _int("version"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_venue_payouts"),
        sa.UniqueConstraint(
            "tenant_id",
            "venue_id",
            "period_start",
            name="uq_venue_payouts_tenant_id_venue_id_period_start",
        ),
        _ck("venue_payouts", "status", f"status IN ({PAYOUT_STATUSES})"),
        _ck("venue_payouts", "period", "period_end > period_start"),
        _ck("venue_payouts", "figures_not_negative", "gross >= 0 AND fee >= 0 AND net >= 0"),
        _ck("venue_payouts", "gross_is_fee_plus_net", "gross = fee + net"),
        _ck("venue_payouts", "payable_not_negative", "net + adjustments >= 0"),
    )
    op.create_index("ix_venue_payouts_tenant_id_status", "venue_payouts", ["tenant_id", "status"])
    for table, privileges in GRANTS.items():
        for statement in tenant_rls(table):
            op.execute(statement)
        op.execute(grant(table, app_role, privileges))


def downgrade() -> None:
    for table in reversed(GRANTS):
        op.drop_table(table)
