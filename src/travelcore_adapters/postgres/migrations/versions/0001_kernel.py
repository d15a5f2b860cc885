"""Kernel: idempotency keys.

Revision ID: 0001_kernel
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

from travelcore_adapters.postgres.ddl import grant, tenant_rls

revision = "0001_kernel"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    app_role = context.config.attributes["app_role"]
    op.create_table(
        "idempotency_keys",
        sa.Column("tenant_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("result", postgresql.JSONB(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "key", name="pk_idempotency_keys"),
    )
    op.create_index(
        "ix_idempotency_keys_tenant_id_created_at",
        "idempotency_keys",
        ["tenant_id", "created_at"],
    )
    for statement in tenant_rls("idempotency_keys"):
        op.execute(statement)
    op.execute(grant("idempotency_keys", app_role, "SELECT, INSERT, DELETE"))


def downgrade() -> None:
    op.drop_table("idempotency_keys")
