"""Tables of the catalog (seed 003 ``venues``, ``activities``,
``activity_recurring_schedules``, ``activity_sessions``), with ``tenant_id`` leading every
key. ``activity_sessions`` backs up the seat invariant with a CHECK constraint
(``booked_count + offered_count <= total_capacity``), reported as ``CapacityExceeded``."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID

from travelcore.catalog import ActivityCategory, TimeOfDay, VenueStatus
from travelcore.kernel import CapacityExceeded
from travelcore_adapters.postgres.errors import register_constraint
from travelcore_adapters.postgres.tables.base import one_of, tenant_table

VENUE_STATUSES = [s.value for s in VenueStatus]
CATEGORIES = [c.value for c in ActivityCategory]
TIMES_OF_DAY = [t.value for t in TimeOfDay]

venues = tenant_table(
    "venues",
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("name", String(255), nullable=False),
    Column("slug", String(255), nullable=False),
    Column("timezone", String(50), nullable=False),
    Column("status", String(32), nullable=False),
    Column("insurance_coverage_amount", Numeric(12, 2), nullable=True),
    Column("insurance_expiry_date", Date, nullable=True),
    Column("rejection_reason", Text, nullable=True),
    Column("approved_at", DateTime(timezone=True), nullable=True),
    Column("version", Integer, nullable=False),
    PrimaryKeyConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "slug"),
    CheckConstraint(one_of("status", VENUE_STATUSES), name="status"),
    CheckConstraint(
        "insurance_coverage_amount IS NULL OR insurance_coverage_amount >= 0",
        name="insurance_not_negative",
    ),
)
Index(None, venues.c.tenant_id, venues.c.status, venues.c.name)

activities = tenant_table(
    "activities",
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("venue_id", UUID(as_uuid=True), nullable=False),
    Column("name", String(255), nullable=False),
    Column("category", String(32), nullable=False),
    Column("min_age", SmallInteger, nullable=False),
    Column("max_age", SmallInteger, nullable=False),
    Column("duration_minutes", Integer, nullable=False),
    Column("credits_required", Integer, nullable=False),
    Column("capacity_per_session", Integer, nullable=False),
    Column("tags", ARRAY(Text), nullable=False),
    Column("is_published", Boolean, nullable=False),
    Column("is_active", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    PrimaryKeyConstraint("tenant_id", "id"),
    ForeignKeyConstraint(["tenant_id", "venue_id"], ["venues.tenant_id", "venues.id"]),
    CheckConstraint(one_of("category", CATEGORIES), name="category"),
    CheckConstraint("min_age >= 0 AND max_age <= 18 AND min_age <= max_age", name="age_range"),
    CheckConstraint("duration_minutes > 0", name="duration_positive"),
    CheckConstraint("credits_required > 0", name="credits_positive"),
    CheckConstraint("capacity_per_session > 0", name="capacity_positive"),
)
Index(None, activities.c.tenant_id, activities.c.venue_id)

activity_recurring_schedules = tenant_table(
    "activity_recurring_schedules",
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("activity_id", UUID(as_uuid=True), nullable=False),
    Column("schedule_name", String(100), nullable=True),
    Column("days_of_week", ARRAY(SmallInteger), nullable=False),
    Column("start_time", Time, nullable=False),
    Column("duration_minutes", Integer, nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("effective_from", Date, nullable=False),
    Column("effective_until", Date, nullable=True),
    Column("timezone", String(50), nullable=False),
    Column("platform_allocated_spots", Integer, nullable=False),
    Column("is_active", Boolean, nullable=False),
    Column("sessions_generated_until", Date, nullable=True),
    Column("version", Integer, nullable=False),
    PrimaryKeyConstraint("tenant_id", "id"),
    ForeignKeyConstraint(["tenant_id", "activity_id"], ["activities.tenant_id", "activities.id"]),
    CheckConstraint("duration_minutes > 0", name="duration_positive"),
    CheckConstraint("capacity > 0", name="capacity_positive"),
    CheckConstraint(
        "platform_allocated_spots BETWEEN 0 AND capacity", name="platform_spots_in_capacity"
    ),
    CheckConstraint(
        "effective_until IS NULL OR effective_until >= effective_from", name="date_order"
    ),
)
Index(
    None,
    activity_recurring_schedules.c.tenant_id,
    activity_recurring_schedules.c.effective_from,
    postgresql_where=text("is_active"),
)

activity_sessions = tenant_table(
    "activity_sessions",
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("activity_id", UUID(as_uuid=True), nullable=False),
    Column("venue_id", UUID(as_uuid=True), nullable=False),
    Column("recurring_schedule_id", UUID(as_uuid=True), nullable=True),
    Column("session_date", Date, nullable=False),
    Column("start_time", Time, nullable=False),
    Column("end_time", Time, nullable=False),
    Column("timezone", String(50), nullable=False),
    Column("time_of_day", String(16), nullable=False),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("ends_at", DateTime(timezone=True), nullable=False),
    Column("total_capacity", Integer, nullable=False),
    Column("booked_count", Integer, nullable=False),
    Column("offered_count", Integer, nullable=False),
    Column("platform_allocated_spots", Integer, nullable=False),
    Column("is_cancelled", Boolean, nullable=False),
    Column("cancellation_reason", Text, nullable=True),
    Column("cancelled_at", DateTime(timezone=True), nullable=True),
    Column("cancelled_by", Text, nullable=True),
    Column("is_completed", Boolean, nullable=False),
    Column("completed_at", DateTime(timezone=True), nullable=True),
    Column("inventory_released", Boolean, nullable=False),
    Column("inventory_released_at", DateTime(timezone=True), nullable=True),
    Column("version", Integer, nullable=False),
    PrimaryKeyConstraint("tenant_id", "id"),
    ForeignKeyConstraint(["tenant_id", "activity_id"], ["activities.tenant_id", "activities.id"]),
    ForeignKeyConstraint(["tenant_id", "venue_id"], ["venues.tenant_id", "venues.id"]),
    ForeignKeyConstraint(
        ["tenant_id", "recurring_schedule_id"],
        ["activity_recurring_schedules.tenant_id", "activity_recurring_schedules.id"],
    ),
    CheckConstraint(one_of("time_of_day", TIMES_OF_DAY), name="time_of_day"),
    CheckConstraint("ends_at > starts_at", name="time_order"),
    CheckConstraint("total_capacity > 0", name="capacity_positive"),
    CheckConstraint(
        "booked_count >= 0 AND offered_count >= 0 AND platform_allocated_spots >= 0",
        name="counts_not_negative",
    ),
    CheckConstraint("booked_count + offered_count <= total_capacity", name="seats_in_capacity"),
)
Index(
    "uq_activity_sessions_schedule_date",
    activity_sessions.c.tenant_id,
    activity_sessions.c.recurring_schedule_id,
    activity_sessions.c.session_date,
    unique=True,
    postgresql_where=activity_sessions.c.recurring_schedule_id.is_not(None),
)
Index(
    None,
    activity_sessions.c.tenant_id,
    activity_sessions.c.activity_id,
    activity_sessions.c.session_date,
)
Index(
    None,
    activity_sessions.c.tenant_id,
    activity_sessions.c.starts_at,
    postgresql_where=text("NOT inventory_released"),
)


def _over_capacity(detail: str) -> CapacityExceeded:
    return CapacityExceeded(f"seats exceed the session's capacity ({detail})")


register_constraint("ck_activity_sessions_seats_in_capacity", _over_capacity)
