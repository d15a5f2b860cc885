"""Natural-language activity search: parse -> filter + query vector -> vector store ->
enrichment -> ranking -> search log.

The parsed intent's hard constraints become a filter in the vector filter language (with the
venues reachable from the parent's chosen location). The store returns candidates that meet
it; each is checked again against the same filter, enriched from the catalog (activity,
venue, next sessions with free seats that fit the intent's days and times; an activity
without one is dropped) and ranked (``travelcore.discovery.ranking``). When the vector store
is down, full-text search runs with the same filter and the response says it is degraded.
Every search writes one log row (seed ``nl_search_logs``) with the timing of each stage.
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol
from uuid import UUID

import attrs

from travelcore.catalog.model import Activity, ActivityId, Session, TimeOfDay
from travelcore.catalog.ports import CatalogUnitOfWork
from travelcore.discovery import access
from travelcore.discovery.geo import GeoPoint, TravelTime, reachable
from travelcore.discovery.intent import (
    DAYS,
    IntentParser,
    LocationType,
    SearchIntent,
    activity_filter,
    activity_metadata,
)
from travelcore.discovery.ranking import DEFAULT_WEIGHTS, Candidate, RankingWeights, rank
from travelcore.kernel import Actor, require_tenant
from travelcore.kernel import validation as v
from travelcore.kernel.clock import Clock, checked_clock
from travelcore.kernel.errors import NotFound, ValidationFailed, VectorStoreUnavailable
from travelcore.kernel.ids import TenantId, UserId, new_uuid
from travelcore.kernel.uow import UnitOfWork
from travelcore.vectors.filters import matches, parse_filter
from travelcore.vectors.ports import Embedder, TextSearch, VectorStore
from travelcore.vectors.records import QueryMatch, namespace_for
from travelcore.vectors.sync import SourceDocument

MAX_QUERY_LENGTH = 500


@attrs.frozen(kw_only=True)
class SessionSlot:
    session_id: UUID
    session_date: date
    starts_at: datetime
    free_seats: int
    time_of_day: TimeOfDay


@attrs.frozen(kw_only=True)
class ActivityView:
    """What a search result shows: the activity, its venue and its next open sessions."""

    activity_id: str
    name: str
    category: str
    tags: frozenset[str]
    credits: int
    min_age: int
    max_age: int
    venue_id: str
    venue_name: str
    next_sessions: tuple[SessionSlot, ...]


@attrs.frozen(kw_only=True)
class SearchHit:
    activity: ActivityView
    score: float


@attrs.frozen(kw_only=True)
class SearchLogEntry:
    """One search (seed ``nl_search_logs``); durations in milliseconds."""

    id: UUID
    tenant_id: TenantId
    user_id: UserId
    query_text: str
    parsed_intent: Mapping[str, Any]
    parse_confidence: Decimal
    clarification_requested: bool
    clarification_question: str | None
    filters: Mapping[str, Any]
    top_k: int
    result_activity_ids: tuple[str, ...]
    result_scores: tuple[float, ...]
    fallback_to_filters: bool
    had_error: bool
    error_type: str | None
    parse_ms: int
    embed_ms: int
    vector_query_ms: int
    enrich_ms: int
    total_ms: int
    created_at: datetime

    @property
    def result_count(self) -> int:
        return len(self.result_activity_ids)


@attrs.frozen(kw_only=True)
class SearchResponse:
    log_id: UUID
    intent: SearchIntent
    hits: tuple[SearchHit, ...]
    degraded: bool
    error_type: str | None = None

    @property
    def clarification(self) -> str | None:
        return self.intent.clarification


class SearchLogRepository(Protocol):
    def add(self, entry: SearchLogEntry) -> None:
        """``AlreadyExists`` for a taken id."""
        ...

    def get(self, log_id: UUID) -> SearchLogEntry: ...

    def for_user(self, user_id: UserId, limit: int = 50) -> list[SearchLogEntry]:
        """Newest first."""
        ...

    def purge(self, before: datetime) -> int:
        """Delete the entries created before ``before``; how many went."""
        ...


class SearchLogUnitOfWork(UnitOfWork, Protocol):
    @property
    def search_logs(self) -> SearchLogRepository: ...


class ActivityReader(Protocol):
    """Enrichment: the views of the activities among ``activity_ids`` that have an open
    session after ``after`` fitting the intent's days and times (others are left out)."""

    def views(
        self,
        tenant_id: TenantId,
        activity_ids: Sequence[str],
        *,
        after: datetime,
        intent: SearchIntent,
    ) -> dict[str, ActivityView]: ...


