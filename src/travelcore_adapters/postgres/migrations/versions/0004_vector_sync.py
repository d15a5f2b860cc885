"""Vectors: the sync state of each source entity's vector (``vector_sync``).

Revision ID: 0004_vector_sync
Revises: 0003_travel
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

from travelcore_adapters.postgres.ddl import grant, tenant_rls

revision = "0004_vector_sync"
down_revision = "0003_travel"
branch_labels = None
depends_on = None


def upgrade() -> None:
    app_role = context.config.attributes["app_role"]
    op.create_table(
        "vector_sync",
        sa.Column("tenant_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("namespace", sa.Text(), nullable=False),
        sa.Column("source_id", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.Text(), nullable=False),
        sa.Column("model", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "namespace", "source_id", name="pk_vector_sync"),
        sa.CheckConstraint(
            "status IN ('synced', 'failed', 'delete_pending')", name="ck_vector_sync_status"
        ),
        sa.CheckConstraint("attempts >= 0", name="ck_vector_sync_attempts_not_negative"),
    )
    op.create_index(
        "ix_vector_sync_pending",
        "vector_sync",
        ["tenant_id", "namespace", "source_id"],
        postgresql_where=sa.text("status <> 'synced'"),
    )
    for statement in tenant_rls("vector_sync"):
        op.execute(statement)
    op.execute(grant("vector_sync", app_role, "SELECT, INSERT, UPDATE, DELETE"))


def downgrade() -> None:
    op.drop_table("vector_sync")
