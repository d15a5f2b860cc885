"""Discovery's repositories on PostgreSQL, on the repository base.

Logs, reviews, feedback, favourites and memory entries are written once (``add`` reports a
clash on any unique key, one review or feedback per booking included, as ``AlreadyExists``).
``activity_ratings.add_rating`` is one ``INSERT ... ON CONFLICT DO UPDATE SET total =
total + 1, sum = sum + :rating``: concurrent reviews never lose a count. ``mark_processed``
is a conditional ``UPDATE`` (``WHERE NOT vector_processed``): one caller wins.
``child_preferences.save`` and ``suggestions.save`` are guarded by the version; venue scores
are inserted with ``ON CONFLICT DO NOTHING`` (one row per venue-week; re-running writes
nothing). Reviews, feedback and suggestions are audited, as on memory (docs/audit.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar
from uuid import UUID

import attrs
from psycopg.types.json import Jsonb
from sqlalchemy import and_, bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert

from travelcore.booking import BookingId
from travelcore.catalog import ActivityId, VenueId
from travelcore.discovery.feedback import ActivityRating, ChildPreference, QuickFeedback, Review
from travelcore.discovery.geo import GeoPoint
from travelcore.discovery.intent import LOCATION_TYPES, LocationType
from travelcore.discovery.personal import Favourite, MemoryEntry
from travelcore.discovery.places import UserLocation
from travelcore.discovery.scores import ScoreComponents, VenueMetrics, VenueScore
from travelcore.discovery.search import SearchLogEntry
from travelcore.discovery.suggestions import SuggestionRecord
from travelcore.kernel import (
    AlreadyExists,
    NotFound,
    StaleVersion,
    UserId,
    check_tenant,
    check_version,
)
from travelcore.people import ChildId
from travelcore_adapters.postgres.outbox import ASYNC_COMMIT_STATEMENT
from travelcore_adapters.postgres.repositories.base import TableRepository
from travelcore_adapters.postgres.repositories.scope import PostgresScope
from travelcore_adapters.postgres.statements import ADVISORY_LOCK, Statement
from travelcore_adapters.postgres.tables import discovery as t

USER_LOCATIONS = Statement(
    select(t.user_locations).where(
        t.user_locations.c.tenant_id == bindparam("tid"),
        t.user_locations.c.user_id == bindparam("user_id"),
    )
)


class PostgresSearchLogs(TableRepository[SearchLogEntry]):
    """A transaction that adds a search log row commits asynchronously: a server crash may
    lose the last rows written, which costs the log, not a booking, and saves each search
    a wait for the disk."""

    table, entity = t.nl_search_logs, "search log"
    audited = False
    same_named = (
        "id tenant_id user_id query_text parse_confidence clarification_requested "
        "clarification_question fallback_to_filters had_error error_type created_at"
    )

    def add(self, entity: SearchLogEntry) -> None:
        self._scope.enqueue(ASYNC_COMMIT_STATEMENT, {})
        super().add(entity)

    def to_row(self, e: SearchLogEntry) -> dict[str, Any]:
        return self._same_named(e) | {
            "parsed_intent": Jsonb(dict(e.parsed_intent)),
            "pinecone_filters": Jsonb(dict(e.filters)),
            "pinecone_top_k": e.top_k,
            "result_activity_ids": Jsonb(list(e.result_activity_ids)),
            "result_scores": Jsonb(list(e.result_scores)),
            "result_count": e.result_count,
            "llm_parse_duration_ms": e.parse_ms,
            "embed_duration_ms": e.embed_ms,
            "pinecone_query_duration_ms": e.vector_query_ms,
            "postgres_enrich_duration_ms": e.enrich_ms,
            "total_duration_ms": e.total_ms,
        }

    def to_entity(self, row: Any) -> SearchLogEntry:
        return SearchLogEntry(
            **self._same_named(row),
            parsed_intent=row.parsed_intent,
            filters=row.pinecone_filters,
            top_k=row.pinecone_top_k,
            result_activity_ids=tuple(row.result_activity_ids),
            result_scores=tuple(row.result_scores),
            parse_ms=row.llm_parse_duration_ms,
            embed_ms=row.embed_duration_ms,
            vector_query_ms=row.pinecone_query_duration_ms,
            enrich_ms=row.postgres_enrich_duration_ms,
            total_ms=row.total_duration_ms,
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
    """``for_user`` takes the user's lock first: concurrent changes of one user's locations
    queue, and each sees the ones before it (the first location is the primary one)."""

    table, entity = t.user_locations, "user location"
    audited = False
    user_lock: ClassVar[bool] = True
    same_named = (
        "id tenant_id user_id location_type label address_line1 city postal_code country is_primary"
    )

    def to_row(self, e: UserLocation) -> dict[str, Any]:
        return self._same_named(e) | {
            "latitude": e.point.latitude if e.point else None,
            "longitude": e.point.longitude if e.point else None,
            "default_search_radius_minutes": e.radius_minutes,
        }

    def to_entity(self, row: Any) -> UserLocation:
        point = None if row.latitude is None else GeoPoint(row.latitude, row.longitude)
        return UserLocation(
            **self._same_named(row), point=point, radius_minutes=row.default_search_radius_minutes
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
        if self.user_lock:
            lock = f"{self.table.name}:{self._tid}:{user_id}"
            self._scope.enqueue(ADVISORY_LOCK, {"lock": lock})
        found = self._rows_of(self._query(USER_LOCATIONS, user_id=user_id))
        return sorted(found, key=lambda loc: LOCATION_TYPES.index(loc.location_type))

    def remove(self, user_id: UserId, location_type: LocationType) -> None:
        c = self.table.c
        self._scope.execute(
            delete(self.table).where(
                c.tenant_id == self._tid, c.user_id == user_id, c.location_type == location_type
            )
        )


class PostgresVenueLocations:
    """Venue coordinates by venue id (points, not entities: no base)."""

    table = t.venue_locations

    def __init__(self, scope: PostgresScope) -> None:
        self._scope = scope

    def set(self, venue_id: VenueId, point: GeoPoint) -> None:
        row = {"latitude": point.latitude, "longitude": point.longitude}
        stmt = insert(self.table).values(tenant_id=self._scope.tenant_id, venue_id=venue_id, **row)
        self._scope.execute(
            stmt.on_conflict_do_update(index_elements=["tenant_id", "venue_id"], set_=row)
        )

    def all(self) -> dict[VenueId, GeoPoint]:
        c = self.table.c
        rows = self._scope.execute(select(self.table).where(c.tenant_id == self._scope.tenant_id))
        return {VenueId(r.venue_id): GeoPoint(r.latitude, r.longitude) for r in rows}


class PostgresReviews(TableRepository[Review]):
    """One review per booking; ``save`` (moderation) replaces the stored review. ``get``
    locks its row, so a flag and a hide at once apply one after the other (neither undoes
    the other)."""

    table, entity = t.reviews, "review"
    lock_on_get: ClassVar[bool] = True
    masked_fields = ("text",)
    same_named = (
        "id tenant_id booking_id activity_id venue_id user_id rating would_book_again "
        "would_recommend_venue is_visible hidden_reason hidden_by hidden_at is_flagged "
        "flagged_reason submitted_at"
    )

    def to_row(self, e: Review) -> dict[str, Any]:
        return self._same_named(e) | {"review_text": e.text}

    def to_entity(self, row: Any) -> Review:
        return Review(**self._same_named(row), text=row.review_text)

    def save(self, entity: Review) -> None:
        check_tenant(self._scope, entity.tenant_id)
        before = self.get(entity.id)
        self._upsert(entity)
        self._stored[entity.id] = self.to_row(entity)
        self._scope.seen(entity)
        self._changed(entity.id, before, entity)

    def for_activity(self, activity_id: ActivityId, *, visible_only: bool = True) -> list[Review]:
        c = self.table.c
        where = [c.activity_id == activity_id] + ([c.is_visible] if visible_only else [])
        return self._all(self._select(*where).order_by(c.submitted_at.desc(), c.id.desc()))

    def flagged(self, limit: int) -> list[Review]:
        c = self.table.c
        query = self._select(c.is_flagged, c.is_visible).order_by(c.submitted_at, c.id)
        return self._all(query.limit(limit))


class PostgresFeedback(TableRepository[QuickFeedback]):
    """One feedback per booking; ``mark_processed`` changes it once."""

    table, entity = t.booking_feedback, "feedback"
    masked_fields = ("comment",)
    same_named = (
        "id tenant_id booking_id child_id activity_id is_positive comment submitted_at "
        "vector_processed vector_processed_at"
    )

    def to_row(self, e: QuickFeedback) -> dict[str, Any]:
        tags = {"positive_tags": list(e.positive_tags), "negative_tags": list(e.negative_tags)}
        return self._same_named(e) | tags

    def to_entity(self, row: Any) -> QuickFeedback:
        return QuickFeedback(
            **self._same_named(row),
            positive_tags=tuple(row.positive_tags),
            negative_tags=tuple(row.negative_tags),
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
            .returning(*c)
        ).one_or_none()
        if done is None:
            return False
        [after] = self._entities([done])
        before = attrs.evolve(after, vector_processed=False, vector_processed_at=None)
        self._changed(feedback_id, before, after)
        return True


class PostgresActivityRatings(TableRepository[ActivityRating]):
    """Each activity's review count and rating sum (an aggregate of audited reviews)."""

    table, entity = t.activity_ratings, "activity rating"
    audited = False
    same_named = "activity_id total_reviews rating_sum"

    def to_row(self, e: ActivityRating) -> dict[str, Any]:
        return self._same_named(e) | {"tenant_id": self._tid}

    def to_entity(self, row: Any) -> ActivityRating:
        return ActivityRating(**self._same_named(row))

    def add_rating(self, activity_id: ActivityId, rating: int) -> None:
        c = self.table.c
        first = ActivityRating(activity_id=activity_id, total_reviews=1, rating_sum=rating)
        stmt = insert(self.table).values(self.to_row(first))
        self._scope.execute(
            stmt.on_conflict_do_update(
                index_elements=["tenant_id", "activity_id"],
                set_={
                    "total_reviews": c.total_reviews + 1,
                    "rating_sum": c.rating_sum + stmt.excluded.rating_sum,
                },
            )
        )

    def get(self, key: ActivityId) -> ActivityRating:
        return self._find(key) or ActivityRating(activity_id=key)