class PlaceDirectory(Protocol):
    """Where venues are, and where a parent searches from."""

    def venue_points(self, tenant_id: TenantId) -> Mapping[str, GeoPoint]: ...

    def origin(
        self, tenant_id: TenantId, user_id: UserId, location: LocationType | None
    ) -> tuple[GeoPoint, int] | None:
        """The parent's ``location`` (``None``: the primary one) and its radius in minutes;
        ``None`` when the parent has no such location."""
        ...


class CatalogActivityReader:
    """``ActivityReader`` over the catalog repositories (any adapter)."""

    def __init__(
        self,
        uow_factory: Callable[[TenantId], CatalogUnitOfWork],
        *,
        horizon: timedelta = timedelta(days=30),
        sessions_shown: int = 3,
    ) -> None:
        self._uow_factory = uow_factory
        self._horizon = horizon
        self._shown = sessions_shown

    def views(
        self,
        tenant_id: TenantId,
        activity_ids: Sequence[str],
        *,
        after: datetime,
        intent: SearchIntent,
    ) -> dict[str, ActivityView]:
        out: dict[str, ActivityView] = {}
        with self._uow_factory(tenant_id) as uow:
            for raw in activity_ids:
                try:
                    activity = uow.activities.get(ActivityId(UUID(raw)))
                    venue = uow.venues.get(activity.venue_id)
                except (NotFound, ValueError):
                    continue
                if not (
                    activity.is_published and activity.is_active and venue.is_bookable(after.date())
                ):
                    continue
                sessions = [
                    s
                    for s in uow.sessions.for_activity(
                        activity.id, after.date(), (after + self._horizon).date()
                    )
                    if not s.is_cancelled
                    and not s.is_completed
                    and s.starts_at > after
                    and s.free_seats > 0
                    and (not intent.days or DAYS[s.session_date.weekday()] in intent.days)
                    and (not intent.times_of_day or s.time_of_day in intent.times_of_day)
                ]
                if not sessions:
                    continue
                out[raw] = ActivityView(
                    activity_id=raw,
                    name=activity.name,
                    category=str(activity.category),
                    tags=frozenset(activity.tags),
                    credits=activity.credits_required,
                    min_age=activity.min_age,
                    max_age=activity.max_age,
                    venue_id=str(venue.id),
                    venue_name=venue.name,
                    next_sessions=tuple(
                        SessionSlot(
                            session_id=s.id,
                            session_date=s.session_date,
                            starts_at=s.starts_at,
                            free_seats=s.free_seats,
                            time_of_day=s.time_of_day,
                        )
                        for s in sessions[: self._shown]
                    ),
                )
        return out


def activity_document(
    activity: Activity, sessions: Sequence[Session], *, description: str = ""
) -> SourceDocument:
    """What ``VectorSync`` embeds for an activity: its words (name, description, category,
    tags) and the metadata the search filter reads (ages, credits, venue, tags, and the days
    and times of day of its upcoming ``sessions``)."""
    open_sessions = [s for s in sessions if not s.is_cancelled and not s.is_completed]
    words = " ".join(t.replace("_", " ") for t in activity.tags)
    category = str(activity.category).replace("_", " and ")
    text = " ".join(p for p in (f"{activity.name}.", description, f"{category}; {words}.") if p)
    return SourceDocument(
        id=str(activity.id),
        text=text,
        metadata=activity_metadata(
            category=str(activity.category),
            min_age=activity.min_age,
            max_age=activity.max_age,
            credits=activity.credits_required,
            venue_id=str(activity.venue_id),
            tags=tuple(activity.tags),
            days=tuple(DAYS[s.session_date.weekday()] for s in open_sessions),
            times=tuple(str(s.time_of_day) for s in open_sessions),
        ),
    )


def _ms(seconds: float) -> int:
    return max(0, round(seconds * 1000))


