"""Catalog, people, bookings and the waitlist: corporates, users, children, venues,
activities, recurring schedules, sessions (with the seat CHECK), bookings and the waitlist.

Revision ID: 0005_booking
Revises: 0004_vector_sync
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

from travelcore_adapters.postgres.ddl import grant, tenant_rls

revision = "0005_booking"
down_revision = "0004_vector_sync"
branch_labels = None
depends_on = None

CATEGORIES = (
    "'stem', 'arts_crafts', 'music', 'sports', 'nature', 'cooking', 'reading', 'building', "
    "'dance', 'drama'"
)
CANCELLATION_REASONS = (
    "'schedule_conflict', 'child_sick', 'found_better_option', 'venue_cancelled', 'weather', "
    "'transportation', 'other'"
)
BOOKING_STATUSES = (
    "'pending', 'confirmed', 'completed', 'cancelled_parent', 'cancelled_venue', 'no_show'"
)
REMOVED_REASONS = (
    "'user_removed', 'spot_accepted', 'spot_declined', 'spot_expired', 'session_cancelled'"
)
TABLES = (
    "corporates",
    "users",
    "children",
    "venues",
    "activities",
    "activity_recurring_schedules",
    "activity_sessions",
    "bookings",
    "waitlist",
)


def upgrade() -> None:
    app_role = context.config.attributes["app_role"]
    op.create_table(
        "corporates",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("company_name", sa.String(length=255), nullable=False),
        sa.Column("primary_contact_name", sa.String(length=255), nullable=False),
        sa.Column("primary_contact_email", sa.String(length=255), nullable=False),
        sa.Column("contract_start_date", sa.Date(), nullable=False),
        sa.Column("contract_end_date", sa.Date(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "contract_end_date IS NULL OR contract_end_date >= contract_start_date",
            name=op.f("ck_corporates_date_order"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_corporates")),
    )
    op.create_table(
        "venues",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("slug", sa.String(length=255), nullable=False),
        sa.Column("timezone", sa.String(length=50), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("insurance_coverage_amount", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("insurance_expiry_date", sa.Date(), nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending_approval', 'active', 'suspended', 'rejected')",
            name=op.f("ck_venues_status"),
        ),
        sa.CheckConstraint(
            "insurance_coverage_amount IS NULL OR insurance_coverage_amount >= 0",
            name=op.f("ck_venues_insurance_not_negative"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_venues")),
        sa.UniqueConstraint("tenant_id", "slug", name=op.f("uq_venues_tenant_id_slug")),
    )
    op.create_index(
        op.f("ix_venues_tenant_id_status_name"),
        "venues",
        ["tenant_id", "status", "name"],
        unique=False,
    )
    op.create_table(
        "activities",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("venue_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("min_age", sa.SmallInteger(), nullable=False),
        sa.Column("max_age", sa.SmallInteger(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("credits_required", sa.Integer(), nullable=False),
        sa.Column("capacity_per_session", sa.Integer(), nullable=False),
        sa.Column("tags", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("is_published", sa.Boolean(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            f"category IN ({CATEGORIES})",
            name=op.f("ck_activities_category"),
        ),
        sa.CheckConstraint(
            "capacity_per_session > 0", name=op.f("ck_activities_capacity_positive")
        ),
        sa.CheckConstraint("credits_required > 0", name=op.f("ck_activities_credits_positive")),
        sa.CheckConstraint("duration_minutes > 0", name=op.f("ck_activities_duration_positive")),
        sa.CheckConstraint(
            "min_age >= 0 AND max_age <= 18 AND min_age <= max_age",
            name=op.f("ck_activities_age_range"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "venue_id"],
            ["venues.tenant_id", "venues.id"],
            name=op.f("fk_activities_tenant_id_venue_id_venues"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_activities")),
    )
    op.create_index(
        op.f("ix_activities_tenant_id_venue_id"),
        "activities",
        ["tenant_id", "venue_id"],
        unique=False,
    )
    op.create_table(
        "users",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("corporate_id", sa.UUID(), nullable=True),
        sa.Column("venue_id", sa.UUID(), nullable=True),
        sa.Column("timezone", sa.String(length=50), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "role IN ('parent', 'hr_admin', 'venue_admin', 'platform_admin')",
            name=op.f("ck_users_role"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "corporate_id"],
            ["corporates.tenant_id", "corporates.id"],
            name=op.f("fk_users_tenant_id_corporate_id_corporates"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_users")),
        sa.UniqueConstraint("tenant_id", "email", name=op.f("uq_users_tenant_id_email")),
    )
    op.create_index(
        op.f("ix_users_tenant_id_corporate_id"),
        "users",
        ["tenant_id", "corporate_id"],
        unique=False,
    )
    op.create_table(
        "activity_recurring_schedules",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("activity_id", sa.UUID(), nullable=False),
        sa.Column("schedule_name", sa.String(length=100), nullable=True),
        sa.Column("days_of_week", postgresql.ARRAY(sa.SmallInteger()), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_until", sa.Date(), nullable=True),
        sa.Column("timezone", sa.String(length=50), nullable=False),
        sa.Column("platform_allocated_spots", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("sessions_generated_until", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "capacity > 0", name=op.f("ck_activity_recurring_schedules_capacity_positive")
        ),
        sa.CheckConstraint(
            "duration_minutes > 0", name=op.f("ck_activity_recurring_schedules_duration_positive")
        ),
        sa.CheckConstraint(
            "effective_until IS NULL OR effective_until >= effective_from",
            name=op.f("ck_activity_recurring_schedules_date_order"),
        ),
        sa.CheckConstraint(
            "platform_allocated_spots BETWEEN 0 AND capacity",
            name=op.f("ck_activity_recurring_schedules_platform_spots_in_capacity"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "activity_id"],
            ["activities.tenant_id", "activities.id"],
            name=op.f("fk_activity_recurring_schedules_tenant_id_activity_id_activities"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_activity_recurring_schedules")),
    )
    op.create_index(
        op.f("ix_activity_recurring_schedules_tenant_id_effective_from"),
        "activity_recurring_schedules",
        ["tenant_id", "effective_from"],
        unique=False,
        postgresql_where=sa.text("is_active"),
    )
    op.create_table(
        "children",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("parent_id", sa.UUID(), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("interests", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("activities_to_avoid", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("accessibility_needs", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("parental_consent_given", sa.Boolean(), nullable=False),
        sa.Column("parental_consent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "parent_id"],
            ["users.tenant_id", "users.id"],
            name=op.f("fk_children_tenant_id_parent_id_users"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_children")),
    )
    op.create_index(
        op.f("ix_children_tenant_id_parent_id"),
        "children",
        ["tenant_id", "parent_id"],
        unique=False,
    )
    op.create_table(
        "activity_sessions",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("activity_id", sa.UUID(), nullable=False),
        sa.Column("venue_id", sa.UUID(), nullable=False),
        sa.Column("recurring_schedule_id", sa.UUID(), nullable=True),
        sa.Column("session_date", sa.Date(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("end_time", sa.Time(), nullable=False),
        sa.Column("timezone", sa.String(length=50), nullable=False),
        sa.Column("time_of_day", sa.String(length=16), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("total_capacity", sa.Integer(), nullable=False),
        sa.Column("booked_count", sa.Integer(), nullable=False),
        sa.Column("offered_count", sa.Integer(), nullable=False),
        sa.Column("platform_allocated_spots", sa.Integer(), nullable=False),
        sa.Column("is_cancelled", sa.Boolean(), nullable=False),
        sa.Column("cancellation_reason", sa.Text(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by", sa.Text(), nullable=True),
        sa.Column("is_completed", sa.Boolean(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("inventory_released", sa.Boolean(), nullable=False),
        sa.Column("inventory_released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "time_of_day IN ('morning', 'afternoon', 'evening')",
            name=op.f("ck_activity_sessions_time_of_day"),
        ),
        sa.CheckConstraint(
            "booked_count + offered_count <= total_capacity",
            name=op.f("ck_activity_sessions_seats_in_capacity"),
        ),
        sa.CheckConstraint(
            "booked_count >= 0 AND offered_count >= 0 AND platform_allocated_spots >= 0",
            name=op.f("ck_activity_sessions_counts_not_negative"),
        ),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_activity_sessions_time_order")),
        sa.CheckConstraint(
            "total_capacity > 0", name=op.f("ck_activity_sessions_capacity_positive")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "activity_id"],
            ["activities.tenant_id", "activities.id"],
            name=op.f("fk_activity_sessions_tenant_id_activity_id_activities"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "recurring_schedule_id"],
            ["activity_recurring_schedules.tenant_id", "activity_recurring_schedules.id"],
            name=op.f(
                "fk_activity_sessions_tenant_id_recurring_schedule_id_activity_recurring_schedules"
            ),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "venue_id"],
            ["venues.tenant_id", "venues.id"],
            name=op.f("fk_activity_sessions_tenant_id_venue_id_venues"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_activity_sessions")),
    )
    op.create_index(
        op.f("ix_activity_sessions_tenant_id_activity_id_session_date"),
        "activity_sessions",
        ["tenant_id", "activity_id", "session_date"],
        unique=False,
    )
    op.create_index(
        op.f("ix_activity_sessions_tenant_id_starts_at"),
        "activity_sessions",
        ["tenant_id", "starts_at"],
        unique=False,
        postgresql_where=sa.text("NOT inventory_released"),
    )
    op.create_index(
        "uq_activity_sessions_schedule_date",
        "activity_sessions",
        ["tenant_id", "recurring_schedule_id", "session_date"],
        unique=True,
        postgresql_where=sa.text("recurring_schedule_id IS NOT NULL"),
    )
    op.create_table(
        "bookings",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("session_id", sa.UUID(), nullable=False),
        sa.Column("child_id", sa.UUID(), nullable=False),
        sa.Column("booked_by", sa.UUID(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("credits_charged", sa.Integer(), nullable=False),
        sa.Column("balance_id", sa.UUID(), nullable=False),
        sa.Column("hold_id", sa.UUID(), nullable=True),
        sa.Column("group_booking_id", sa.UUID(), nullable=True),
        sa.Column("original_booking_id", sa.UUID(), nullable=True),
        sa.Column("waitlist_entry_id", sa.UUID(), nullable=True),
        sa.Column("confirmation_code", sa.String(length=20), nullable=False),
        sa.Column("booking_source", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancellation_reason", sa.String(length=32), nullable=True),
        sa.Column("cancellation_notes", sa.Text(), nullable=True),
        sa.Column("refund_eligible", sa.Boolean(), nullable=True),
        sa.Column("credits_refunded", sa.Integer(), nullable=False),
        sa.Column("attendance_marked", sa.Boolean(), nullable=False),
        sa.Column("attendance_marked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attendance_marked_by", sa.Text(), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "booking_source IN ('browse', 'suggestion', 'search', 'waitlist', 'rebook')",
            name=op.f("ck_bookings_source"),
        ),
        sa.CheckConstraint(
            f"cancellation_reason IS NULL OR cancellation_reason IN ({CANCELLATION_REASONS})",
            name=op.f("ck_bookings_cancellation_reason"),
        ),
        sa.CheckConstraint(
            f"status IN ({BOOKING_STATUSES})",
            name=op.f("ck_bookings_status"),
        ),
        sa.CheckConstraint("credits_charged > 0", name=op.f("ck_bookings_credits_positive")),
        sa.CheckConstraint(
            "credits_refunded BETWEEN 0 AND credits_charged",
            name=op.f("ck_bookings_refund_within_charge"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "balance_id"],
            ["credit_balances.tenant_id", "credit_balances.id"],
            name=op.f("fk_bookings_tenant_id_balance_id_credit_balances"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "booked_by"],
            ["users.tenant_id", "users.id"],
            name=op.f("fk_bookings_tenant_id_booked_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "child_id"],
            ["children.tenant_id", "children.id"],
            name=op.f("fk_bookings_tenant_id_child_id_children"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "original_booking_id"],
            ["bookings.tenant_id", "bookings.id"],
            name=op.f("fk_bookings_tenant_id_original_booking_id_bookings"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "session_id"],
            ["activity_sessions.tenant_id", "activity_sessions.id"],
            name=op.f("fk_bookings_tenant_id_session_id_activity_sessions"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_bookings")),
        sa.UniqueConstraint(
            "tenant_id", "confirmation_code", name=op.f("uq_bookings_tenant_id_confirmation_code")
        ),
    )
    op.create_index(
        op.f("ix_bookings_tenant_id_booked_by_created_at"),
        "bookings",
        ["tenant_id", "booked_by", "created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_bookings_tenant_id_group_booking_id"),
        "bookings",
        ["tenant_id", "group_booking_id"],
        unique=False,
        postgresql_where=sa.text("group_booking_id IS NOT NULL"),
    )
    op.create_index(
        op.f("ix_bookings_tenant_id_session_id_created_at"),
        "bookings",
        ["tenant_id", "session_id", "created_at"],
        unique=False,
    )
    op.create_index(
        "uq_bookings_active_child_session",
        "bookings",
        ["tenant_id", "session_id", "child_id"],
        unique=True,
        postgresql_where=sa.text("status IN ('pending', 'confirmed')"),
    )
    op.create_table(
        "waitlist",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("session_id", sa.UUID(), nullable=False),
        sa.Column("child_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("spot_offered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("spot_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("response", sa.String(length=16), nullable=True),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("converted_booking_id", sa.UUID(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed_reason", sa.String(length=32), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            f"removed_reason IS NULL OR removed_reason IN ({REMOVED_REASONS})",
            name=op.f("ck_waitlist_removed_reason"),
        ),
        sa.CheckConstraint(
            "response IS NULL OR response IN ('accepted', 'declined', 'expired')",
            name=op.f("ck_waitlist_response"),
        ),
        sa.CheckConstraint("position >= 1", name=op.f("ck_waitlist_position_positive")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "child_id"],
            ["children.tenant_id", "children.id"],
            name=op.f("fk_waitlist_tenant_id_child_id_children"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "session_id"],
            ["activity_sessions.tenant_id", "activity_sessions.id"],
            name=op.f("fk_waitlist_tenant_id_session_id_activity_sessions"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "user_id"],
            ["users.tenant_id", "users.id"],
            name=op.f("fk_waitlist_tenant_id_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_waitlist")),
        sa.UniqueConstraint(
            "tenant_id",
            "session_id",
            "child_id",
            name=op.f("uq_waitlist_tenant_id_session_id_child_id"),
        ),
    )
    op.create_index(
        op.f("ix_waitlist_tenant_id_spot_expires_at"),
        "waitlist",
        ["tenant_id", "spot_expires_at"],
        unique=False,
        postgresql_where=sa.text("is_active AND spot_offered_at IS NOT NULL"),
    )
    for table in TABLES:
        for statement in tenant_rls(table):
            op.execute(statement)
        op.execute(grant(table, app_role, "SELECT, INSERT, UPDATE"))


def downgrade() -> None:

    op.drop_table("waitlist")
    op.drop_table("bookings")
    op.drop_table("activity_sessions")
    op.drop_table("children")
    op.drop_table("activity_recurring_schedules")
    op.drop_table("users")
    op.drop_table("activities")
    op.drop_table("venues")
    op.drop_table("corporates")
