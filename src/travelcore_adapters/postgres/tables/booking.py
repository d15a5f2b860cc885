"""Tables of bookings and the waitlist (seed 003 ``bookings``, ``waitlist``), with
``tenant_id`` leading every key. A child holds at most one pending or confirmed booking
per session (a partial unique index); confirmation codes are unique per tenant."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import UUID

from travelcore.booking import BookingSource, BookingStatus, CancellationReason, RemovalReason
from travelcore.booking.waitlist import OfferResponse
from travelcore_adapters.postgres.tables.base import one_of, tenant_table

STATUSES = [s.value for s in BookingStatus]
SOURCES = [s.value for s in BookingSource]
REASONS = [r.value for r in CancellationReason]
RESPONSES = [r.value for r in OfferResponse]
REMOVALS = [r.value for r in RemovalReason]

bookings = tenant_table(
    "bookings",
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("session_id", UUID(as_uuid=True), nullable=False),
    Column("child_id", UUID(as_uuid=True), nullable=False),
    Column("booked_by", UUID(as_uuid=True), nullable=False),
    Column("status", String(32), nullable=False),
    Column("credits_charged", Integer, nullable=False),
    Column("balance_id", UUID(as_uuid=True), nullable=False),
    Column("hold_id", UUID(as_uuid=True), nullable=True),
    Column("group_booking_id", UUID(as_uuid=True), nullable=True),
    Column("original_booking_id", UUID(as_uuid=True), nullable=True),
    Column("waitlist_entry_id", UUID(as_uuid=True), nullable=True),
    Column("confirmation_code", String(20), nullable=False),
    Column("booking_source", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("confirmed_at", DateTime(timezone=True), nullable=True),
    Column("cancelled_at", DateTime(timezone=True), nullable=True),
    Column("cancellation_reason", String(32), nullable=True),
    Column("cancellation_notes", Text, nullable=True),
    Column("refund_eligible", Boolean, nullable=True),
    Column("credits_refunded", Integer, nullable=False),
    Column("attendance_marked", Boolean, nullable=False),
    Column("attendance_marked_at", DateTime(timezone=True), nullable=True),
    Column("attendance_marked_by", Text, nullable=True),
    Column("completed_at", DateTime(timezone=True), nullable=True),
    Column("version", Integer, nullable=False),
    PrimaryKeyConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "confirmation_code"),
    ForeignKeyConstraint(
        ["tenant_id", "session_id"], ["activity_sessions.tenant_id", "activity_sessions.id"]
    ),
    ForeignKeyConstraint(["tenant_id", "child_id"], ["children.tenant_id", "children.id"]),
    ForeignKeyConstraint(["tenant_id", "booked_by"], ["users.tenant_id", "users.id"]),
    ForeignKeyConstraint(
        ["tenant_id", "balance_id"], ["credit_balances.tenant_id", "credit_balances.id"]
    ),
    ForeignKeyConstraint(
        ["tenant_id", "original_booking_id"], ["bookings.tenant_id", "bookings.id"]
    ),
    CheckConstraint(one_of("status", STATUSES), name="status"),
    CheckConstraint(one_of("booking_source", SOURCES), name="source"),
    CheckConstraint(
        "cancellation_reason IS NULL OR " + one_of("cancellation_reason", REASONS),
        name="cancellation_reason",
    ),
    CheckConstraint("credits_charged > 0", name="credits_positive"),
    CheckConstraint("credits_refunded BETWEEN 0 AND credits_charged", name="refund_within_charge"),
)
Index(
    "uq_bookings_active_child_session",
    bookings.c.tenant_id,
    bookings.c.session_id,
    bookings.c.child_id,
    unique=True,
    postgresql_where=bookings.c.status.in_(["pending", "confirmed"]),
)
Index(None, bookings.c.tenant_id, bookings.c.session_id, bookings.c.created_at)
Index(None, bookings.c.tenant_id, bookings.c.booked_by, bookings.c.created_at)
Index(
    None,
    bookings.c.tenant_id,
    bookings.c.group_booking_id,
    postgresql_where=bookings.c.group_booking_id.is_not(None),
)

waitlist = tenant_table(
    "waitlist",
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("session_id", UUID(as_uuid=True), nullable=False),
    Column("child_id", UUID(as_uuid=True), nullable=False),
    Column("user_id", UUID(as_uuid=True), nullable=False),
    Column("position", Integer, nullable=False),
    Column("joined_at", DateTime(timezone=True), nullable=False),
    Column("spot_offered_at", DateTime(timezone=True), nullable=True),
    Column("spot_expires_at", DateTime(timezone=True), nullable=True),
    Column("response", String(16), nullable=True),
    Column("responded_at", DateTime(timezone=True), nullable=True),
    Column("converted_booking_id", UUID(as_uuid=True), nullable=True),
    Column("is_active", Boolean, nullable=False),
    Column("removed_at", DateTime(timezone=True), nullable=True),
    Column("removed_reason", String(32), nullable=True),
    Column("version", Integer, nullable=False),
    PrimaryKeyConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "session_id", "child_id"),
    ForeignKeyConstraint(
        ["tenant_id", "session_id"], ["activity_sessions.tenant_id", "activity_sessions.id"]
    ),
    ForeignKeyConstraint(["tenant_id", "child_id"], ["children.tenant_id", "children.id"]),
    ForeignKeyConstraint(["tenant_id", "user_id"], ["users.tenant_id", "users.id"]),
    CheckConstraint("position >= 1", name="position_positive"),
    CheckConstraint("response IS NULL OR " + one_of("response", RESPONSES), name="response"),
    CheckConstraint(
        "removed_reason IS NULL OR " + one_of("removed_reason", REMOVALS), name="removed_reason"
    ),
)
Index(
    None,
    waitlist.c.tenant_id,
    waitlist.c.spot_expires_at,
    postgresql_where=text("is_active AND spot_offered_at IS NOT NULL"),
)
