"""The moderation queue: an index of each tenant's visible flagged reviews.

Revision ID: 0014_reviews_flagged
Revises: 0013_platform_settings
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_reviews_flagged"
down_revision = "0013_platform_settings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_reviews_flagged",
        "reviews",
        ["tenant_id", "submitted_at", "id"],
        postgresql_where=sa.text("is_flagged AND is_visible"),
    )


def downgrade() -> None:
    op.drop_index("ix_reviews_flagged", table_name="reviews")
