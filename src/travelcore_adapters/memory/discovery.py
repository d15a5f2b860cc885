"""The discovery context in memory: search logs, parents' locations, venue coordinates,
reviews, quick feedback, rating aggregates, child preference vectors, favourites, user
memory, weekly venue scores and monthly suggestions, on the memory repository base.

Reviews, feedback and suggestions are audited (one entry per change); the other records
are not (see docs/audit.md).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from datetime import date, datetime
from typing import Any

import attrs

from travelcore.catalog import ActivityId, VenueId
from travelcore.discovery.feedback import ActivityRating, ChildPreference, QuickFeedback, Review
from travelcore.discovery.geo import GeoPoint
from travelcore.discovery.intent import LOCATION_TYPES, LocationType
from travelcore.discovery.personal import Favourite, MemoryEntry
from travelcore.discovery.places import UserLocation
from travelcore.discovery.scores import VenueScore
from travelcore.discovery.scoring import score_key
from travelcore.discovery.search import SearchLogEntry
from travelcore.discovery.suggestions import SuggestionRecord
from travelcore.kernel import AlreadyExists, UserId, check_tenant, check_version
from travelcore.people import ChildId
from travelcore_adapters.memory.repository import MemoryRepository, MemoryScope


class MemorySearchLogs(MemoryRepository[SearchLogEntry]):
    table, entity = "nl_search_logs", "search log"
    audited = False  # a log itself, purged after its retention period

    def for_user(self, user_id: UserId, limit: int = 50) -> list[SearchLogEntry]:
        mine = self._rows(lambda e: e.user_id == user_id)
        return sorted(mine, key=lambda e: (e.created_at, str(e.id)), reverse=True)[:limit]

    def purge(self, before: datetime) -> int:
        old = self._scan(lambda e: e.created_at < before)
        for entry in old:
            self._scope.tx.delete(self.table, self._row_key(entry.id))
        return len(old)


class MemoryUserLocations(MemoryRepository[UserLocation]):
    """One location of each type per user: ``save`` replaces the stored one."""

    table, entity = "user_locations", "user location"
    audited = False

    def key_of(self, entity: UserLocation) -> Hashable:
        return (entity.user_id, entity.location_type)

    def save(self, entity: UserLocation) -> None:
        check_tenant(self._scope, entity.tenant_id)
        self._write(entity)

    def for_user(self, user_id: UserId) -> list[UserLocation]:
        found = self._rows(lambda loc: loc.user_id == user_id)
        return sorted(found, key=lambda loc: LOCATION_TYPES.index(loc.location_type))

    def remove(self, user_id: UserId, location_type: LocationType) -> None:
        self._scope.tx.delete(self.table, self._row_key((user_id, location_type)))


class MemoryVenueLocations:
    """Venue coordinates by venue id (points, not entities: no base)."""

    table = "venue_locations"

    def __init__(self, scope: MemoryScope) -> None:
        self._scope = scope

    def set(self, venue_id: VenueId, point: GeoPoint) -> None:
        self._scope.tx.put(self.table, (self._scope.tenant_id, venue_id), point)

    def all(self) -> dict[VenueId, GeoPoint]:
        tenant = self._scope.tenant_id
        return {
            key[1]: point
            for key, point in self._scope.tx.scan(self.table)
            if isinstance(key, tuple) and key[0] == tenant
        }


class MemoryReviews(MemoryRepository[Review]):
    """One review per booking; ``save`` (moderation) replaces the stored review."""

    table, entity = "reviews", "review"
    masked_fields = ("text",)

    def _check_unique(self, entity: Review) -> None:
        self._clash(entity, lambda r: r.booking_id == entity.booking_id, "booking_id")

    def save(self, entity: Review) -> None:
        check_tenant(self._scope, entity.tenant_id)
        before = self.get(entity.id)
        self._write(entity)
        self._changed(entity.id, before, entity)

    def for_activity(self, activity_id: ActivityId, *, visible_only: bool = True) -> list[Review]:
        rows = self._rows(
            lambda r: r.activity_id == activity_id and (r.is_visible or not visible_only)
        )
        return sorted(rows, key=lambda r: (r.submitted_at, str(r.id)), reverse=True)

    def flagged(self, limit: int) -> list[Review]:
        rows = self._rows(lambda r: r.is_flagged and r.is_visible)
        return sorted(rows, key=lambda r: (r.submitted_at, str(r.id)))[:limit]


class MemoryFeedback(MemoryRepository[QuickFeedback]):
    """One feedback per booking; ``mark_processed`` changes it once."""

    table, entity = "booking_feedback", "feedback"
    masked_fields = ("comment",)

    def _check_unique(self, entity: QuickFeedback) -> None:
        self._clash(entity, lambda f: f.booking_id == entity.booking_id, "booking_id")

    def unprocessed(self, limit: int) -> list[QuickFeedback]:
        rows = self._rows(lambda f: not f.vector_processed)
        return sorted(rows, key=lambda f: (f.submitted_at, str(f.id)))[:limit]

    def mark_processed(self, feedback_id: Any, at: datetime) -> bool:
        found = self.get(feedback_id)
        if found.vector_processed:
            return False
        done = attrs.evolve(found, vector_processed=True, vector_processed_at=at)
        self._write(done)
        self._changed(found.id, found, done)
        return True


class MemoryActivityRatings(MemoryRepository[ActivityRating]):
    """Each activity's review count and rating sum (an aggregate of audited reviews)."""

    table, entity = "activity_ratings", "activity rating"
    audited = False

    def key_of(self, entity: ActivityRating) -> Hashable:
        return entity.activity_id

    def add_rating(self, activity_id: ActivityId, rating: int) -> None:
        current = self.get(activity_id)
        self._write(
            attrs.evolve(
                current,
                total_reviews=current.total_reviews + 1,
                rating_sum=current.rating_sum + rating,
            )
        )

    def get(self, key: ActivityId) -> ActivityRating:
        return self._find(key) or ActivityRating(activity_id=key)


