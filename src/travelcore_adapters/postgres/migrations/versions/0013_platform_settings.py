"""Platform settings: one tenant's policy overrides (``platform_settings``).

Revision ID: 0013_platform_settings
Revises: 0012_api_keys
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

from travelcore_adapters.postgres.ddl import grant, tenant_rls

revision = "0013_platform_settings"
down_revision = "0012_api_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    app_role = context.config.attributes["app_role"]
    op.create_table(
        "platform_settings",
        sa.Column("tenant_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("overrides", postgresql.JSONB(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_platform_settings"),
    )
    for statement in tenant_rls("platform_settings"):
        op.execute(statement)
    op.execute(grant("platform_settings", app_role, "SELECT, INSERT, UPDATE"))


def downgrade() -> None:
    op.drop_table("platform_settings")
