"""Schedules count the days of the week as Python's ``date.weekday()`` does (Monday = 0 ...
Sunday = 6) instead of Sunday = 0. Stored ``days_of_week`` are renumbered; row-level
security is lifted for the owner while it does so, since the rows of every tenant move.

Revision ID: 0007_python_weekdays
Revises: 0006_checked_writes
"""

from __future__ import annotations

from alembic import op

revision = "0007_python_weekdays"
down_revision = "0006_checked_writes"
branch_labels = None
depends_on = None

TABLE = "activity_recurring_schedules"


def _renumber(update: str) -> None:
    op.execute(f"ALTER TABLE {TABLE} NO FORCE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {TABLE} DISABLE ROW LEVEL SECURITY")
    op.execute(update)
    op.execute(f"ALTER TABLE {TABLE} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {TABLE} FORCE ROW LEVEL SECURITY")


def upgrade() -> None:
    _renumber(  # Sunday 0 -> 6, Monday 1 -> 0
        "UPDATE activity_recurring_schedules SET days_of_week ="
        " ARRAY(SELECT (d + 6) % 7 FROM unnest(days_of_week) AS d ORDER BY 1)"
    )


def downgrade() -> None:
    _renumber(  # Monday 0 -> 1, Sunday 6 -> 0
        "UPDATE activity_recurring_schedules SET days_of_week ="
        " ARRAY(SELECT (d + 1) % 7 FROM unnest(days_of_week) AS d ORDER BY 1)"
    )