class MemoryChildPreferences(MemoryRepository[ChildPreference]):
    """Version 0 is a preference not stored yet; ``save`` stores the next version."""

    table, entity = "child_preferences", "child preference"
    audited = False  # derived vectors, erased with the child

    def key_of(self, entity: ChildPreference) -> Hashable:
        return entity.child_id

    def get(self, key: ChildId) -> ChildPreference | None:  # type: ignore[override]
        return self._find(key)

    def get_for_update(self, key: ChildId) -> ChildPreference | None:  # type: ignore[override]
        """``get``: the unit of work holds the store's lock until it ends."""
        return self._find(key)

    def save(self, entity: ChildPreference) -> None:
        check_tenant(self._scope, entity.tenant_id)
        current = self._find(entity.child_id)
        stored = 0 if current is None else current.version
        check_version(self.entity, entity.child_id, stored=stored, loaded=entity.version)
        self._write(attrs.evolve(entity, version=entity.version + 1))

    def remove(self, child_id: ChildId) -> bool:
        if self._find(child_id) is None:
            return False
        self._scope.tx.delete(self.table, self._row_key(child_id))
        return True


class MemoryFavourites(MemoryRepository[Favourite]):
    table, entity = "child_favorites", "favourite"
    audited = False

    def key_of(self, entity: Favourite) -> Hashable:
        return (entity.child_id, entity.activity_id)

    def remove(self, child_id: ChildId, activity_id: ActivityId) -> None:
        self._scope.tx.delete(self.table, self._row_key((child_id, activity_id)))

    def for_child(self, child_id: ChildId) -> list[Favourite]:
        rows = self._rows(lambda f: f.child_id == child_id)
        return sorted(rows, key=lambda f: (f.created_at, str(f.activity_id)), reverse=True)


