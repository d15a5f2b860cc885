"""Travel, payments and accounts: tenants, travel policies and preferences, itineraries and
their days, trips and their line items, reminders, payments and refunds, webhook events,
accounts, credentials (ciphertext only), conversations and messages.

Revision ID: 0003_travel
Revises: 0002_ledger
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

from travelcore_adapters.postgres.ddl import grant, tenant_rls

revision = "0003_travel"
down_revision = "0002_ledger"
branch_labels = None
depends_on = None

POLICY_KEYS = "'cabin_class', 'hotel_stars', 'per_night_cap', 'per_trip_cap', 'advance_booking'"
SEVERITIES = "'warning', 'refusal'"
CATEGORIES = "'flight', 'hotel', 'car', 'tour', 'other'"
TRIP_STATUSES = "'pending', 'confirmed', 'cancelled'"
PAYMENT_STATUSES = "'initiated', 'succeeded', 'failed'"
REFUND_STATUSES = "'pending', 'succeeded', 'failed'"

GRANTS = {
    "tenants": "SELECT, INSERT, UPDATE",
    "travel_policies": "SELECT, INSERT, UPDATE, DELETE",
    "travel_preferences": "SELECT, INSERT, UPDATE",
    "itineraries": "SELECT, INSERT, UPDATE",
    "itinerary_days": "SELECT, INSERT, DELETE",  # rewritten when the plan changes
    "trips": "SELECT, INSERT, UPDATE",
    "trip_items": "SELECT, INSERT, DELETE",
    "reminders": "SELECT, INSERT, UPDATE, DELETE",
    "payments": "SELECT, INSERT, UPDATE",
    "payment_refunds": "SELECT, INSERT, UPDATE",  # never deleted
    "webhook_events": "SELECT, INSERT",
    "accounts": "SELECT, INSERT, UPDATE",
    "credentials": "SELECT, INSERT, UPDATE",
    "conversations": "SELECT, INSERT, UPDATE",
    "conversation_messages": "SELECT, INSERT",
}


def _uuid(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, postgresql.UUID(as_uuid=True), nullable=nullable)


def _at(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _str(name: str, length: int, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.String(length), nullable=nullable)


def _int(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.Integer(), nullable=nullable)


def _num(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.Numeric(), nullable=nullable)


def _json(name: str) -> sa.Column[object]:
    return sa.Column(name, postgresql.JSONB(), nullable=False)


def _text(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.Text(), nullable=nullable)


def _pk(table: str, *columns: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint("tenant_id", *columns, name=f"pk_{table}")


def _fk(
    table: str, column: str, target: str, ondelete: str | None = None, name: str | None = None
) -> sa.Constraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id", column],
        [f"{target}.tenant_id", f"{target}.id"],
        name=name or f"fk_{table}_tenant_id_{column}_{target}",
        ondelete=ondelete,
    )


def _ck(table: str, name: str, condition: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(condition, name=f"ck_{table}_{name}")


def _index(table: str, *columns: str, where: str | None = None) -> None:
    op.create_index(
        f"ix_{table}_{'_'.join(columns)}",
        table,
        list(columns),
        postgresql_where=None if where is None else sa.text(where),
    )


def upgrade() -> None:
    app_role = context.config.attributes["app_role"]
    op.create_table(
        "tenants",
        _uuid("tenant_id"),
        _str("name", 200),
        _at("created_at"),
        _int("version"),
        _pk("tenants"),
    )
    op.create_table(
        "travel_policies",
        _uuid("tenant_id"),
        _str("policy_key", 100),
        _json("policy_value"),
        _str("severity", 16),
        _at("updated_at"),
        _int("version"),
        _pk("travel_policies", "policy_key"),
        _ck("travel_policies", "policy_key", f"policy_key IN ({POLICY_KEYS})"),
        _ck("travel_policies", "severity", f"severity IN ({SEVERITIES})"),
    )
    op.create_table(
        "travel_preferences",
        _uuid("tenant_id"),
        _uuid("user_id"),
        _str("seat_class", 32, nullable=True),
        _int("hotel_rating", nullable=True),
        _num("budget_min", nullable=True),
        _str("budget_min_currency", 3, nullable=True),
        _num("budget_max", nullable=True),
        _str("budget_max_currency", 3, nullable=True),
        _json("loyalty_numbers"),
        _str("language", 10),
        _str("timezone", 64),
        _int("version"),
        _pk("travel_preferences", "user_id"),
        _ck("travel_preferences", "hotel_rating", "hotel_rating BETWEEN 1 AND 5"),
        _ck(
            "travel_preferences",
            "budget_currency",
            "(budget_min IS NULL) = (budget_min_currency IS NULL) "
            "AND (budget_max IS NULL) = (budget_max_currency IS NULL)",
        ),
    )
    op.create_table(
        "itineraries",
        _uuid("tenant_id"),
        _uuid("id"),
        _uuid("user_id"),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        _json("destinations"),
        sa.Column("is_draft", sa.Boolean(), nullable=False),
        _at("created_at"),
        _int("version"),
        _pk("itineraries", "id"),
        _ck("itineraries", "date_order", "start_date <= end_date"),
    )
    _index("itineraries", "tenant_id", "user_id", "start_date")
    op.create_table(
        "itinerary_days",
        _uuid("tenant_id"),
        _uuid("itinerary_id"),
        _int("position"),
        sa.Column("date", sa.Date(), nullable=False),
        _str("activity_type", 50),
        _json("activity_details"),
        _pk("itinerary_days", "itinerary_id", "position"),
        _fk("itinerary_days", "itinerary_id", "itineraries", ondelete="CASCADE"),
    )
    op.create_table(
        "trips",
        _uuid("tenant_id"),
        _uuid("id"),
        _uuid("user_id"),
        _uuid("itinerary_id", nullable=True),
        _str("currency", 3),
        _num("total_amount"),
        _json("destinations"),
        _str("status", 16),
        _json("policy_flags"),
        _at("created_at"),
        _at("updated_at"),
        _int("version"),
        _pk("trips", "id"),
        _fk("trips", "itinerary_id", "itineraries"),
        _ck("trips", "status", f"status IN ({TRIP_STATUSES})"),
        _ck("trips", "total_not_negative", "total_amount >= 0"),
    )
    _index("trips", "tenant_id", "user_id", "created_at")
    op.create_table(
        "trip_items",
        _uuid("tenant_id"),
        _uuid("trip_id"),
        _int("position"),
        _str("kind", 16),
        _str("provider", 50),
        _str("external_ref", 100),
        _num("unit_price"),
        _str("currency", 3),
        _int("quantity"),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        _text("description"),
        _str("destination", 100),
        _str("cabin_class", 32, nullable=True),
        _int("hotel_stars", nullable=True),
        _pk("trip_items", "trip_id", "position"),
        _fk("trip_items", "trip_id", "trips"),
        _ck("trip_items", "kind", f"kind IN ({CATEGORIES})"),
        _ck("trip_items", "unit_price_not_negative", "unit_price >= 0"),
        _ck("trip_items", "quantity_positive", "quantity >= 1"),
    )
    op.create_table(
        "reminders",
        _uuid("tenant_id"),
        _uuid("id"),
        _uuid("trip_id"),
        _uuid("user_id"),
        _at("due_at"),
        _text("message"),
        _at("sent_at", nullable=True),
        _int("version"),
        _pk("reminders", "id"),
    )
    _index("reminders", "tenant_id", "trip_id")
    _index("reminders", "tenant_id", "due_at", where="sent_at IS NULL")
    op.create_table(
        "payments",
        _uuid("tenant_id"),
        _uuid("id"),
        _uuid("trip_id"),
        _num("amount"),
        _str("currency", 3),
        _str("provider", 50),
        _str("provider_ref", 255, nullable=True),
        _str("status", 16),
        _text("failure", nullable=True),
        _at("created_at"),
        _at("updated_at"),
        _int("version"),
        _pk("payments", "id"),
        _ck("payments", "status", f"status IN ({PAYMENT_STATUSES})"),
        _ck("payments", "amount_positive", "amount > 0"),
    )
    _index("payments", "tenant_id", "trip_id", "created_at")
    op.create_index(
        "uq_payments_provider_ref",
        "payments",
        ["tenant_id", "provider_ref"],
        unique=True,
        postgresql_where=sa.text("provider_ref IS NOT NULL"),
    )
    op.create_index(
        "uq_payments_initiated_per_trip",
        "payments",
        ["tenant_id", "trip_id"],
        unique=True,
        postgresql_where=sa.text("status = 'initiated'"),
    )
    op.create_table(
        "payment_refunds",
        _uuid("tenant_id"),
        _uuid("id"),
        _uuid("payment_id"),
        _int("position"),
        _num("amount"),
        _str("currency", 3),
        _str("provider_ref", 255, nullable=True),
        _str("status", 16),
        _at("created_at"),
        _pk("payment_refunds", "id"),
        _fk("payment_refunds", "payment_id", "payments"),
        _ck("payment_refunds", "status", f"status IN ({REFUND_STATUSES})"),
        _ck("payment_refunds", "amount_positive", "amount > 0"),
    )
    _index("payment_refunds", "tenant_id", "payment_id", "position")
    op.create_table(
        "webhook_events",
        _uuid("tenant_id"),
        _str("event_id", 255),
        _at("received_at"),
        _pk("webhook_events", "event_id"),
    )
    op.create_table(
        "accounts",
        _uuid("tenant_id"),
        _uuid("user_id"),
        _str("email", 255),
        _str("name", 100),
        _text("password_hash"),
        _at("created_at"),
        _int("version"),
        _pk("accounts", "user_id"),
        sa.UniqueConstraint("tenant_id", "email", name="uq_accounts_tenant_id_email"),
    )
    op.create_table(
        "credentials",
        _uuid("tenant_id"),
        _uuid("id"),
        _uuid("user_id"),
        _str("provider", 50),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        _at("created_at"),
        _at("updated_at"),
        _int("version"),
        _pk("credentials", "id"),
    )
    _index("credentials", "tenant_id", "user_id")
    op.create_table(
        "conversations",
        _uuid("tenant_id"),
        _uuid("id"),
        _uuid("user_id"),
        _at("started_at"),
        _at("ended_at", nullable=True),
        _int("version"),
        _pk("conversations", "id"),
    )
    _index("conversations", "tenant_id", "user_id")
    op.create_table(
        "conversation_messages",
        _uuid("tenant_id"),
        _uuid("id"),
        _uuid("conversation_id"),
        _str("role", 16),
        _str("modality", 16),
        _text("content"),
        _at("sent_at"),
        _pk("conversation_messages", "id"),
        _fk(
            "conversation_messages",
            "conversation_id",
            "conversations",
            name="fk_conversation_messages_conversations",
        ),
        _ck("conversation_messages", "role", "role IN ('user', 'agent')"),
        _ck("conversation_messages", "modality", "modality IN ('text', 'voice')"),
    )
    _index("conversation_messages", "tenant_id", "conversation_id", "sent_at")
    for table, privileges in GRANTS.items():
        for statement in tenant_rls(table):
            op.execute(statement)
        op.execute(grant(table, app_role, privileges))


def downgrade() -> None:
    for table in reversed(GRANTS):
        op.drop_table(table)
