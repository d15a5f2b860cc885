"""The transactional outbox, the consumers' inbox, and the notifications context:
notifications, per-user preferences and versioned templates.

The relay reads and updates outbox rows of every tenant: besides the tenant policy, the
outbox and the inbox let a transaction that set ``app.outbox_relay`` to ``on`` and acts for
no tenant (``app.tenant_id`` unset) reach the rows of every tenant.

Revision ID: 0010_outbox_notifications
Revises: 0009_billing
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

from travelcore_adapters.postgres.ddl import grant, identifier, tenant_rls

revision = "0010_outbox_notifications"
down_revision = "0009_billing"
branch_labels = None
depends_on = None

UUID = postgresql.UUID(as_uuid=True)
TZ = sa.DateTime(timezone=True)
CHANNELS = "channel IN ('email', 'sms', 'whatsapp', 'push', 'in_app')"
RELAY = (
    "current_setting('app.outbox_relay', true) = 'on' "
    "AND NULLIF(current_setting('app.tenant_id', true), '') IS NULL"
)


def relay_policy(table: str) -> str:
    """Rows of every tenant, for a transaction in the relay's scope that acts for no
    tenant (a tenant's own transaction never gains it)."""
    t = identifier(table)
    return f"CREATE POLICY relay ON {t} USING ({RELAY}) WITH CHECK ({RELAY})"


def upgrade() -> None:
    app_role = context.config.attributes["app_role"]
    op.create_table(
        "outbox",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("event_id", UUID, nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("aggregate", sa.Text(), nullable=False),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("payload", postgresql.JSONB(), nullable=False),
        sa.Column("occurred_at", TZ, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("available_at", TZ, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("delivered_at", TZ, nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "event_id", name="pk_outbox"),
        sa.CheckConstraint("status IN ('pending', 'delivered', 'parked')", name="ck_outbox_status"),
    )
    op.create_index(
        "ix_outbox_pending", "outbox", ["seq"], postgresql_where=sa.text("status = 'pending'")
    )
    op.create_index(
        "ix_outbox_pending_aggregate",
        "outbox",
        ["tenant_id", "aggregate", "seq"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_outbox_delivered",
        "outbox",
        ["delivered_at"],
        postgresql_where=sa.text("status = 'delivered'"),
    )
    op.create_table(
        "inbox",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("consumer", sa.String(100), nullable=False),
        sa.Column("event_id", UUID, nullable=False),
        sa.Column("handled_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "consumer", "event_id", name="pk_inbox"),
    )
    op.create_table(
        "notifications",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("id", UUID, nullable=False),
        sa.Column("user_id", UUID, nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("notification_type", sa.String(50), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("priority", sa.String(16), nullable=False),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=True),
        sa.Column("language", sa.String(10), nullable=False),
        sa.Column("data_payload", postgresql.JSONB(), nullable=False),
        sa.Column("related_entity_type", sa.String(50), nullable=True),
        sa.Column("related_entity_id", UUID, nullable=True),
        sa.Column("action_url", sa.String(500), nullable=True),
        sa.Column("scheduled_for", TZ, nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("due_at", TZ, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", TZ, nullable=True),
        sa.Column("external_delivery_id", sa.String(255), nullable=True),
        sa.Column("read_at", TZ, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_notifications"),
        sa.UniqueConstraint("tenant_id", "key", name="uq_notifications_tenant_id_key"),
        sa.CheckConstraint(CHANNELS, name="ck_notifications_channel"),
        sa.CheckConstraint(
            "priority IN ('low', 'normal', 'high', 'urgent')", name="ck_notifications_priority"
        ),
        sa.CheckConstraint(
            "status IN ('queued', 'sent', 'failed', 'parked')", name="ck_notifications_status"
        ),
    )
    op.create_index(
        "ix_notifications_user", "notifications", ["tenant_id", "user_id", "created_at"]
    )
    op.create_index(
        "ix_notifications_due",
        "notifications",
        ["tenant_id", "due_at"],
        postgresql_where=sa.text("status IN ('queued', 'failed')"),
    )
    op.create_index(
        "ix_notifications_entity",
        "notifications",
        ["tenant_id", "related_entity_id"],
        postgresql_where=sa.text("related_entity_id IS NOT NULL"),
    )
    op.create_table(
        "notification_preferences",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("user_id", UUID, nullable=False),
        sa.Column("channels", postgresql.JSONB(), nullable=False),
        sa.Column("quiet_start", sa.Time(), nullable=True),
        sa.Column("quiet_end", sa.Time(), nullable=True),
        sa.Column("quiet_timezone", sa.String(64), nullable=True),
        sa.Column("language", sa.String(10), nullable=True),
        sa.Column("addresses", postgresql.JSONB(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "user_id", name="pk_notification_preferences"),
    )
    op.create_table(
        "notification_templates",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("template_key", sa.String(100), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("language_code", sa.String(10), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=True),
        sa.Column("available_variables", postgresql.JSONB(), nullable=False),
        sa.Column("category", sa.String(50), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id",
            "template_key",
            "channel",
            "language_code",
            "version",
            name="pk_notification_templates",
        ),
        sa.CheckConstraint(CHANNELS, name="ck_notification_templates_channel"),
    )
    grants = {
        "outbox": "SELECT, INSERT, UPDATE, DELETE",
        "inbox": "SELECT, INSERT, DELETE",
        "notifications": "SELECT, INSERT, UPDATE",
        "notification_preferences": "SELECT, INSERT, UPDATE",
        "notification_templates": "SELECT, INSERT",
    }
    for table, privileges in grants.items():
        for statement in tenant_rls(table):
            op.execute(statement)
        op.execute(grant(table, app_role, privileges))
    for table in ("outbox", "inbox"):
        op.execute(relay_policy(table))


def downgrade() -> None:
    for table in (
        "notification_templates",
        "notification_preferences",
        "notifications",
        "inbox",
        "outbox",
    ):
        op.drop_table(table)