class PostgresChildPreferences(TableRepository[ChildPreference]):
    """Version 0 is a preference not stored yet; ``save`` stores the next version."""

    table, entity = t.child_preferences, "child preference"
    audited = False  # derived vectors, erased with the child
    same_named = "tenant_id child_id model feedback_incorporated_count updated_at version"

    def to_row(self, e: ChildPreference) -> dict[str, Any]:
        return self._same_named(e) | {"vector": list(e.vector)}

    def to_entity(self, row: Any) -> ChildPreference:
        return ChildPreference(**self._same_named(row), vector=tuple(row.vector))

    def get(self, key: ChildId) -> ChildPreference | None:  # type: ignore[override]
        return self._find(key)

    def get_for_update(self, key: ChildId) -> ChildPreference | None:  # type: ignore[override]
        """The row locked, or the key locked when there is none (then read again)."""
        return self._locked_first(self._locked_query(key), key, locked=True)

    def save(self, entity: ChildPreference) -> None:
        check_tenant(self._scope, entity.tenant_id)
        row = self.to_row(attrs.evolve(entity, version=entity.version + 1))
        if entity.version == 0:
            done = self._scope.execute(insert(self.table).values(row).on_conflict_do_nothing())
        else:
            c = self.table.c
            done = self._scope.execute(
                update(self.table)
                .where(
                    c.tenant_id == self._tid,
                    c.child_id == entity.child_id,
                    c.version == entity.version,
                )
                .values(
                    {k: v for k, v in row.items() if k not in self._keys}
                    | {"version": row["version"]}
                )
            )
        if done.rowcount == 0:
            raise StaleVersion(f"{self.entity} {entity.child_id} changed since it was read")

    def remove(self, child_id: ChildId) -> bool:
        try:
            self._remove(child_id)
        except NotFound:
            return False
        return True


