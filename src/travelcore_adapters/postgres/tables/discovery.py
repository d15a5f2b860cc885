"""Tables of discovery (seed 003 ``nl_search_logs``, ``user_locations``, ``reviews``,
``booking_feedback``, ``child_favorites``, ``venue_performance_scores``; seed 000's user
memory), plus ``venue_locations`` (venue coordinates), ``activity_ratings`` (exact rating
aggregates) and ``child_preferences`` (the preference vectors' source of truth)."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Double,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from travelcore.discovery.intent import LOCATION_TYPES
from travelcore_adapters.postgres.tables.base import one_of, tenant_table

nl_search_logs = tenant_table(
    "nl_search_logs",
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("user_id", UUID(as_uuid=True), nullable=False),
    Column("query_text", Text, nullable=False),
    Column("parsed_intent", JSONB, nullable=False),
    Column("parse_confidence", Numeric(4, 3), nullable=False),
    Column("clarification_requested", Boolean, nullable=False),
    Column("clarification_question", Text, nullable=True),
    Column("pinecone_filters", JSONB, nullable=False),
    Column("pinecone_top_k", Integer, nullable=False),
    Column("result_activity_ids", JSONB, nullable=False),
    Column("result_scores", JSONB, nullable=False),
    Column("result_count", Integer, nullable=False),
    Column("fallback_to_filters", Boolean, nullable=False),
    Column("had_error", Boolean, nullable=False),
    Column("error_type", String(50), nullable=True),
    Column("llm_parse_duration_ms", Integer, nullable=False),
    Column("embed_duration_ms", Integer, nullable=False),
    Column("pinecone_query_duration_ms", Integer, nullable=False),
    Column("postgres_enrich_duration_ms", Integer, nullable=False),
    Column("total_duration_ms", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("tenant_id", "id"),
)
Index(None, nl_search_logs.c.tenant_id, nl_search_logs.c.user_id, nl_search_logs.c.created_at)
Index(None, nl_search_logs.c.tenant_id, nl_search_logs.c.created_at)

user_locations = tenant_table(
    "user_locations",
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("user_id", UUID(as_uuid=True), nullable=False),
    Column("location_type", String(20), nullable=False),
    Column("label", String(100), nullable=True),
    Column("address_line1", String(255), nullable=False),
    Column("city", String(100), nullable=False),
    Column("postal_code", String(20), nullable=False),
    Column("country", String(100), nullable=False),
    Column("latitude", Double, nullable=True),
    Column("longitude", Double, nullable=True),
    Column("is_primary", Boolean, nullable=False),
    Column("default_search_radius_minutes", Integer, nullable=False),
    PrimaryKeyConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "user_id", "location_type"),
    CheckConstraint(one_of("location_type", list(LOCATION_TYPES)), name="location_type"),
    CheckConstraint("default_search_radius_minutes BETWEEN 5 AND 60", name="radius"),
    CheckConstraint("(latitude IS NULL) = (longitude IS NULL)", name="both_coordinates"),
)

venue_locations = tenant_table(
    "venue_locations",
    Column("venue_id", UUID(as_uuid=True), nullable=False),
    Column("latitude", Double, nullable=False),
    Column("longitude", Double, nullable=False),
    PrimaryKeyConstraint("tenant_id", "venue_id"),
)

reviews = tenant_table(
    "reviews",
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("booking_id", UUID(as_uuid=True), nullable=False),
    Column("activity_id", UUID(as_uuid=True), nullable=False),
    Column("venue_id", UUID(as_uuid=True), nullable=False),
    Column("user_id", UUID(as_uuid=True), nullable=False),
    Column("rating", Integer, nullable=False),
    Column("would_book_again", Boolean, nullable=True),
    Column("would_recommend_venue", Boolean, nullable=True),
    Column("review_text", Text, nullable=True),
    Column("is_visible", Boolean, nullable=False),
    Column("hidden_reason", Text, nullable=True),
    Column("hidden_by", UUID(as_uuid=True), nullable=True),
    Column("hidden_at", DateTime(timezone=True), nullable=True),
    Column("is_flagged", Boolean, nullable=False),
    Column("flagged_reason", Text, nullable=True),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "booking_id"),
    CheckConstraint("rating BETWEEN 1 AND 5", name="rating"),
)
Index(None, reviews.c.tenant_id, reviews.c.activity_id, reviews.c.submitted_at)
Index(
    "ix_reviews_flagged",
    reviews.c.tenant_id,
    reviews.c.submitted_at,
    reviews.c.id,
    postgresql_where=text("is_flagged AND is_visible"),
)

booking_feedback = tenant_table(
    "booking_feedback",
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("booking_id", UUID(as_uuid=True), nullable=False),
    Column("child_id", UUID(as_uuid=True), nullable=False),
    Column("activity_id", UUID(as_uuid=True), nullable=False),
    Column("is_positive", Boolean, nullable=False),
    Column("positive_tags", ARRAY(Text), nullable=False),
    Column("negative_tags", ARRAY(Text), nullable=False),
    Column("comment", Text, nullable=True),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("vector_processed", Boolean, nullable=False),
    Column("vector_processed_at", DateTime(timezone=True), nullable=True),
    PrimaryKeyConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "booking_id"),
)
Index(
    "ix_booking_feedback_unprocessed",
    booking_feedback.c.tenant_id,
    booking_feedback.c.submitted_at,
    postgresql_where=text("NOT vector_processed"),
)

activity_ratings = tenant_table(
    "activity_ratings",
    Column("activity_id", UUID(as_uuid=True), nullable=False),
    Column("total_reviews", Integer, nullable=False),
    Column("rating_sum", Integer, nullable=False),
    PrimaryKeyConstraint("tenant_id", "activity_id"),
    CheckConstraint(
        "total_reviews >= 0 AND rating_sum BETWEEN total_reviews AND 5 * total_reviews",
        name="sums",
    ),
)

child_preferences = tenant_table(
    "child_preferences",
    Column("child_id", UUID(as_uuid=True), nullable=False),
    Column("vector", ARRAY(Double), nullable=False),
    Column("model", Text, nullable=False),
    Column("feedback_incorporated_count", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),
    PrimaryKeyConstraint("tenant_id", "child_id"),
)

child_favorites = tenant_table(
    "child_favorites",
    Column("child_id", UUID(as_uuid=True), nullable=False),
    Column("activity_id", UUID(as_uuid=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("tenant_id", "child_id", "activity_id"),
)

user_memory = tenant_table(
    "user_memory",
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("user_id", UUID(as_uuid=True), nullable=False),
    Column("text", Text, nullable=False),
    Column("source", String(16), nullable=False),
    Column("source_id", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("tenant_id", "id"),
    CheckConstraint(one_of("source", ["message", "booking"]), name="source"),
)
Index(None, user_memory.c.tenant_id, user_memory.c.user_id)

_SCORE = Numeric(5, 2)
venue_performance_scores = tenant_table(
    "venue_performance_scores",
    Column("venue_id", UUID(as_uuid=True), nullable=False),
    Column("score_week_start", Date, nullable=False),
    Column("parent_feedback_score", _SCORE, nullable=False),
    Column("repeat_booking_score", _SCORE, nullable=False),
    Column("cancellation_score", _SCORE, nullable=False),
    Column("no_show_score", _SCORE, nullable=False),
    Column("composite_score", _SCORE, nullable=False),
    Column("total_bookings", Integer, nullable=False),
    Column("venue_cancelled", Integer, nullable=False),
    Column("completed", Integer, nullable=False),
    Column("no_shows", Integer, nullable=False),
    Column("total_reviews", Integer, nullable=False),
    Column("rating_sum", Integer, nullable=False),
    Column("children_completed", Integer, nullable=False),
    Column("children_repeat", Integer, nullable=False),
    Column("average_rating", Numeric(3, 2), nullable=True),
    Column("repeat_booking_rate", _SCORE, nullable=True),
    Column("venue_cancellation_rate", _SCORE, nullable=True),
    Column("parent_no_show_rate", _SCORE, nullable=True),
    Column("score_change", Numeric(6, 2), nullable=True),
    Column("calculated_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("tenant_id", "venue_id", "score_week_start"),
    CheckConstraint("composite_score BETWEEN 0 AND 100", name="composite_in_range"),
    CheckConstraint("EXTRACT(ISODOW FROM score_week_start) = 1", name="monday"),
)
Index(None, venue_performance_scores.c.tenant_id, venue_performance_scores.c.score_week_start)

ai_suggestions = tenant_table(
    "ai_suggestions",
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("user_id", UUID(as_uuid=True), nullable=False),
    Column("suggestion_month", Date, nullable=False),
    Column("child_ids", ARRAY(UUID(as_uuid=True)), nullable=False),
    Column("session_id", UUID(as_uuid=True), nullable=False),
    Column("activity_id", UUID(as_uuid=True), nullable=False),
    Column("rank", Integer, nullable=False),
    Column("is_group_suggestion", Boolean, nullable=False),
    Column("match_score", Numeric(4, 3), nullable=False),
    Column("individual_fit_scores", JSONB, nullable=False),
    Column("parent_response", String(20), nullable=True),
    Column("responded_at", DateTime(timezone=True), nullable=True),
    Column("converted_booking_ids", ARRAY(UUID(as_uuid=True)), nullable=False),
    Column("rejection_reason", Text, nullable=True),
    Column("generated_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),
    PrimaryKeyConstraint("tenant_id", "id"),
    UniqueConstraint(
        "tenant_id",
        "user_id",
        "suggestion_month",
        "child_ids",
        "rank",
        name="uq_ai_suggestions_slot",
    ),
    CheckConstraint("rank BETWEEN 1 AND 10", name="rank"),
    CheckConstraint("match_score BETWEEN 0 AND 1", name="match_score"),
    CheckConstraint(
        "parent_response IS NULL OR parent_response IN ('accepted', 'rejected')", name="response"
    ),
)
Index(
    None,
    ai_suggestions.c.tenant_id,
    ai_suggestions.c.user_id,
    ai_suggestions.c.suggestion_month,
)
