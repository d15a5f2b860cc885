"""Balance zones: a credit balance carries the IANA zone of its corporate
(``credit_balances.timezone``): its period's days are local dates there, and it closes at
local midnight of its end date.

Existing rows get ``UTC``: the zone their periods were computed and closed in until now.

Revision ID: 0020_balance_zones
Revises: 0019_tenant_directory
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020_balance_zones"
down_revision = "0019_tenant_directory"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "credit_balances",
        sa.Column("timezone", sa.String(64), nullable=False, server_default="UTC"),
    )


def downgrade() -> None:
    op.drop_column("credit_balances", "timezone")
