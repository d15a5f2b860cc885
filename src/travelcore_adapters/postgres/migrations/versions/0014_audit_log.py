"""The audit log (``audit_logs``): the application role may insert and select, nothing
else; rows leave only through ``travelcore_purge_audit_logs(cutoff)``, which runs as the
owner and deletes the current tenant's rows dated before ``cutoff`` (retention).

Revision ID: 0014_audit_log
Revises: 0013_platform_settings
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

from travelcore_adapters.postgres.ddl import grant, identifier, tenant_rls

revision = "0014_audit_log"
down_revision = "0013_platform_settings"
branch_labels = None
depends_on = None

PURGE = "travelcore_purge_audit_logs(timestamp with time zone)"


def upgrade() -> None:
    app_role = context.config.attributes["app_role"]
    op.create_table(
        "audit_logs",
        sa.Column("tenant_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("user_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("actor", sa.String(255), nullable=True),
        sa.Column("actor_role", sa.String(20), nullable=True),
        sa.Column("api_key_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("action_type", sa.String(100), nullable=False),
        sa.Column("entity_type", sa.String(50), nullable=False),
        sa.Column("entity_id", sa.String(255), nullable=False),
        sa.Column("old_values", postgresql.JSONB(), nullable=True),
        sa.Column("new_values", postgresql.JSONB(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_audit_logs"),
        sa.CheckConstraint(
            "action_type IN ('create', 'update', 'delete')", name="ck_audit_logs_action_type"
        ),
    )
    op.create_index(
        "ix_audit_logs_entity",
        "audit_logs",
        ["tenant_id", "entity_type", "entity_id", "created_at", "id"],
    )
    op.create_index("ix_audit_logs_actor", "audit_logs", ["tenant_id", "actor", "created_at", "id"])
    op.create_index("ix_audit_logs_created_at", "audit_logs", ["tenant_id", "created_at", "id"])
    for statement in tenant_rls("audit_logs"):
        op.execute(statement)
    op.execute(grant("audit_logs", app_role, "SELECT, INSERT"))
    op.execute(
        """
        CREATE FUNCTION travelcore_purge_audit_logs(cutoff timestamp with time zone)
        RETURNS bigint LANGUAGE sql VOLATILE SECURITY DEFINER
        SET search_path = public, pg_temp AS $$
            WITH purged AS (
                DELETE FROM audit_logs WHERE created_at < cutoff RETURNING 1
            )
            SELECT count(*) FROM purged
        $$
        """
    )
    op.execute(f"REVOKE ALL ON FUNCTION {PURGE} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {PURGE} TO {identifier(app_role)}")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION {PURGE}")
    op.drop_table("audit_logs")
