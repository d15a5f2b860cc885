"""Writes checked by the server: ``travelcore_require(ok, sqlstate, message)`` raises
``message`` with ``sqlstate`` unless ``ok``. A batched write that must change exactly one
row ends in it, so a refused write stops the transaction where it happened.

Revision ID: 0006_checked_writes
Revises: 0005_booking
"""

from __future__ import annotations

from alembic import context, op

from travelcore_adapters.postgres.ddl import identifier

revision = "0006_checked_writes"
down_revision = "0005_booking"
branch_labels = None
depends_on = None


def upgrade() -> None:
    app_role = context.config.attributes["app_role"]
    op.execute(
        """
        CREATE FUNCTION travelcore_require(ok boolean, sqlstate text, message text)
        RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
        BEGIN
            IF NOT ok THEN
                RAISE EXCEPTION USING ERRCODE = sqlstate, MESSAGE = message;
            END IF;
            RETURN true;
        END
        $$
        """
    )
    op.execute("REVOKE ALL ON FUNCTION travelcore_require(boolean, text, text) FROM PUBLIC")
    op.execute(
        "GRANT EXECUTE ON FUNCTION travelcore_require(boolean, text, text)"
        f" TO {identifier(app_role)}"
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION travelcore_require(boolean, text, text)")
