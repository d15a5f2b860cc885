"""The discovery context in memory: search logs, parents' locations, venue coordinates,
reviews, quick feedback, rating aggregates, child preference vectors, favourites and user
memory."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

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
from travelcore.kernel import (
    AlreadyExists,
    NotFound,
    StaleVersion,
    TenantId,
    UserId,
    ValidationFailed,
)
from travelcore.people import ChildId

if TYPE_CHECKING:
    from travelcore_adapters.memory.uow import MemoryUnitOfWork

LOGS = "nl_search_logs"
USER_LOCATIONS = "user_locations"
VENUE_LOCATIONS = "venue_locations"


class MemorySearchLogs:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow

    def add(self, entry: SearchLogEntry) -> None:
        if entry.tenant_id != self._uow.tenant_id:
            raise ValidationFailed("tenant_id", "matches_unit_of_work")
        key = (entry.tenant_id, entry.id)
        if self._uow.tx.contains(LOGS, key):
            raise AlreadyExists(f"search log {entry.id} exists")
        self._uow.tx.put(LOGS, key, entry)

    def get(self, log_id: UUID) -> SearchLogEntry:
        entry: SearchLogEntry | None = self._uow.tx.get(LOGS, (self._uow.tenant_id, log_id))
        if entry is None:
            raise NotFound("search_log", log_id)
        return entry

    def _mine(self) -> list[SearchLogEntry]:
        tenant = self._uow.tenant_id
        return [
            e for key, e in self._uow.tx.scan(LOGS) if isinstance(key, tuple) and key[0] == tenant
        ]

    def for_user(self, user_id: UserId, limit: int = 50) -> list[SearchLogEntry]:
        mine = [e for e in self._mine() if e.user_id == user_id]
        return sorted(mine, key=lambda e: (e.created_at, str(e.id)), reverse=True)[:limit]

    def purge(self, before: datetime) -> int:
        old = [e for e in self._mine() if e.created_at < before]
        for entry in old:
            self._uow.tx.delete(LOGS, (entry.tenant_id, entry.id))
        return len(old)


class MemoryUserLocations:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow

    def save(self, location: UserLocation) -> None:
        if location.tenant_id != self._uow.tenant_id:
            raise ValidationFailed("tenant_id", "matches_unit_of_work")
        key = (location.tenant_id, location.user_id, location.location_type)
        self._uow.tx.put(USER_LOCATIONS, key, location)

    def for_user(self, user_id: UserId) -> list[UserLocation]:
        tenant = self._uow.tenant_id
        found = [
            loc
            for key, loc in self._uow.tx.scan(USER_LOCATIONS)
            if isinstance(key, tuple) and key[:2] == (tenant, user_id)
        ]
        return sorted(found, key=lambda loc: LOCATION_TYPES.index(loc.location_type))

    def remove(self, user_id: UserId, location_type: LocationType) -> None:
        self._uow.tx.delete(USER_LOCATIONS, (self._uow.tenant_id, user_id, location_type))


class MemoryVenueLocations:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow

    def set(self, venue_id: VenueId, point: GeoPoint) -> None:
        self._uow.tx.put(VENUE_LOCATIONS, (self._uow.tenant_id, venue_id), point)

    def all(self) -> dict[VenueId, GeoPoint]:
        tenant = self._uow.tenant_id
        return {
            key[1]: point
            for key, point in self._uow.tx.scan(VENUE_LOCATIONS)
            if isinstance(key, tuple) and key[0] == tenant
        }


REVIEWS = "reviews"
FEEDBACK = "booking_feedback"
RATINGS = "activity_ratings"
PREFERENCES = "child_preferences"


class _Tenanted:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow

    def _check(self, tenant_id: TenantId) -> None:
        if tenant_id != self._uow.tenant_id:
            raise ValidationFailed("tenant_id", "matches_unit_of_work")

    def _rows(self, table: str) -> list[Any]:
        tenant = self._uow.tenant_id
        return [
            row
            for key, row in self._uow.tx.scan(table)
            if isinstance(key, tuple) and key[0] == tenant
        ]


class MemoryReviews(_Tenanted):
    def add(self, review: Review) -> None:
        self._check(review.tenant_id)
        if any(r.booking_id == review.booking_id for r in self._rows(REVIEWS)):
            raise AlreadyExists(f"booking {review.booking_id} already has a review")
        self._uow.tx.put(REVIEWS, (review.tenant_id, review.id), review)

    def get(self, review_id: UUID) -> Review:
        review: Review | None = self._uow.tx.get(REVIEWS, (self._uow.tenant_id, review_id))
        if review is None:
            raise NotFound("review", review_id)
        return review

    def save(self, review: Review) -> None:
        self._check(review.tenant_id)
        self.get(review.id)
        self._uow.tx.put(REVIEWS, (review.tenant_id, review.id), review)

    def for_activity(self, activity_id: ActivityId, *, visible_only: bool = True) -> list[Review]:
        rows = [
            r
            for r in self._rows(REVIEWS)
            if r.activity_id == activity_id and (r.is_visible or not visible_only)
        ]
        return sorted(rows, key=lambda r: (r.submitted_at, str(r.id)), reverse=True)

    def flagged(self, limit: int) -> list[Review]:
        rows = [r for r in self._rows(REVIEWS) if r.is_flagged and r.is_visible]
        return sorted(rows, key=lambda r: (r.submitted_at, str(r.id)))[:limit]


class MemoryFeedback(_Tenanted):
    def add(self, feedback: QuickFeedback) -> None:
        self._check(feedback.tenant_id)
        if any(f.booking_id == feedback.booking_id for f in self._rows(FEEDBACK)):
            raise AlreadyExists(f"booking {feedback.booking_id} already has feedback")
        self._uow.tx.put(FEEDBACK, (feedback.tenant_id, feedback.id), feedback)

    def get(self, feedback_id: UUID) -> QuickFeedback:
        found: QuickFeedback | None = self._uow.tx.get(FEEDBACK, (self._uow.tenant_id, feedback_id))
        if found is None:
            raise NotFound("feedback", feedback_id)
        return found

    def unprocessed(self, limit: int) -> list[QuickFeedback]:
        rows = [f for f in self._rows(FEEDBACK) if not f.vector_processed]
        return sorted(rows, key=lambda f: (f.submitted_at, str(f.id)))[:limit]

    def mark_processed(self, feedback_id: UUID, at: datetime) -> bool:
        found = self.get(feedback_id)
        if found.vector_processed:
            return False
        done = attrs.evolve(found, vector_processed=True, vector_processed_at=at)
        self._uow.tx.put(FEEDBACK, (found.tenant_id, found.id), done)
        return True


class MemoryActivityRatings(_Tenanted):
    def add_rating(self, activity_id: ActivityId, rating: int) -> None:
        current = self.get(activity_id)
        self._uow.tx.put(
            RATINGS,
            (self._uow.tenant_id, activity_id),
            attrs.evolve(
                current,
                total_reviews=current.total_reviews + 1,
                rating_sum=current.rating_sum + rating,
            ),
        )

    def get(self, activity_id: ActivityId) -> ActivityRating:
        found: ActivityRating | None = self._uow.tx.get(RATINGS, (self._uow.tenant_id, activity_id))
        return found or ActivityRating(activity_id=activity_id)


class MemoryChildPreferences(_Tenanted):
    def get(self, child_id: ChildId) -> ChildPreference | None:
        found: ChildPreference | None = self._uow.tx.get(
            PREFERENCES, (self._uow.tenant_id, child_id)
        )
        return found

    def save(self, preference: ChildPreference) -> None:
        self._check(preference.tenant_id)
        current = self.get(preference.child_id)
        if (current.version if current else 0) != preference.version:
            raise StaleVersion(f"child preference {preference.child_id} changed")
        self._uow.tx.put(
            PREFERENCES,
            (preference.tenant_id, preference.child_id),
            attrs.evolve(preference, version=preference.version + 1),
        )

    def remove(self, child_id: ChildId) -> bool:
        key = (self._uow.tenant_id, child_id)
        if not self._uow.tx.contains(PREFERENCES, key):
            return False
        self._uow.tx.delete(PREFERENCES, key)
        return True


FAVOURITES = "child_favorites"
MEMORY_ENTRIES = "user_memory"


class MemoryFavourites(_Tenanted):
    def add(self, favourite: Favourite) -> None:
        self._check(favourite.tenant_id)
        key = (favourite.tenant_id, favourite.child_id, favourite.activity_id)
        if self._uow.tx.contains(FAVOURITES, key):
            raise AlreadyExists("the child already has this favourite")
        self._uow.tx.put(FAVOURITES, key, favourite)

    def remove(self, child_id: ChildId, activity_id: ActivityId) -> None:
        self._uow.tx.delete(FAVOURITES, (self._uow.tenant_id, child_id, activity_id))

    def for_child(self, child_id: ChildId) -> list[Favourite]:
        rows = [f for f in self._rows(FAVOURITES) if f.child_id == child_id]
        return sorted(rows, key=lambda f: (f.created_at, str(f.activity_id)), reverse=True)


class MemoryEntries(_Tenanted):
    def add(self, entry: MemoryEntry) -> None:
        self._check(entry.tenant_id)
        if self._uow.tx.contains(MEMORY_ENTRIES, (entry.tenant_id, entry.id)):
            raise AlreadyExists(f"memory entry {entry.id} exists")
        self._uow.tx.put(MEMORY_ENTRIES, (entry.tenant_id, entry.id), entry)

    def get_many(self, ids: list[UUID]) -> dict[UUID, MemoryEntry]:
        found = (self._uow.tx.get(MEMORY_ENTRIES, (self._uow.tenant_id, i)) for i in ids)
        return {entry.id: entry for entry in found if entry is not None}

    def for_user(self, user_id: UserId) -> list[MemoryEntry]:
        rows = [e for e in self._rows(MEMORY_ENTRIES) if e.user_id == user_id]
        return sorted(rows, key=lambda e: (e.created_at, str(e.id)))

    def remove_user(self, user_id: UserId) -> int:
        mine = self.for_user(user_id)
        for entry in mine:
            self._uow.tx.delete(MEMORY_ENTRIES, (entry.tenant_id, entry.id))
        return len(mine)


SCORES = "venue_performance_scores"


class MemoryVenueScores(_Tenanted):
    def add_missing(self, scores: list[VenueScore]) -> int:
        written = 0
        for score in scores:
            self._check(score.tenant_id)
            key = (score.tenant_id, *score_key(score))
            if not self._uow.tx.contains(SCORES, key):
                self._uow.tx.put(SCORES, key, score)
                written += 1
        return written

    def latest(self, before: date | None = None) -> dict[VenueId, VenueScore]:
        rows = [s for s in self._rows(SCORES) if before is None or s.week_start < before]
        out: dict[VenueId, VenueScore] = {}
        for score in sorted(rows, key=lambda s: s.week_start):
            out[score.venue_id] = score
        return out

    def for_venue(self, venue_id: VenueId) -> list[VenueScore]:
        rows = [s for s in self._rows(SCORES) if s.venue_id == venue_id]
        return sorted(rows, key=lambda s: s.week_start, reverse=True)


SUGGESTIONS = "ai_suggestions"
BY_PARENT = "ai_suggestions_by_parent"


def _suggestion_order(record: SuggestionRecord) -> tuple[bool, list[str], int]:
    return (not record.is_group, [str(c) for c in record.child_ids], record.rank)


class MemorySuggestions(_Tenanted):
    """Suggestions by id, and the ids of each parent's month (``BY_PARENT``) so that
    adding and listing a parent's suggestions reads only theirs."""

    def add_many(self, records: Sequence[SuggestionRecord]) -> None:
        months: dict[tuple[Any, ...], list[SuggestionRecord]] = {}
        for record in records:
            self._check(record.tenant_id)
            key = (record.tenant_id, record.user_id, record.month)
            if key not in months:
                months[key] = self._month(*key[1:])
            taken = {(r.child_ids, r.rank) for r in months[key]}
            if (record.child_ids, record.rank) in taken:
                raise AlreadyExists("the parent already has this suggestion for the month")
            months[key].append(record)
        for key, month in months.items():
            self._uow.tx.put(BY_PARENT, key, tuple(r.id for r in month))
        for record in records:
            self._uow.tx.put(SUGGESTIONS, (record.tenant_id, record.id), record)

    def get(self, suggestion_id: UUID) -> SuggestionRecord:
        found: SuggestionRecord | None = self._uow.tx.get(
            SUGGESTIONS, (self._uow.tenant_id, suggestion_id)
        )
        if found is None:
            raise NotFound("suggestion", suggestion_id)
        return found

    def for_parent(self, user_id: UserId, month: date) -> list[SuggestionRecord]:
        return sorted(self._month(user_id, month), key=_suggestion_order)

    def _month(self, user_id: UserId, month: date) -> list[SuggestionRecord]:
        tenant = self._uow.tenant_id
        ids = self._uow.tx.get(BY_PARENT, (tenant, user_id, month)) or ()
        found = (self._uow.tx.get(SUGGESTIONS, (tenant, i)) for i in ids)
        return [record for record in found if record is not None]

    def save(self, record: SuggestionRecord) -> SuggestionRecord:
        self._check(record.tenant_id)
        current = self.get(record.id)
        if current.version != record.version:
            raise StaleVersion(f"suggestion {record.id} changed")
        stored = attrs.evolve(record, version=record.version + 1)
        self._uow.tx.put(SUGGESTIONS, (record.tenant_id, record.id), stored)
        return stored
