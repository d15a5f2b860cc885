"""Employee invitations (``employee_invitations``): the token's keyed hash, unique per
tenant; tenant row-level security.

Revision ID: 0018_invitations
Revises: 0017_audit_log
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

from travelcore_adapters.postgres.ddl import grant, tenant_rls

revision = "0018_invitations"
down_revision = "0017_audit_log"
branch_labels = None
depends_on = None


def upgrade() -> None:
    app_role = context.config.attributes["app_role"]
    uuid = postgresql.UUID(as_uuid=True)
    stamp = sa.DateTime(timezone=True)
    op.create_table(
        "employee_invitations",
        sa.Column("tenant_id", uuid, nullable=False),
        sa.Column("id", uuid, nullable=False),
        sa.Column("corporate_id", uuid, nullable=False),
        sa.Column("subscription_id", uuid, nullable=False),
        sa.Column("invited_by", uuid, nullable=True),
        sa.Column("email", sa.String(255), nullable=False),
        sa.Column("first_name", sa.String(100), nullable=False),
        sa.Column("last_name", sa.String(100), nullable=False),
        sa.Column("department", sa.String(100), nullable=True),
        sa.Column("credits_to_allocate", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(255), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("expires_at", stamp, nullable=False),
        sa.Column("accepted_user_id", uuid, nullable=True),
        sa.Column("accepted_at", stamp, nullable=True),
        sa.Column("resend_count", sa.Integer(), nullable=False),
        sa.Column("last_resent_at", stamp, nullable=True),
        sa.Column("revoked_at", stamp, nullable=True),
        sa.Column("revoked_by", uuid, nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=True),
        sa.Column("batch_import_id", uuid, nullable=True),
        sa.Column("created_at", stamp, nullable=False),
        sa.Column("updated_at", stamp, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_employee_invitations"),
        sa.UniqueConstraint(
            "tenant_id", "token_hash", name="uq_employee_invitations_tenant_id_token_hash"
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'accepted', 'revoked', 'expired')",
            name="ck_employee_invitations_status",
        ),
        sa.CheckConstraint(
            "credits_to_allocate > 0", name="ck_employee_invitations_credits_positive"
        ),
        sa.CheckConstraint("resend_count >= 0", name="ck_employee_invitations_resend_count"),
    )
    op.create_index("ix_employee_invitations_email", "employee_invitations", ["tenant_id", "email"])
    for statement in tenant_rls("employee_invitations"):
        op.execute(statement)
    op.execute(grant("employee_invitations", app_role, "SELECT, INSERT, UPDATE"))


def downgrade() -> None:
    op.drop_table("employee_invitations")
