"""Corporate zones: a corporate and its subscriptions carry the IANA zone whose local dates
are its billing days (``corporates.timezone``, ``corporate_subscriptions.timezone``).

Existing rows get ``UTC``: the zone their periods were computed in until now, so no period
of an existing subscription moves.

Revision ID: 0015_corporate_zones
Revises: 0014_reviews_flagged
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_corporate_zones"
down_revision = "0014_reviews_flagged"
branch_labels = None
depends_on = None

TABLES = ("corporates", "corporate_subscriptions")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(
            table, sa.Column("timezone", sa.String(64), nullable=False, server_default="UTC")
        )


def downgrade() -> None:
    for table in TABLES:
        op.drop_column(table, "timezone")
