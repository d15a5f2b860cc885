"""Feature flags: one set per tenant (``feature_flags``).

Revision ID: 0011_feature_flags
Revises: 0010_outbox_notifications
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

from travelcore_adapters.postgres.ddl import grant, tenant_rls

revision = "0011_feature_flags"
down_revision = "0010_outbox_notifications"
branch_labels = None
depends_on = None


def upgrade() -> None:
    app_role = context.config.attributes["app_role"]
    op.create_table(
        "feature_flags",
        sa.Column("tenant_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("flag_key", sa.String(100), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category", sa.String(50), nullable=True),
        sa.Column("is_enabled", sa.Boolean(), nullable=False),
        sa.Column("rollout_percentage", sa.Integer(), nullable=False),
        sa.Column("target_roles", postgresql.ARRAY(sa.Text()), nullable=True),
        sa.Column(
            "target_corporate_ids", postgresql.ARRAY(postgresql.UUID(as_uuid=True)), nullable=False
        ),
        sa.Column(
            "target_user_ids", postgresql.ARRAY(postgresql.UUID(as_uuid=True)), nullable=False
        ),
        sa.Column("environments", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("variants", postgresql.JSONB(), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "flag_key", name="pk_feature_flags"),
        sa.CheckConstraint(
            "rollout_percentage BETWEEN 0 AND 100", name="ck_feature_flags_rollout_percentage"
        ),
        sa.CheckConstraint(
            "ends_at IS NULL OR starts_at IS NULL OR ends_at > starts_at",
            name="ck_feature_flags_window",
        ),
    )
    for statement in tenant_rls("feature_flags"):
        op.execute(statement)
    op.execute(grant("feature_flags", app_role, "SELECT, INSERT, UPDATE, DELETE"))


def downgrade() -> None:
    op.drop_table("feature_flags")
