"""The tenant directory: a transaction that sets ``app.tenant_directory`` to ``on`` and acts
for no tenant (``app.tenant_id`` unset) may read every row of ``tenants`` (never write),
so that a job can run for all tenants. A tenant's own transaction never gains it.

Revision ID: 0019_tenant_directory
Revises: 0018_invitations
"""

from __future__ import annotations

from alembic import op

revision = "0019_tenant_directory"
down_revision = "0018_invitations"
branch_labels = None
depends_on = None

DIRECTORY = (
    "current_setting('app.tenant_directory', true) = 'on' "
    "AND NULLIF(current_setting('app.tenant_id', true), '') IS NULL"
)


def upgrade() -> None:
    op.execute(f"CREATE POLICY tenant_directory ON tenants FOR SELECT USING ({DIRECTORY})")


def downgrade() -> None:
    op.execute("DROP POLICY tenant_directory ON tenants")
