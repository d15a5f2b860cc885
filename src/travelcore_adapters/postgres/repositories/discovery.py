"""Discovery's repositories on PostgreSQL.

Logs, reviews, feedback, favourites and memory entries are written once (``add`` reports a
clash on any unique key, one review or feedback per booking included, as ``AlreadyExists``).
``activity_ratings.add_rating`` is one ``INSERT ... ON CONFLICT DO UPDATE SET total =
total + 1, sum = sum + :rating``: concurrent reviews never lose a count. ``mark_processed``
is a conditional ``UPDATE`` (``WHERE NOT vector_processed``): one caller wins.
``child_preferences.save`` is guarded by the version; venue scores are inserted with ``ON
CONFLICT DO NOTHING`` (one row per venue-week; re-running writes nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar
from uuid import UUID

import attrs
from psycopg.types.json import Jsonb
from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert

from travelcore.booking import BookingId
from travelcore.catalog import ActivityId, SessionId, VenueId
from travelcore.discovery.feedback import ActivityRating, ChildPreference, QuickFeedback, Review
from travelcore.discovery.geo import GeoPoint
from travelcore.discovery.intent import LOCATION_TYPES, LocationType
from travelcore.discovery.personal import Favourite, MemoryEntry
from travelcore.discovery.places import UserLocation
from travelcore.discovery.scores import ScoreComponents, VenueMetrics, VenueScore
from travelcore.discovery.search import SearchLogEntry
from travelcore.discovery.suggestions import SuggestionRecord
from travelcore.kernel import AlreadyExists, NotFound, StaleVersion, TenantId, UserId, check_tenant
from travelcore.people import ChildId
from travelcore_adapters.postgres.outbox import ASYNC_COMMIT_STATEMENT
from travelcore_adapters.postgres.repositories.base import TableRepository
from travelcore_adapters.postgres.repositories.scope import PostgresScope
from travelcore_adapters.postgres.tables import discovery as t


class PostgresSearchLogs(TableRepository[SearchLogEntry]):
    """A transaction that adds a search log row commits asynchronously: a server crash may
    lose the last rows written, which costs the log, not a booking, and saves each search
    a wait for the disk."""

    table, entity = t.nl_search_logs, "search log"
    audited = False  # as on memory: discovery records are not audited yet

    def add(self, entity: SearchLogEntry) -> None:
        self._scope.enqueue(ASYNC_COMMIT_STATEMENT, {})
        super().add(entity)

    def to_row(self, e: SearchLogEntry) -> dict[str, Any]:
        return {
            "tenant_id": e.tenant_id,
            "id": e.id,
            "user_id": e.user_id,
            "query_text": e.query_text,
            "parsed_intent": Jsonb(dict(e.parsed_intent)),
            "parse_confidence": e.parse_confidence,
            "clarification_requested": e.clarification_requested,
            "clarification_question": e.clarification_question,
            "pinecone_filters": Jsonb(dict(e.filters)),
            "pinecone_top_k": e.top_k,
            "result_activity_ids": Jsonb(list(e.result_activity_ids)),
            "result_scores": Jsonb(list(e.result_scores)),
            "result_count": e.result_count,
            "fallback_to_filters": e.fallback_to_filters,
            "had_error": e.had_error,
            "error_type": e.error_type,
            "llm_parse_duration_ms": e.parse_ms,
            "embed_duration_ms": e.embed_ms,
            "pinecone_query_duration_ms": e.vector_query_ms,
            "postgres_enrich_duration_ms": e.enrich_ms,
            "total_duration_ms": e.total_ms,
            "created_at": e.created_at,
        }

    def to_entity(self, row: Any) -> SearchLogEntry:
        return SearchLogEntry(
            id=row.id,
            tenant_id=TenantId(row.tenant_id),
            user_id=UserId(row.user_id),
            query_text=row.query_text,
            parsed_intent=row.parsed_intent,
            parse_confidence=row.parse_confidence,
            clarification_requested=row.clarification_requested,
            clarification_question=row.clarification_question,
            filters=row.pinecone_filters,
            top_k=row.pinecone_top_k,
            result_activity_ids=tuple(row.result_activity_ids),
            result_scores=tuple(row.result_scores),
            fallback_to_filters=row.fallback_to_filters,
            had_error=row.had_error,
            error_type=row.error_type,
            parse_ms=row.llm_parse_duration_ms,
            embed_ms=row.embed_duration_ms,
            vector_query_ms=row.pinecone_query_duration_ms,
            enrich_ms=row.postgres_enrich_duration_ms,
            total_ms=row.total_duration_ms,
            created_at=row.created_at,
        )

    def for_user(self, user_id: UserId, limit: int = 50) -> list[SearchLogEntry]:
        c = self.table.c
        query = self._select(c.user_id == user_id).order_by(c.created_at.desc(), c.id.desc())
        return self._all(query.limit(limit))

    def purge(self, before: datetime) -> int:
        c = self.table.c
        done = self._scope.execute(
            delete(self.table).where(c.tenant_id == self._tid, c.created_at < before)
        )
        return int(done.rowcount)


class PostgresUserLocations(TableRepository[UserLocation]):
    table, entity = t.user_locations, "user location"
    audited = False  # as on memory: discovery records are not audited yet

    def to_row(self, e: UserLocation) -> dict[str, Any]:
        return {
            "tenant_id": e.tenant_id,
            "id": e.id,
            "user_id": e.user_id,
            "location_type": e.location_type,
            "label": e.label,
            "address_line1": e.address_line1,
            "city": e.city,
            "postal_code": e.postal_code,
            "country": e.country,
            "latitude": e.point.latitude if e.point else None,
            "longitude": e.point.longitude if e.point else None,
            "is_primary": e.is_primary,
            "default_search_radius_minutes": e.radius_minutes,
        }

    def to_entity(self, row: Any) -> UserLocation:
        return UserLocation(
            id=row.id,
            tenant_id=TenantId(row.tenant_id),
            user_id=UserId(row.user_id),
            location_type=row.location_type,
            label=row.label,
            address_line1=row.address_line1,
            city=row.city,
            postal_code=row.postal_code,
            country=row.country,
            point=None if row.latitude is None else GeoPoint(row.latitude, row.longitude),
            is_primary=row.is_primary,
            radius_minutes=row.default_search_radius_minutes,
        )

    def save(self, location: UserLocation) -> None:
        check_tenant(self._scope, location.tenant_id)
        row = self.to_row(location)
        stmt = insert(self.table).values(row)
        self._scope.execute(
            stmt.on_conflict_do_update(
                index_elements=["tenant_id", "user_id", "location_type"],
                set_={k: stmt.excluded[k] for k in row if k not in ("tenant_id", "user_id")},
            )
        )

    def for_user(self, user_id: UserId) -> list[UserLocation]:
        found = self._all(self._select(self.table.c.user_id == user_id))
        return sorted(found, key=lambda loc: LOCATION_TYPES.index(loc.location_type))

    def remove(self, user_id: UserId, location_type: LocationType) -> None:
        c = self.table.c
        self._scope.execute(
            delete(self.table).where(
                c.tenant_id == self._tid, c.user_id == user_id, c.location_type == location_type
            )
        )


class PostgresVenueLocations:
    def __init__(self, scope: PostgresScope) -> None:
        self._scope = scope

    def set(self, venue_id: VenueId, point: GeoPoint) -> None:
        row = {
            "tenant_id": self._scope.tenant_id,
            "venue_id": venue_id,
            "latitude": point.latitude,
            "longitude": point.longitude,
        }
        stmt = insert(t.venue_locations).values(row)
        self._scope.execute(
            stmt.on_conflict_do_update(
                index_elements=["tenant_id", "venue_id"],
                set_={"latitude": stmt.excluded.latitude, "longitude": stmt.excluded.longitude},
            )
        )

    def all(self) -> dict[VenueId, GeoPoint]:
        c = t.venue_locations.c
        rows = self._scope.execute(
            select(t.venue_locations).where(c.tenant_id == self._scope.tenant_id)
        )
        return {VenueId(r.venue_id): GeoPoint(r.latitude, r.longitude) for r in rows}


class PostgresReviews(TableRepository[Review]):
    table, entity = t.reviews, "review"
    audited = False  # as on memory: discovery records are not audited yet

    def to_row(self, e: Review) -> dict[str, Any]:
        return {
            "tenant_id": e.tenant_id,
            "id": e.id,
            "booking_id": e.booking_id,
            "activity_id": e.activity_id,
            "venue_id": e.venue_id,
            "user_id": e.user_id,
            "rating": e.rating,
            "would_book_again": e.would_book_again,
            "would_recommend_venue": e.would_recommend_venue,
            "review_text": e.text,
            "is_visible": e.is_visible,
            "hidden_reason": e.hidden_reason,
            "hidden_by": e.hidden_by,
            "hidden_at": e.hidden_at,
            "is_flagged": e.is_flagged,
            "flagged_reason": e.flagged_reason,
            "submitted_at": e.submitted_at,
        }

    def to_entity(self, row: Any) -> Review:
        return Review(
            id=row.id,
            tenant_id=TenantId(row.tenant_id),
            booking_id=row.booking_id,
            activity_id=ActivityId(row.activity_id),
            venue_id=VenueId(row.venue_id),
            user_id=UserId(row.user_id),
            rating=row.rating,
            would_book_again=row.would_book_again,
            would_recommend_venue=row.would_recommend_venue,
            text=row.review_text,
            is_visible=row.is_visible,
            hidden_reason=row.hidden_reason,
            hidden_by=None if row.hidden_by is None else UserId(row.hidden_by),
            hidden_at=row.hidden_at,
            is_flagged=row.is_flagged,
            flagged_reason=row.flagged_reason,
            submitted_at=row.submitted_at,
        )

    def save(self, review: Review) -> None:
        self.get(review.id)
        self._upsert(review)

    def for_activity(self, activity_id: ActivityId, *, visible_only: bool = True) -> list[Review]:
        c = self.table.c
        where = [c.activity_id == activity_id] + ([c.is_visible] if visible_only else [])
        return self._all(self._select(*where).order_by(c.submitted_at.desc(), c.id.desc()))

    def flagged(self, limit: int) -> list[Review]:
        c = self.table.c
        query = self._select(c.is_flagged, c.is_visible).order_by(c.submitted_at, c.id)
        return self._all(query.limit(limit))


class PostgresFeedback(TableRepository[QuickFeedback]):
    table, entity = t.booking_feedback, "feedback"
    audited = False  # as on memory: discovery records are not audited yet

    def to_row(self, e: QuickFeedback) -> dict[str, Any]:
        return {
            "tenant_id": e.tenant_id,
            "id": e.id,
            "booking_id": e.booking_id,
            "child_id": e.child_id,
            "activity_id": e.activity_id,
            "is_positive": e.is_positive,
            "positive_tags": list(e.positive_tags),
            "negative_tags": list(e.negative_tags),
            "comment": e.comment,
            "submitted_at": e.submitted_at,
            "vector_processed": e.vector_processed,
            "vector_processed_at": e.vector_processed_at,
        }

    def to_entity(self, row: Any) -> QuickFeedback:
        return QuickFeedback(
            id=row.id,
            tenant_id=TenantId(row.tenant_id),
            booking_id=row.booking_id,
            child_id=ChildId(row.child_id),
            activity_id=ActivityId(row.activity_id),
            is_positive=row.is_positive,
            positive_tags=tuple(row.positive_tags),
            negative_tags=tuple(row.negative_tags),
            comment=row.comment,
            submitted_at=row.submitted_at,
            vector_processed=row.vector_processed,
            vector_processed_at=row.vector_processed_at,
        )

    def unprocessed(self, limit: int) -> list[QuickFeedback]:
        c = self.table.c
        query = self._select(~c.vector_processed).order_by(c.submitted_at, c.id).limit(limit)
        return self._all(query)

    def mark_processed(self, feedback_id: UUID, at: datetime) -> bool:
        c = self.table.c
        done = self._scope.execute(
            update(self.table)
            .where(c.tenant_id == self._tid, c.id == feedback_id, ~c.vector_processed)
            .values(vector_processed=True, vector_processed_at=at)
        )
        return bool(done.rowcount)


class PostgresActivityRatings:
    def __init__(self, scope: PostgresScope) -> None:
        self._scope = scope

    def add_rating(self, activity_id: ActivityId, rating: int) -> None:
        table = t.activity_ratings
        stmt = insert(table).values(
            tenant_id=self._scope.tenant_id,
            activity_id=activity_id,
            total_reviews=1,
            rating_sum=rating,
        )
        self._scope.execute(
            stmt.on_conflict_do_update(
                index_elements=["tenant_id", "activity_id"],
                set_={
                    "total_reviews": table.c.total_reviews + 1,
                    "rating_sum": table.c.rating_sum + stmt.excluded.rating_sum,
                },
            )
        )

    def get(self, activity_id: ActivityId) -> ActivityRating:
        c = t.activity_ratings.c
        row = self._scope.execute(
            select(t.activity_ratings).where(
                c.tenant_id == self._scope.tenant_id, c.activity_id == activity_id
            )
        ).one_or_none()
        if row is None:
            return ActivityRating(activity_id=activity_id)
        return ActivityRating(
            activity_id=activity_id, total_reviews=row.total_reviews, rating_sum=row.rating_sum
        )


class PostgresChildPreferences:
    def __init__(self, scope: PostgresScope) -> None:
        self._scope = scope

    def get(self, child_id: ChildId) -> ChildPreference | None:
        c = t.child_preferences.c
        row = self._scope.execute(
            select(t.child_preferences).where(
                c.tenant_id == self._scope.tenant_id, c.child_id == child_id
            )
        ).one_or_none()
        if row is None:
            return None
        return ChildPreference(
            tenant_id=TenantId(row.tenant_id),
            child_id=ChildId(row.child_id),
            vector=tuple(row.vector),
            model=row.model,
            feedback_incorporated_count=row.feedback_incorporated_count,
            updated_at=row.updated_at,
            version=row.version,
        )

    def save(self, preference: ChildPreference) -> None:
        check_tenant(self._scope, preference.tenant_id)
        table = t.child_preferences
        values = {
            "vector": list(preference.vector),
            "model": preference.model,
            "feedback_incorporated_count": preference.feedback_incorporated_count,
            "updated_at": preference.updated_at,
            "version": preference.version + 1,
        }
        if preference.version == 0:
            stmt = insert(table).values(
                tenant_id=preference.tenant_id, child_id=preference.child_id, **values
            )
            done = self._scope.execute(stmt.on_conflict_do_nothing())
        else:
            c = table.c
            done = self._scope.execute(
                update(table)
                .where(
                    c.tenant_id == preference.tenant_id,
                    c.child_id == preference.child_id,
                    c.version == preference.version,
                )
                .values(**values)
            )
        if done.rowcount == 0:
            raise StaleVersion(f"child preference {preference.child_id} changed")

    def remove(self, child_id: ChildId) -> bool:
        c = t.child_preferences.c
        done = self._scope.execute(
            delete(t.child_preferences).where(
                c.tenant_id == self._scope.tenant_id, c.child_id == child_id
            )
        )
        return bool(done.rowcount)


class PostgresFavourites(TableRepository[Favourite]):
    table, entity = t.child_favorites, "favourite"
    audited = False  # as on memory: discovery records are not audited yet

    def to_row(self, e: Favourite) -> dict[str, Any]:
        return {
            "tenant_id": e.tenant_id,
            "child_id": e.child_id,
            "activity_id": e.activity_id,
            "created_at": e.created_at,
        }

    def to_entity(self, row: Any) -> Favourite:
        return Favourite(
            tenant_id=TenantId(row.tenant_id),
            child_id=ChildId(row.child_id),
            activity_id=ActivityId(row.activity_id),
            created_at=row.created_at,
        )

    def remove(self, child_id: ChildId, activity_id: ActivityId) -> None:
        self._delete((child_id, activity_id))

    def for_child(self, child_id: ChildId) -> list[Favourite]:
        c = self.table.c
        query = self._select(c.child_id == child_id)
        return self._all(query.order_by(c.created_at.desc(), c.activity_id.desc()))


class PostgresMemoryEntries(TableRepository[MemoryEntry]):
    table, entity = t.user_memory, "memory entry"
    audited = False  # as on memory: discovery records are not audited yet

    def to_row(self, e: MemoryEntry) -> dict[str, Any]:
        return {
            "tenant_id": e.tenant_id,
            "id": e.id,
            "user_id": e.user_id,
            "text": e.text,
            "source": e.source,
            "source_id": e.source_id,
            "created_at": e.created_at,
        }

    def to_entity(self, row: Any) -> MemoryEntry:
        return MemoryEntry(
            id=row.id,
            tenant_id=TenantId(row.tenant_id),
            user_id=UserId(row.user_id),
            text=row.text,
            source=row.source,
            source_id=row.source_id,
            created_at=row.created_at,
        )

    def get_many(self, ids: list[UUID]) -> dict[UUID, MemoryEntry]:
        if not ids:
            return {}
        found = self._all(self._select(self.table.c.id.in_(ids)))
        return {e.id: e for e in found}

    def for_user(self, user_id: UserId) -> list[MemoryEntry]:
        c = self.table.c
        return self._all(self._select(c.user_id == user_id).order_by(c.created_at, c.id))

    def remove_user(self, user_id: UserId) -> int:
        c = self.table.c
        done = self._scope.execute(
            delete(self.table).where(c.tenant_id == self._tid, c.user_id == user_id)
        )
        return int(done.rowcount)


class PostgresVenueScores:
    columns: ClassVar[tuple[str, ...]] = tuple(c.name for c in t.venue_performance_scores.c)

    def __init__(self, scope: PostgresScope) -> None:
        self._scope = scope

    @staticmethod
    def to_row(s: VenueScore) -> dict[str, Any]:
        p, m = s.components, s.metrics
        return {
            "tenant_id": s.tenant_id,
            "venue_id": s.venue_id,
            "score_week_start": s.week_start,
            "parent_feedback_score": p.feedback,
            "repeat_booking_score": p.repeat,
            "cancellation_score": p.cancellation,
            "no_show_score": p.no_show,
            "composite_score": p.composite,
            "total_bookings": m.total_bookings,
            "venue_cancelled": m.venue_cancelled,
            "completed": m.completed,
            "no_shows": m.no_shows,
            "total_reviews": m.review_count,
            "rating_sum": m.rating_sum,
            "children_completed": m.children_completed,
            "children_repeat": m.children_repeat,
            "average_rating": p.average_rating,
            "repeat_booking_rate": p.repeat_booking_rate,
            "venue_cancellation_rate": p.venue_cancellation_rate,
            "parent_no_show_rate": p.parent_no_show_rate,
            "score_change": s.change,
            "calculated_at": s.calculated_at,
        }

    @staticmethod
    def to_score(row: Any) -> VenueScore:
        return VenueScore(
            tenant_id=TenantId(row.tenant_id),
            venue_id=VenueId(row.venue_id),
            week_start=row.score_week_start,
            components=ScoreComponents(
                feedback=row.parent_feedback_score,
                repeat=row.repeat_booking_score,
                cancellation=row.cancellation_score,
                no_show=row.no_show_score,
                composite=row.composite_score,
                average_rating=row.average_rating,
                repeat_booking_rate=row.repeat_booking_rate,
                venue_cancellation_rate=row.venue_cancellation_rate,
                parent_no_show_rate=row.parent_no_show_rate,
            ),
            metrics=VenueMetrics(
                total_bookings=row.total_bookings,
                venue_cancelled=row.venue_cancelled,
                completed=row.completed,
                no_shows=row.no_shows,
                review_count=row.total_reviews,
                rating_sum=row.rating_sum,
                children_completed=row.children_completed,
                children_repeat=row.children_repeat,
            ),
            change=row.score_change,
            calculated_at=row.calculated_at,
        )

    def add_missing(self, scores: list[VenueScore]) -> int:
        for score in scores:
            check_tenant(self._scope, score.tenant_id)
        if not scores:
            return 0
        table = t.venue_performance_scores
        stmt = insert(table).values([self.to_row(s) for s in scores])
        done = self._scope.execute(stmt.on_conflict_do_nothing().returning(table.c.venue_id))
        return len(done.all())

    def latest(self, before: date | None = None) -> dict[VenueId, VenueScore]:
        table = t.venue_performance_scores
        c = table.c
        where = [c.tenant_id == self._scope.tenant_id]
        if before is not None:
            where.append(c.score_week_start < before)
        newest = (
            select(c.venue_id, func.max(c.score_week_start).label("week"))
            .where(and_(*where))
            .group_by(c.venue_id)
            .subquery()
        )
        query = (
            select(table)
            .join(
                newest,
                and_(c.venue_id == newest.c.venue_id, c.score_week_start == newest.c.week),
            )
            .where(c.tenant_id == self._scope.tenant_id)
        )
        return {VenueId(r.venue_id): self.to_score(r) for r in self._scope.execute(query)}

    def for_venue(self, venue_id: VenueId) -> list[VenueScore]:
        table = t.venue_performance_scores
        c = table.c
        query = (
            select(table)
            .where(c.tenant_id == self._scope.tenant_id, c.venue_id == venue_id)
            .order_by(c.score_week_start.desc())
        )
        return [self.to_score(r) for r in self._scope.execute(query)]


class PostgresSuggestions:
    def __init__(self, scope: PostgresScope) -> None:
        self._scope = scope

    @staticmethod
    def to_row(r: SuggestionRecord) -> dict[str, Any]:
        return {
            "tenant_id": r.tenant_id,
            "id": r.id,
            "user_id": r.user_id,
            "suggestion_month": r.month,
            "child_ids": list(r.child_ids),
            "session_id": r.session_id,
            "activity_id": r.activity_id,
            "rank": r.rank,
            "is_group_suggestion": r.is_group,
            "match_score": r.match_score,
            "individual_fit_scores": {str(k): str(v) for k, v in r.fits.items()},
            "parent_response": r.response,
            "responded_at": r.responded_at,
            "converted_booking_ids": list(r.converted_booking_ids),
            "rejection_reason": r.rejection_reason,
            "generated_at": r.generated_at,
            "expires_at": r.expires_at,
            "version": r.version,
        }

    @staticmethod
    def to_record(row: Any) -> SuggestionRecord:
        return SuggestionRecord(
            id=row.id,
            tenant_id=TenantId(row.tenant_id),
            user_id=UserId(row.user_id),
            month=row.suggestion_month,
            child_ids=tuple(ChildId(c) for c in row.child_ids),
            session_id=SessionId(row.session_id),
            activity_id=ActivityId(row.activity_id),
            rank=row.rank,
            match_score=row.match_score,
            fits={ChildId(UUID(k)): Decimal(v) for k, v in row.individual_fit_scores.items()},
            generated_at=row.generated_at,
            expires_at=row.expires_at,
            response=row.parent_response,
            responded_at=row.responded_at,
            converted_booking_ids=tuple(BookingId(b) for b in row.converted_booking_ids),
            rejection_reason=row.rejection_reason,
            version=row.version,
        )

    def add_many(self, records: Sequence[SuggestionRecord]) -> None:
        for record in records:
            check_tenant(self._scope, record.tenant_id)
        if not records:
            return
        table = t.ai_suggestions
        stmt = insert(table).values([self.to_row(r) for r in records])
        done = self._scope.execute(stmt.on_conflict_do_nothing().returning(table.c.id))
        if len(done.all()) != len(records):
            raise AlreadyExists("the parent already has these suggestions for the month")

    def get(self, suggestion_id: UUID) -> SuggestionRecord:
        c = t.ai_suggestions.c
        row = self._scope.execute(
            select(t.ai_suggestions).where(
                c.tenant_id == self._scope.tenant_id, c.id == suggestion_id
            )
        ).one_or_none()
        if row is None:
            raise NotFound("suggestion", suggestion_id)
        return self.to_record(row)

    def for_parent(self, user_id: UserId, month: date) -> list[SuggestionRecord]:
        c = t.ai_suggestions.c
        rows = self._scope.execute(
            select(t.ai_suggestions).where(
                c.tenant_id == self._scope.tenant_id,
                c.user_id == user_id,
                c.suggestion_month == month,
            )
        )
        records = [self.to_record(r) for r in rows]
        return sorted(
            records, key=lambda r: (not r.is_group, [str(c) for c in r.child_ids], r.rank)
        )

    def save(self, record: SuggestionRecord) -> SuggestionRecord:
        check_tenant(self._scope, record.tenant_id)
        c = t.ai_suggestions.c
        row = self.to_row(record) | {"version": record.version + 1}
        done = self._scope.execute(
            update(t.ai_suggestions)
            .where(c.tenant_id == record.tenant_id, c.id == record.id, c.version == record.version)
            .values({k: v for k, v in row.items() if k not in ("tenant_id", "id")})
        )
        if done.rowcount == 0:
            self.get(record.id)
            raise StaleVersion(f"suggestion {record.id} changed")
        return attrs.evolve(record, version=record.version + 1)
