"""Tables of the travel context (seed 002, with ``tenant_id`` leading every key).

``tenants`` holds the tenant's own row; ``travel_policies`` are key -> JSON rules;
``itineraries`` with their days in ``itinerary_days`` (seed ``itinerary_details``);
``trips`` are multi-part bookings (seed ``bookings``) with priced ``trip_items``;
``reminders`` fall due before departure. Money is a numeric amount and a currency column.
"""

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
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from travelcore.travel import CabinClass, Category, PolicyKey, Severity, TripStatus
from travelcore_adapters.postgres.tables.base import tenant_table


def one_of(column: str, values: list[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


POLICY_KEYS = [k.value for k in PolicyKey]
SEVERITIES = [s.value for s in Severity]
CABIN_CLASSES = [c.value for c in CabinClass]
CATEGORIES = [c.value for c in Category]
TRIP_STATUSES = [s.value for s in TripStatus]

tenants = tenant_table(
    "tenants",
    Column("name", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),
    PrimaryKeyConstraint("tenant_id"),
)

travel_policies = tenant_table(
    "travel_policies",
    Column("policy_key", String(100), nullable=False),
    Column("policy_value", JSONB, nullable=False),
    Column("severity", String(16), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),
    PrimaryKeyConstraint("tenant_id", "policy_key"),
    CheckConstraint(one_of("policy_key", POLICY_KEYS), name="policy_key"),
    CheckConstraint(one_of("severity", SEVERITIES), name="severity"),
)

travel_preferences = tenant_table(
    "travel_preferences",
    Column("user_id", UUID(as_uuid=True), nullable=False),
    Column("seat_class", String(32), nullable=True),
    Column("hotel_rating", Integer, nullable=True),
    Column("budget_min", Numeric, nullable=True),
    Column("budget_min_currency", String(3), nullable=True),
    Column("budget_max", Numeric, nullable=True),
    Column("budget_max_currency", String(3), nullable=True),
    Column("loyalty_numbers", JSONB, nullable=False),
    Column("language", String(10), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    PrimaryKeyConstraint("tenant_id", "user_id"),
    CheckConstraint("hotel_rating BETWEEN 1 AND 5", name="hotel_rating"),
    CheckConstraint(
        "(budget_min IS NULL) = (budget_min_currency IS NULL) "
        "AND (budget_max IS NULL) = (budget_max_currency IS NULL)",
        name="budget_currency",
    ),
)

itineraries = tenant_table(
    "itineraries",
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("user_id", UUID(as_uuid=True), nullable=False),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=False),
    Column("destinations", JSONB, nullable=False),
    Column("is_draft", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),
    PrimaryKeyConstraint("tenant_id", "id"),
    CheckConstraint("start_date <= end_date", name="date_order"),
)
Index(None, itineraries.c.tenant_id, itineraries.c.user_id, itineraries.c.start_date)

itinerary_days = tenant_table(
    "itinerary_days",
    Column("itinerary_id", UUID(as_uuid=True), nullable=False),
    Column("position", Integer, nullable=False),
    Column("date", Date, nullable=False),
    Column("activity_type", String(50), nullable=False),
    Column("activity_details", JSONB, nullable=False),
    PrimaryKeyConstraint("tenant_id", "itinerary_id", "position"),
    ForeignKeyConstraint(
        ["tenant_id", "itinerary_id"],
        ["itineraries.tenant_id", "itineraries.id"],
        ondelete="CASCADE",
    ),
)

trips = tenant_table(
    "trips",
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("user_id", UUID(as_uuid=True), nullable=False),
    Column("itinerary_id", UUID(as_uuid=True), nullable=True),
    Column("currency", String(3), nullable=False),
    Column("total_amount", Numeric, nullable=False),
    Column("destinations", JSONB, nullable=False),
    Column("status", String(16), nullable=False),
    Column("policy_flags", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),
    PrimaryKeyConstraint("tenant_id", "id"),
    ForeignKeyConstraint(
        ["tenant_id", "itinerary_id"], ["itineraries.tenant_id", "itineraries.id"]
    ),
    CheckConstraint(one_of("status", TRIP_STATUSES), name="status"),
    CheckConstraint("total_amount >= 0", name="total_not_negative"),
)
Index(None, trips.c.tenant_id, trips.c.user_id, trips.c.created_at)

trip_items = tenant_table(
    "trip_items",
    Column("trip_id", UUID(as_uuid=True), nullable=False),
    Column("position", Integer, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("provider", String(50), nullable=False),
    Column("external_ref", String(100), nullable=False),
    Column("unit_price", Numeric, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=True),
    Column("description", Text, nullable=False),
    Column("destination", String(100), nullable=False),
    Column("cabin_class", String(32), nullable=True),
    Column("hotel_stars", Integer, nullable=True),
    PrimaryKeyConstraint("tenant_id", "trip_id", "position"),
    ForeignKeyConstraint(["tenant_id", "trip_id"], ["trips.tenant_id", "trips.id"]),
    CheckConstraint(one_of("kind", CATEGORIES), name="kind"),
    CheckConstraint("unit_price >= 0", name="unit_price_not_negative"),
    CheckConstraint("quantity >= 1", name="quantity_positive"),
)

reminders = tenant_table(
    "reminders",
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("trip_id", UUID(as_uuid=True), nullable=False),
    Column("user_id", UUID(as_uuid=True), nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("message", Text, nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Column("version", Integer, nullable=False),
    PrimaryKeyConstraint("tenant_id", "id"),
)
Index(None, reminders.c.tenant_id, reminders.c.trip_id)
Index(
    None,
    reminders.c.tenant_id,
    reminders.c.due_at,
    postgresql_where=reminders.c.sent_at.is_(None),
)
