"""The audit log (``audit_logs``): the application role may insert and select, nothing
else. Rows change only through two functions that run as the owner, on the current
tenant's rows: ``travelcore_purge_audit_logs(cutoff)`` deletes those dated before
``cutoff`` (retention); ``travelcore_forget_in_audit_logs(subject, replacement)`` deletes
those of the entity ``subject`` and writes ``replacement`` for ``subject`` in the others'
values (erasure).

Revision ID: 0017_audit_log
Revises: 0016_consent_erasure
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

from travelcore_adapters.postgres.ddl import grant, identifier, tenant_rls

revision = "0017_audit_log"
down_revision = "0016_consent_erasure"
branch_labels = None
depends_on = None

PURGE = "travelcore_purge_audit_logs(timestamp with time zone)"
FORGET = "travelcore_forget_in_audit_logs(uuid, uuid)"


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
    op.execute(
        """
        CREATE FUNCTION travelcore_forget_in_audit_logs(subject uuid, replacement uuid)
        RETURNS bigint LANGUAGE plpgsql VOLATILE SECURITY DEFINER
        SET search_path = public, pg_temp AS $$
        DECLARE
            removed bigint;
            rewritten bigint;
        BEGIN
            DELETE FROM audit_logs WHERE entity_id = subject::text;
            GET DIAGNOSTICS removed = ROW_COUNT;
            UPDATE audit_logs SET
                old_values = replace(old_values::text, subject::text, replacement::text)::jsonb,
                new_values = replace(new_values::text, subject::text, replacement::text)::jsonb
            WHERE strpos(concat(old_values::text, new_values::text), subject::text) > 0;
            GET DIAGNOSTICS rewritten = ROW_COUNT;
            RETURN removed + rewritten;
        END
        $$
        """
    )
    for function in (PURGE, FORGET):
        op.execute(f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {function} TO {identifier(app_role)}")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION {FORGET}")
    op.execute(f"DROP FUNCTION {PURGE}")
    op.drop_table("audit_logs")