class MemoryEntries(MemoryRepository[MemoryEntry]):
    table, entity = "user_memory", "memory entry"
    audited = False

    def get_many(self, ids: list[Any]) -> dict[Any, MemoryEntry]:
        found = (self._find(i) for i in ids)
        return {entry.id: entry for entry in found if entry is not None}

    def for_user(self, user_id: UserId) -> list[MemoryEntry]:
        rows = self._rows(lambda e: e.user_id == user_id)
        return sorted(rows, key=lambda e: (e.created_at, str(e.id)))

    def remove_user(self, user_id: UserId) -> int:
        mine = self._scan(lambda e: e.user_id == user_id)
        for entry in mine:
            self._scope.tx.delete(self.table, self._row_key(entry.id))
        return len(mine)


class MemoryVenueScores(MemoryRepository[VenueScore]):
    """One score per venue-week, written once."""

    table, entity = "venue_performance_scores", "venue score"
    audited = False  # computed weekly from audited bookings and reviews

    def key_of(self, entity: VenueScore) -> Hashable:
        return score_key(entity)

    def add_missing(self, scores: list[VenueScore]) -> int:
        written = 0
        for score in scores:
            check_tenant(self._scope, score.tenant_id)
            if not self._scope.tx.contains(self.table, self._row_key(score_key(score))):
                self._write(score)
                written += 1
        return written

    def latest(self, before: date | None = None) -> dict[VenueId, VenueScore]:
        rows = self._rows(lambda s: before is None or s.week_start < before)
        return {s.venue_id: s for s in sorted(rows, key=lambda s: s.week_start)}

    def for_venue(self, venue_id: VenueId) -> list[VenueScore]:
        rows = self._rows(lambda s: s.venue_id == venue_id)
        return sorted(rows, key=lambda s: s.week_start, reverse=True)


BY_PARENT = "ai_suggestions_by_parent"


def _suggestion_order(record: SuggestionRecord) -> tuple[bool, list[str], int]:
    return (not record.is_group, [str(c) for c in record.child_ids], record.rank)


class MemorySuggestions(MemoryRepository[SuggestionRecord]):
    """Suggestions by id, and the ids of each parent's month (``BY_PARENT``) so that
    adding and listing a parent's suggestions reads only theirs. ``save`` returns the
    record at its next version."""

    table, entity = "ai_suggestions", "suggestion"
    masked_fields = ("rejection_reason",)

    def add(self, entity: SuggestionRecord) -> None:
        self.add_many([entity])

    def add_many(self, records: Sequence[SuggestionRecord]) -> None:
        months: dict[tuple[Any, ...], list[SuggestionRecord]] = {}
        for record in records:
            check_tenant(self._scope, record.tenant_id)
            key = (record.tenant_id, record.user_id, record.month)
            if key not in months:
                months[key] = self._month(*key[1:])
            taken = {(r.child_ids, r.rank) for r in months[key]}
            if (record.child_ids, record.rank) in taken:
                raise AlreadyExists("the parent already has this suggestion for the month")
            months[key].append(record)
        for key, month in months.items():
            self._scope.tx.put(BY_PARENT, key, tuple(r.id for r in month))
        for record in records:
            self._write(record)
            self._changed(record.id, None, record)

    def for_parent(self, user_id: UserId, month: date) -> list[SuggestionRecord]:
        found = self._month(user_id, month)
        self._scope.seen(*found)
        return sorted(found, key=_suggestion_order)

    def _month(self, user_id: UserId, month: date) -> list[SuggestionRecord]:
        ids = self._scope.tx.get(BY_PARENT, (self._scope.tenant_id, user_id, month)) or ()
        found = (self._scope.tx.get(self.table, self._row_key(i)) for i in ids)
        return [record for record in found if record is not None]

    def save(self, entity: SuggestionRecord) -> SuggestionRecord:  # type: ignore[override]
        check_tenant(self._scope, entity.tenant_id)
        current = self.get(entity.id)
        check_version(self.entity, entity.id, stored=current.version, loaded=entity.version)
        stored = attrs.evolve(entity, version=entity.version + 1)
        self._write(stored)
        self._changed(entity.id, current, stored)
        return stored