class ActivitySearch:
    def __init__(
        self,
        *,
        parser: IntentParser,
        embedder: Embedder,
        store: VectorStore,
        text_search: TextSearch,
        reader: ActivityReader,
        places: PlaceDirectory,
        travel: TravelTime,
        log_uow: Callable[[TenantId], SearchLogUnitOfWork],
        clock: Clock,
        candidates: int = 50,
        weights: RankingWeights = DEFAULT_WEIGHTS,
        timer: Callable[[], float] = _time.perf_counter,
    ) -> None:
        self._parser = parser
        self._embedder = embedder
        self._store = store
        self._text = text_search
        self._reader = reader
        self._places = places
        self._travel = travel
        self._log_uow = log_uow
        self._clock = checked_clock(clock)
        self._candidates = candidates
        self._weights = weights
        self._timer = timer

    def search(
        self,
        tenant_id: TenantId,
        user_id: UserId,
        text: str,
        *,
        child_age: int | None = None,
        top_k: int = 10,
        actor: Actor,
    ) -> SearchResponse:
        v.ids(user_id=user_id)
        v.optional(v.integer(0, 18, rule="between_0_and_18"))(child_age, "child_age")
        if isinstance(text, str):
            v.text(len(text) or 1, min_length=0)(text, "text")  # storable: no NUL, no surrogate
        require_tenant(actor, tenant_id)
        access.search(actor, user_id)
        if not isinstance(text, str) or not text.strip():
            raise ValidationFailed("text", "non_empty")
        if len(text) > MAX_QUERY_LENGTH:
            raise ValidationFailed("text", "max_length", f"at most {MAX_QUERY_LENGTH} characters")
        if isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= 50:
            raise ValidationFailed("top_k", "between_1_and_50")
        started = self._timer()
        now = self._clock.now()
        intent = self._parser.parse(text, child_age=child_age)
        parsed = self._timer()
        area = self._area(tenant_id, user_id, intent)
        filter = activity_filter(intent, venue_ids=area)
        node = parse_filter(filter)
        namespace = namespace_for(tenant_id, "activities")
        topic = intent.topic or text
        degraded, error = False, None
        embedded = parsed
        try:
            vector = self._embedder.embed([topic])[0]
            embedded = self._timer()
            found = self._store.query(
                namespace, vector=vector, top_k=self._candidates, filter=node, include_metadata=True
            )
        except VectorStoreUnavailable as exc:
            degraded, error = True, exc.code
            found = self._text.search(namespace, topic, top_k=self._candidates, filter=node)
        queried = self._timer()
        kept = [m for m in found if matches(node, m.metadata)]
        views = self._reader.views(tenant_id, [m.id for m in kept], after=now, intent=intent)
        hits = self._rank(intent, kept, views, top_k)
        enriched = self._timer()
        if not hits and error is None:
            error = "no_results"
        entry = SearchLogEntry(
            id=new_uuid(),
            tenant_id=tenant_id,
            user_id=user_id,
            query_text=text,
            parsed_intent=intent.to_data(),
            parse_confidence=Decimal(str(intent.confidence)).quantize(Decimal("0.001")),
            clarification_requested=intent.needs_clarification,
            clarification_question=intent.clarification,
            filters=filter,
            top_k=top_k,
            result_activity_ids=tuple(h.activity.activity_id for h in hits),
            result_scores=tuple(round(h.score, 6) for h in hits),
            fallback_to_filters=degraded,
            had_error=error is not None and error != "no_results",
            error_type=error,
            parse_ms=_ms(parsed - started),
            embed_ms=_ms(embedded - parsed) if not degraded else 0,
            vector_query_ms=_ms(queried - embedded),
            enrich_ms=_ms(enriched - queried),
            total_ms=_ms(enriched - started),
            created_at=now,
        )
        with self._log_uow(tenant_id) as uow, uow.batched():  # the row goes with the commit
            uow.search_logs.add(entry)
            uow.commit()
        return SearchResponse(
            log_id=entry.id, intent=intent, hits=hits, degraded=degraded, error_type=error
        )

    def _area(
        self, tenant_id: TenantId, user_id: UserId, intent: SearchIntent
    ) -> frozenset[str] | None:
        origin = self._places.origin(tenant_id, user_id, intent.location)
        if origin is None:
            return None
        point, radius = origin
        venues = self._places.venue_points(tenant_id)
        return frozenset(reachable(self._travel, point, venues, intent.radius_minutes or radius))

    def _rank(
        self,
        intent: SearchIntent,
        found: Sequence[QueryMatch],
        views: Mapping[str, ActivityView],
        top_k: int,
    ) -> tuple[SearchHit, ...]:
        candidates = [
            Candidate(
                id=m.id,
                similarity=m.score,
                text=" ".join(
                    [views[m.id].name, views[m.id].category.replace("_", " "), *views[m.id].tags]
                ),
                tags=views[m.id].tags,
                credits=views[m.id].credits,
            )
            for m in found
            if m.id in views
        ]
        return tuple(
            SearchHit(activity=views[r.candidate.id], score=r.score)
            for r in rank(intent, candidates, self._weights)[:top_k]
        )