class PostgresFavourites(TableRepository[Favourite]):
    table, entity = t.child_favorites, "favourite"
    audited = False
    same_named = "tenant_id child_id activity_id created_at"

    def to_row(self, e: Favourite) -> dict[str, Any]:
        return self._same_named(e)

    def to_entity(self, row: Any) -> Favourite:
        return Favourite(**self._same_named(row))

    def remove(self, child_id: ChildId, activity_id: ActivityId) -> None:
        self._delete((child_id, activity_id))

    def for_child(self, child_id: ChildId) -> list[Favourite]:
        c = self.table.c
        query = self._select(c.child_id == child_id)
        return self._all(query.order_by(c.created_at.desc(), c.activity_id.desc()))


class PostgresMemoryEntries(TableRepository[MemoryEntry]):
    table, entity = t.user_memory, "memory entry"
    audited = False
    same_named = "id tenant_id user_id text source source_id created_at"

    def to_row(self, e: MemoryEntry) -> dict[str, Any]:
        return self._same_named(e)

    def to_entity(self, row: Any) -> MemoryEntry:
        return MemoryEntry(**self._same_named(row))

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


COMPONENTS = {
    "parent_feedback_score": "feedback",
    "repeat_booking_score": "repeat",
    "cancellation_score": "cancellation",
    "no_show_score": "no_show",
    "composite_score": "composite",
    **{name: name for name in ("average_rating", "repeat_booking_rate")},
    **{name: name for name in ("venue_cancellation_rate", "parent_no_show_rate")},
}
"""Score component columns -> ``ScoreComponents`` fields."""
METRICS = {
    "total_reviews": "review_count",
    **{name: name for name in ("total_bookings", "venue_cancelled", "completed", "no_shows")},
    **{name: name for name in ("rating_sum", "children_completed", "children_repeat")},
}
"""Metric columns -> ``VenueMetrics`` fields."""


