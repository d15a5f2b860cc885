"""Discovery: search logs, parents' locations, venue coordinates, reviews, quick feedback,
rating aggregates, child preference vectors, favourites, user memory, weekly venue scores
and monthly suggestions.

Revision ID: 0008_discovery
Revises: 0007_python_weekdays
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

from travelcore_adapters.postgres.ddl import grant, tenant_rls

revision = "0008_discovery"
down_revision = "0007_python_weekdays"
branch_labels = None
depends_on = None

TABLES = (
    "nl_search_logs",
    "user_locations",
    "venue_locations",
    "reviews",
    "booking_feedback",
    "activity_ratings",
    "child_preferences",
    "child_favorites",
    "user_memory",
    "venue_performance_scores",
    "ai_suggestions",
)


def upgrade() -> None:
    app_role = context.config.attributes["app_role"]
    op.create_table(
        "nl_search_logs",
        sa.Column("tenant_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("user_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("query_text", sa.Text(), nullable=False),
        sa.Column("parsed_intent", postgresql.JSONB(), nullable=False),
        sa.Column("parse_confidence", sa.Numeric(4, 3), nullable=False),
        sa.Column("clarification_requested", sa.Boolean(), nullable=False),
        sa.Column("clarification_question", sa.Text(), nullable=True),
        sa.Column("pinecone_filters", postgresql.JSONB(), nullable=False),
        sa.Column("pinecone_top_k", sa.Integer(), nullable=False),
        sa.Column("result_activity_ids", postgresql.JSONB(), nullable=False),
        sa.Column("result_scores", postgresql.JSONB(), nullable=False),
        sa.Column("result_count", sa.Integer(), nullable=False),
        sa.Column("fallback_to_filters", sa.Boolean(), nullable=False),
        sa.Column("had_error", sa.Boolean(), nullable=False),
        sa.Column("error_type", sa.String(50), nullable=True),
        sa.Column("llm_parse_duration_ms", sa.Integer(), nullable=False),
        sa.Column("embed_duration_ms", sa.Integer(), nullable=False),
        sa.Column("pinecone_query_duration_ms", sa.Integer(), nullable=False),
        sa.Column("postgres_enrich_duration_ms", sa.Integer(), nullable=False),
        sa.Column("total_duration_ms", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_nl_search_logs"),
    )
    op.create_index(
        "ix_nl_search_logs_tenant_id_created_at", "nl_search_logs", ["tenant_id", "created_at"]
    )
    op.create_index(
        "ix_nl_search_logs_tenant_id_user_id_created_at",
        "nl_search_logs",
        ["tenant_id", "user_id", "created_at"],
    )
    op.create_table(
        "user_locations",
        sa.Column("tenant_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("user_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("location_type", sa.String(20), nullable=False),
        sa.Column("label", sa.String(100), nullable=True),
        sa.Column("address_line1", sa.String(255), nullable=False),
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("postal_code", sa.String(20), nullable=False),
        sa.Column("country", sa.String(100), nullable=False),
        sa.Column("latitude", sa.Double(), nullable=True),
        sa.Column("longitude", sa.Double(), nullable=True),
        sa.Column("is_primary", sa.Boolean(), nullable=False),
        sa.Column("default_search_radius_minutes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_user_locations"),
        sa.CheckConstraint(
            "(latitude IS NULL) = (longitude IS NULL)", name="ck_user_locations_both_coordinates"
        ),
        sa.CheckConstraint(
            "location_type IN ('home', 'work', 'school', 'other')",
            name="ck_user_locations_location_type",
        ),
        sa.CheckConstraint(
            "default_search_radius_minutes BETWEEN 5 AND 60", name="ck_user_locations_radius"
        ),
        sa.UniqueConstraint(
            "tenant_id",
            "user_id",
            "location_type",
            name="uq_user_locations_tenant_id_user_id_location_type",
        ),
    )
    op.create_table(
        "venue_locations",
        sa.Column("tenant_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("venue_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("latitude", sa.Double(), nullable=False),
        sa.Column("longitude", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "venue_id", name="pk_venue_locations"),
    )
    op.create_table(
        "reviews",
        sa.Column("tenant_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("booking_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("activity_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("venue_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("user_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("would_book_again", sa.Boolean(), nullable=True),
        sa.Column("would_recommend_venue", sa.Boolean(), nullable=True),
        sa.Column("review_text", sa.Text(), nullable=True),
        sa.Column("is_visible", sa.Boolean(), nullable=False),
        sa.Column("hidden_reason", sa.Text(), nullable=True),
        sa.Column("hidden_by", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("hidden_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("is_flagged", sa.Boolean(), nullable=False),
        sa.Column("flagged_reason", sa.Text(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_reviews"),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name="ck_reviews_rating"),
        sa.UniqueConstraint("tenant_id", "booking_id", name="uq_reviews_tenant_id_booking_id"),
    )
    op.create_index(
        "ix_reviews_tenant_id_activity_id_submitted_at",
        "reviews",
        ["tenant_id", "activity_id", "submitted_at"],
    )
    op.create_table(
        "booking_feedback",
        sa.Column("tenant_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("booking_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("child_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("activity_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("is_positive", sa.Boolean(), nullable=False),
        sa.Column("positive_tags", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("negative_tags", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("vector_processed", sa.Boolean(), nullable=False),
        sa.Column("vector_processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_booking_feedback"),
        sa.UniqueConstraint(
            "tenant_id", "booking_id", name="uq_booking_feedback_tenant_id_booking_id"
        ),
    )
    op.create_index(
        "ix_booking_feedback_unprocessed",
        "booking_feedback",
        ["tenant_id", "submitted_at"],
        postgresql_where=sa.text("NOT vector_processed"),
    )
    op.create_table(
        "activity_ratings",
        sa.Column("tenant_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("activity_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("total_reviews", sa.Integer(), nullable=False),
        sa.Column("rating_sum", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "activity_id", name="pk_activity_ratings"),
        sa.CheckConstraint(
            "total_reviews >= 0 AND rating_sum BETWEEN total_reviews AND 5 * total_reviews",
            name="ck_activity_ratings_sums",
        ),
    )
    op.create_table(
        "child_preferences",
        sa.Column("tenant_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("child_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("vector", postgresql.ARRAY(sa.Double()), nullable=False),
        sa.Column("model", sa.Text(), nullable=False),
        sa.Column("feedback_incorporated_count", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "child_id", name="pk_child_preferences"),
    )
    op.create_table(
        "child_favorites",
        sa.Column("tenant_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("child_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("activity_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "child_id", "activity_id", name="pk_child_favorites"),
    )
    op.create_table(
        "user_memory",
        sa.Column("tenant_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("user_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("source_id", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_user_memory"),
        sa.CheckConstraint("source IN ('message', 'booking')", name="ck_user_memory_source"),
    )
    op.create_index("ix_user_memory_tenant_id_user_id", "user_memory", ["tenant_id", "user_id"])
    op.create_table(
        "venue_performance_scores",
        sa.Column("tenant_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("venue_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("score_week_start", sa.Date(), nullable=False),
        sa.Column("parent_feedback_score", sa.Numeric(5, 2), nullable=False),
        sa.Column("repeat_booking_score", sa.Numeric(5, 2), nullable=False),
        sa.Column("cancellation_score", sa.Numeric(5, 2), nullable=False),
        sa.Column("no_show_score", sa.Numeric(5, 2), nullable=False),
        sa.Column("composite_score", sa.Numeric(5, 2), nullable=False),
        sa.Column("total_bookings", sa.Integer(), nullable=False),
        sa.Column("venue_cancelled", sa.Integer(), nullable=False),
        sa.Column("completed", sa.Integer(), nullable=False),
        sa.Column("no_shows", sa.Integer(), nullable=False),
        sa.Column("total_reviews", sa.Integer(), nullable=False),
        sa.Column("rating_sum", sa.Integer(), nullable=False),
        sa.Column("children_completed", sa.Integer(), nullable=False),
        sa.Column("children_repeat", sa.Integer(), nullable=False),
        sa.Column("average_rating", sa.Numeric(3, 2), nullable=True),
        sa.Column("repeat_booking_rate", sa.Numeric(5, 2), nullable=True),
        sa.Column("venue_cancellation_rate", sa.Numeric(5, 2), nullable=True),
        sa.Column("parent_no_show_rate", sa.Numeric(5, 2), nullable=True),
        sa.Column("score_change", sa.Numeric(6, 2), nullable=True),
        sa.Column("calculated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "venue_id", "score_week_start", name="pk_venue_performance_scores"
        ),
        sa.CheckConstraint(
            "composite_score BETWEEN 0 AND 100",
            name="ck_venue_performance_scores_composite_in_range",
        ),
        sa.CheckConstraint(
            "EXTRACT(ISODOW FROM score_week_start) = 1", name="ck_venue_performance_scores_monday"
        ),
    )
    op.create_index(
        "ix_venue_performance_scores_tenant_id_score_week_start",
        "venue_performance_scores",
        ["tenant_id", "score_week_start"],
    )
    op.create_table(
        "ai_suggestions",
        sa.Column("tenant_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("user_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("suggestion_month", sa.Date(), nullable=False),
        sa.Column("child_ids", postgresql.ARRAY(postgresql.UUID(as_uuid=True)), nullable=False),
        sa.Column("session_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("activity_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("is_group_suggestion", sa.Boolean(), nullable=False),
        sa.Column("match_score", sa.Numeric(4, 3), nullable=False),
        sa.Column("individual_fit_scores", postgresql.JSONB(), nullable=False),
        sa.Column("parent_response", sa.String(20), nullable=True),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "converted_booking_ids", postgresql.ARRAY(postgresql.UUID(as_uuid=True)), nullable=False
        ),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.Column("generated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_ai_suggestions"),
        sa.CheckConstraint("match_score BETWEEN 0 AND 1", name="ck_ai_suggestions_match_score"),
        sa.CheckConstraint("rank BETWEEN 1 AND 10", name="ck_ai_suggestions_rank"),
        sa.CheckConstraint(
            "parent_response IS NULL OR parent_response IN ('accepted', 'rejected')",
            name="ck_ai_suggestions_response",
        ),
        sa.UniqueConstraint(
            "tenant_id",
            "user_id",
            "suggestion_month",
            "child_ids",
            "rank",
            name="uq_ai_suggestions_slot",
        ),
    )
    op.create_index(
        "ix_ai_suggestions_tenant_id_user_id_suggestion_month",
        "ai_suggestions",
        ["tenant_id", "user_id", "suggestion_month"],
    )
    for table in TABLES:
        for statement in tenant_rls(table):
            op.execute(statement)
        op.execute(grant(table, app_role, "SELECT, INSERT, UPDATE, DELETE"))


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
