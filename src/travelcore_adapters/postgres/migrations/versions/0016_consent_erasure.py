"""Privacy: consent texts and records, data export requests, children's deletion
schedule, and the deletes and updates erasure and retention need.

Revision ID: 0016_consent_erasure
Revises: 0015_corporate_zones
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

from travelcore_adapters.postgres.ddl import grant, tenant_rls

revision = "0016_consent_erasure"
down_revision = "0015_corporate_zones"
branch_labels = None
depends_on = None

KINDS = "consent_type IN ('data_processing', 'photos', 'ai_personalisation')"
METHODS = "consent_method IN ('checkbox', 'signature', 'email_verification')"
STATUSES = "status IN ('requested', 'processing', 'ready', 'downloaded', 'expired')"
ERASURE_GRANTS = {
    "children": "DELETE",
    "notifications": "DELETE",
    "conversations": "DELETE",
    "conversation_messages": "UPDATE, DELETE",
}
"""Erasure deletes a child's profile and the notifications about it and rewrites its name
in chat messages; retention deletes ended conversations."""


def _uuid(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, postgresql.UUID(as_uuid=True), nullable=nullable)


def _at(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    app_role = context.config.attributes["app_role"]
    op.add_column("children", _at("deletion_requested_at"))
    op.add_column("children", sa.Column("deletion_scheduled_for", sa.Date(), nullable=True))
    op.create_index(
        "ix_children_deletion_pending",
        "children",
        ["tenant_id", "deletion_scheduled_for"],
        postgresql_where=sa.text("deletion_scheduled_for IS NOT NULL"),
    )
    op.create_table(
        "consent_texts",
        _uuid("tenant_id"),
        sa.Column("consent_type", sa.String(50), nullable=False),
        sa.Column("consent_version", sa.Integer(), nullable=False),
        sa.Column("consent_text", sa.Text(), nullable=False),
        _at("published_at", nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "consent_type", "consent_version", name="pk_consent_texts"
        ),
        sa.CheckConstraint(KINDS, name="ck_consent_texts_consent_type"),
    )
    op.create_table(
        "parental_consent_records",
        _uuid("tenant_id"),
        _uuid("id"),
        _uuid("parent_id"),
        _uuid("child_id"),
        sa.Column("consent_type", sa.String(50), nullable=False),
        sa.Column("consent_version", sa.Integer(), nullable=False),
        sa.Column("consent_given", sa.Boolean(), nullable=False),
        sa.Column("consent_method", sa.String(50), nullable=False),
        sa.Column("consent_text", sa.Text(), nullable=False),
        sa.Column("ip_address", sa.String(45), nullable=True),
        sa.Column("user_agent", sa.Text(), nullable=True),
        sa.Column("withdrawal_reason", sa.Text(), nullable=True),
        _at("consented_at", nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_parental_consent_records"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "child_id"],
            ["children.tenant_id", "children.id"],
            name="fk_parental_consent_records_tenant_id_child_id_children",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "parent_id"],
            ["users.tenant_id", "users.id"],
            name="fk_parental_consent_records_tenant_id_parent_id_users",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "consent_type", "consent_version"],
            [
                "consent_texts.tenant_id",
                "consent_texts.consent_type",
                "consent_texts.consent_version",
            ],
            name="fk_parental_consent_records_consent_texts",
        ),
        sa.CheckConstraint(METHODS, name="ck_parental_consent_records_consent_method"),
    )
    for column in ("child_id", "parent_id"):
        op.create_index(
            f"ix_parental_consent_records_tenant_id_{column}",
            "parental_consent_records",
            ["tenant_id", column],
        )
    op.create_table(
        "data_export_requests",
        _uuid("tenant_id"),
        _uuid("id"),
        _uuid("user_id"),
        sa.Column("export_type", sa.String(50), nullable=False),
        sa.Column("format", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        _at("requested_at", nullable=False),
        _at("started_at"),
        _at("completed_at"),
        sa.Column("document", postgresql.JSONB(), nullable=True),
        sa.Column("file_size_bytes", sa.BigInteger(), nullable=True),
        _at("file_expires_at"),
        sa.Column("download_count", sa.Integer(), nullable=False),
        _at("last_downloaded_at"),
        sa.Column("request_ip", sa.String(45), nullable=True),
        sa.Column("request_user_agent", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_data_export_requests"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "user_id"],
            ["users.tenant_id", "users.id"],
            name="fk_data_export_requests_tenant_id_user_id_users",
        ),
        sa.CheckConstraint(STATUSES, name="ck_data_export_requests_status"),
    )
    op.create_index(
        "ix_data_export_requests_tenant_id_user_id",
        "data_export_requests",
        ["tenant_id", "user_id"],
    )
    op.create_index(
        "ix_data_export_requests_open",
        "data_export_requests",
        ["tenant_id", "status"],
        postgresql_where=sa.text("status IN ('requested', 'processing', 'ready')"),
    )
    for table in ("consent_texts", "parental_consent_records", "data_export_requests"):
        for statement in tenant_rls(table):
            op.execute(statement)
    op.execute(grant("consent_texts", app_role, "SELECT, INSERT"))
    op.execute(grant("parental_consent_records", app_role, "SELECT, INSERT, DELETE"))
    op.execute(grant("data_export_requests", app_role, "SELECT, INSERT, UPDATE"))
    for table, privileges in ERASURE_GRANTS.items():
        op.execute(grant(table, app_role, privileges))


def downgrade() -> None:
    app_role = context.config.attributes["app_role"]
    for table, privileges in ERASURE_GRANTS.items():
        op.execute(f"REVOKE {privileges} ON {table} FROM {app_role}")
    op.drop_table("data_export_requests")
    op.drop_table("parental_consent_records")
    op.drop_table("consent_texts")
    op.drop_index("ix_children_deletion_pending", table_name="children")
    op.drop_column("children", "deletion_scheduled_for")
    op.drop_column("children", "deletion_requested_at")