class PostgresVenueScores(TableRepository[VenueScore]):
    """One score per venue-week, written once."""

    table, entity = t.venue_performance_scores, "venue score"
    audited = False  # computed weekly from audited bookings and reviews
    same_named = "tenant_id venue_id calculated_at"

    def to_row(self, s: VenueScore) -> dict[str, Any]:
        p, m = s.components, s.metrics
        return (
            self._same_named(s)
            | {column: getattr(p, name) for column, name in COMPONENTS.items()}
            | {column: getattr(m, name) for column, name in METRICS.items()}
            | {"score_week_start": s.week_start, "score_change": s.change}
        )

    def to_entity(self, row: Any) -> VenueScore:
        return VenueScore(
            **self._same_named(row),
            week_start=row.score_week_start,
            components=ScoreComponents(**{n: getattr(row, c) for c, n in COMPONENTS.items()}),
            metrics=VenueMetrics(**{n: getattr(row, c) for c, n in METRICS.items()}),
            change=row.score_change,
        )

    def add_missing(self, scores: list[VenueScore]) -> int:
        for score in scores:
            check_tenant(self._scope, score.tenant_id)
        if not scores:
            return 0
        stmt = insert(self.table).values([self.to_row(s) for s in scores])
        done = self._scope.execute(stmt.on_conflict_do_nothing().returning(self.table.c.venue_id))
        return len(done.all())

    def latest(self, before: date | None = None) -> dict[VenueId, VenueScore]:
        c = self.table.c
        where = [c.tenant_id == self._tid]
        if before is not None:
            where.append(c.score_week_start < before)
        newest = (
            select(c.venue_id, func.max(c.score_week_start).label("week"))
            .where(and_(*where))
            .group_by(c.venue_id)
            .subquery()
        )
        query = self._select().join(
            newest, and_(c.venue_id == newest.c.venue_id, c.score_week_start == newest.c.week)
        )
        return {s.venue_id: s for s in self._all(query)}

    def for_venue(self, venue_id: VenueId) -> list[VenueScore]:
        c = self.table.c
        return self._all(self._select(c.venue_id == venue_id).order_by(c.score_week_start.desc()))


