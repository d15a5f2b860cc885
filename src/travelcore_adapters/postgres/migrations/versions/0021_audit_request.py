"""The request an audit entry was made in (seed 003 ``audit_logs``): the client's address,
its user agent (at most 512 characters), the request id that correlates application logs and
the sign-in session, with indexes for the queries by request id and by address.

Revision ID: 0021_audit_request
Revises: 0020_balance_zones
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0021_audit_request"
down_revision = "0020_balance_zones"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("audit_logs", sa.Column("ip_address", postgresql.INET(), nullable=True))
    op.add_column("audit_logs", sa.Column("user_agent", sa.Text(), nullable=True))
    op.add_column("audit_logs", sa.Column("request_id", sa.String(255), nullable=True))
    op.add_column("audit_logs", sa.Column("session_id", sa.String(255), nullable=True))
    op.execute(
        "ALTER TABLE audit_logs ADD CONSTRAINT ck_audit_logs_user_agent_length "
        "CHECK (char_length(user_agent) <= 512)"
    )
    for column in ("request_id", "ip_address"):
        op.create_index(
            f"ix_audit_logs_{column}",
            "audit_logs",
            ["tenant_id", column, "created_at", "id"],
            postgresql_where=sa.text(f"{column} IS NOT NULL"),
        )


def downgrade() -> None:
    for column in ("ip_address", "request_id"):
        op.drop_index(f"ix_audit_logs_{column}", "audit_logs")
    op.drop_constraint("ck_audit_logs_user_agent_length", "audit_logs")
    for column in ("session_id", "request_id", "user_agent", "ip_address"):
        op.drop_column("audit_logs", column)