class PostgresSuggestions(TableRepository[SuggestionRecord]):
    """``get`` locks the suggestion's row (answers at once queue); ``save`` returns the
    record at its next version."""

    table, entity = t.ai_suggestions, "suggestion"
    lock_on_get: ClassVar[bool] = True
    masked_fields = ("rejection_reason",)
    same_named = (
        "id tenant_id user_id session_id activity_id rank match_score responded_at "
        "rejection_reason generated_at expires_at version"
    )

    def to_row(self, r: SuggestionRecord) -> dict[str, Any]:
        return self._same_named(r) | {
            "suggestion_month": r.month,
            "child_ids": list(r.child_ids),
            "is_group_suggestion": r.is_group,
            "individual_fit_scores": {str(k): str(v) for k, v in r.fits.items()},
            "parent_response": r.response,
            "converted_booking_ids": list(r.converted_booking_ids),
        }

    def to_entity(self, row: Any) -> SuggestionRecord:
        return SuggestionRecord(
            **self._same_named(row),
            month=row.suggestion_month,
            child_ids=tuple(ChildId(c) for c in row.child_ids),
            fits={ChildId(UUID(k)): Decimal(v) for k, v in row.individual_fit_scores.items()},
            response=row.parent_response,
            converted_booking_ids=tuple(BookingId(b) for b in row.converted_booking_ids),
        )

    def add(self, entity: SuggestionRecord) -> None:
        self.add_many([entity])

    def add_many(self, records: Sequence[SuggestionRecord]) -> None:
        for record in records:
            check_tenant(self._scope, record.tenant_id)
        if not records:
            return
        rows = [self.to_row(r) for r in records]
        stmt = insert(self.table).values(rows)
        done = self._scope.execute(stmt.on_conflict_do_nothing().returning(self.table.c.id))
        if len(done.all()) != len(records):
            raise AlreadyExists("the parent already has these suggestions for the month")
        for record, row in zip(records, rows, strict=True):
            self._stored[record.id] = row
            self._changed(record.id, None, record)
        self._scope.seen(*records)

    def for_parent(self, user_id: UserId, month: date) -> list[SuggestionRecord]:
        c = self.table.c
        records = self._all(self._select(c.user_id == user_id, c.suggestion_month == month))
        return sorted(
            records, key=lambda r: (not r.is_group, [str(c) for c in r.child_ids], r.rank)
        )

    def save(self, entity: SuggestionRecord) -> SuggestionRecord:  # type: ignore[override]
        check_tenant(self._scope, entity.tenant_id)
        before = self._before(entity.id)
        stored = attrs.evolve(entity, version=entity.version + 1)
        row = self.to_row(stored)
        c = self.table.c
        done = self._scope.execute(
            update(self.table)
            .where(c.tenant_id == self._tid, c.id == entity.id, c.version == entity.version)
            .values({k: v for k, v in row.items() if k not in ("tenant_id", "id")})
        )
        if done.rowcount == 0:
            found = self._find(entity.id)
            version = None if found is None else found.version
            check_version(self.entity, entity.id, stored=version, loaded=entity.version)
        self._stored[entity.id] = row
        self._scope.seen(stored)
        self._changed(entity.id, before, stored)
        return stored
