"""Monthly suggestions: generation for many parents at once, expiry, accept and reject.

``Curation.generate(tenant, month, parents)`` reads in batches: every parent's children,
their preference vectors, favourites and active bookings in one unit of work; one vector
query per child for candidate activities; each candidate activity's sessions of the month
once, whoever it is a candidate for; venue eligibility once. The pure rules of
``travelcore.discovery.curation`` pick at most 3 per child (sibling suggestions first).
Generation is idempotent per parent-month (a parent who has suggestions for the month is
skipped; a concurrent second generation clashes on the unique key and writes nothing).
Children without current consent to AI personalisation get none.
With a ``PlaceDirectory``, only venues within the parent's primary search radius count.
Suggestions expire at the end of the month in the tenant's zone; accepting one books
through the booking service with source ``suggestion`` (a group booking for siblings).
An accept books and records the answer in one unit of work, the suggestion read with
``get_for_update`` first: of answers to one suggestion at once, one lands and the others
get ``SuggestionClosed``, and a booking exists if and only if the suggestion is accepted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Literal, Protocol
from uuid import UUID

import attrs

from travelcore.booking.model import ACTIVE_STATUSES, BookingId, BookingSource
from travelcore.booking.ports import BookingUnitOfWork
from travelcore.booking.service import ATTEMPTS, BookingService
from travelcore.catalog.model import Activity, ActivityId, SessionId, Venue, VenueId
from travelcore.consent.ports import ConsentRepository
from travelcore.consent.service import allows_ai_personalisation
from travelcore.discovery import access
from travelcore.discovery.curation import (
    ChildProfile,
    SessionOption,
    first_preference_text,
    month_end,
    month_start,
    monthly_plan,
)
from travelcore.discovery.feedback import ChildPreferenceRepository
from travelcore.discovery.geo import GeoPoint, StraightLineTravelTime, TravelTime, reachable
from travelcore.discovery.personal import FavouriteRepository
from travelcore.discovery.scoring import VenueScoring
from travelcore.discovery.search import PlaceDirectory
from travelcore.kernel import Actor, require_tenant, run_use_case
from travelcore.kernel import validation as v
from travelcore.kernel.clock import Clock, checked_clock
from travelcore.kernel.errors import AccessDenied, AlreadyExists, RuleViolation, ValidationFailed
from travelcore.kernel.ids import TenantId, UserId, new_uuid
from travelcore.kernel.policy import Policy
from travelcore.people.model import ChildId
from travelcore.vectors.ports import Embedder, VectorStore
from travelcore.vectors.records import namespace_for

Response = Literal["accepted", "rejected"]


MAX_PARENTS = 10_000
"""The most parents one generation run takes (run it again for more)."""


class SuggestionClosed(RuleViolation):
    """The suggestion was already answered or has expired."""

    code = "suggestion_closed"


@attrs.frozen(kw_only=True)
class SuggestionRecord:
    """One stored suggestion (seed ``ai_suggestions``)."""

    id: UUID
    tenant_id: TenantId
    user_id: UserId
    month: date
    child_ids: tuple[ChildId, ...]
    session_id: SessionId
    activity_id: ActivityId
    rank: int
    match_score: Decimal
    fits: Mapping[ChildId, Decimal]
    generated_at: datetime
    expires_at: datetime
    response: Response | None = None
    responded_at: datetime | None = None
    converted_booking_ids: tuple[BookingId, ...] = ()
    rejection_reason: str | None = None
    version: int = 1

    @property
    def is_group(self) -> bool:
        return len(self.child_ids) > 1


class SuggestionRepository(Protocol):
    def add_many(self, records: Sequence[SuggestionRecord]) -> None:
        """All or nothing; ``AlreadyExists`` if one clashes (same parent, month, children
        and rank)."""
        ...

    def get(self, suggestion_id: UUID) -> SuggestionRecord: ...

    def get_for_update(self, suggestion_id: UUID) -> SuggestionRecord:
        """``get``, locked until the unit of work ends (answers at once queue)."""
        ...

    def for_parent(self, user_id: UserId, month: date) -> list[SuggestionRecord]:
        """Group suggestions first, then by children and rank."""
        ...

    def save(self, record: SuggestionRecord) -> SuggestionRecord:
        """Optimistic (``StaleVersion``); returns the record with its new version."""
        ...


class CurationUnitOfWork(BookingUnitOfWork, Protocol):
    @property
    def suggestions(self) -> SuggestionRepository: ...

    @property
    def child_preferences(self) -> ChildPreferenceRepository: ...

    @property
    def favourites(self) -> FavouriteRepository: ...

    @property
    def consents(self) -> ConsentRepository: ...


@attrs.frozen
class GenerationReport:
    generated: Mapping[UserId, tuple[SuggestionRecord, ...]]
    skipped: tuple[UserId, ...]


class Curation:
    def __init__(
        self,
        uow_factory: Callable[[TenantId], CurationUnitOfWork],
        *,
        store: VectorStore,
        embedder: Embedder,
        bookings: BookingService,
        scoring: VenueScoring,
        clock: Clock,
        policy: Policy | None = None,
        timezone: str = "UTC",
        candidates_per_child: int = 20,
        places: PlaceDirectory | None = None,
        travel: TravelTime | None = None,
    ) -> None:
        self._uow_factory = uow_factory
        self._store = store
        self._embedder = embedder
        self._bookings = bookings
        self._scoring = scoring
        self._clock = checked_clock(clock)
        self._policy = policy or Policy()
        self._timezone = timezone
        self._candidates = candidates_per_child
        self._places = places
        self._travel = travel or StraightLineTravelTime()

    def generate(
        self, tenant_id: TenantId, month: date, parents: Sequence[UserId], *, actor: Actor
    ) -> GenerationReport:
        v.day(month, "month")
        v.items(v.uuid, max_items=MAX_PARENTS)(parents, "parents")
        require_tenant(actor, tenant_id)
        access.curate(actor)
        now = self._clock.now()
        first = month_start(month)
        last = month_start(first + timedelta(days=32)) - timedelta(days=1)
        families, skipped = self._families(tenant_id, first, parents, now)
        vectors = self._store.fetch(
            namespace_for(tenant_id, "activities"),
            sorted(self._candidate_ids(tenant_id, families)),
        ).records
        options = self._options(tenant_id, vectors, first, last, actor=actor)
        expires = month_end(first, self._timezone)
        generated: dict[UserId, tuple[SuggestionRecord, ...]] = {}
        points = self._places.venue_points(tenant_id) if self._places else {}
        for parent, children in families.items():
            plan = monthly_plan(
                children,
                self._reachable(tenant_id, parent, options, points),
                month=first,
                now=now,
                limit=self._policy.max_suggestions_per_child_per_month,
                release_lead=self._policy.inventory_release,
            )
            records = tuple(
                SuggestionRecord(
                    id=new_uuid(),
                    tenant_id=tenant_id,
                    user_id=parent,
                    month=first,
                    child_ids=tuple(ChildId(c) for c in s.child_ids),
                    session_id=SessionId(s.session_id),
                    activity_id=ActivityId(s.activity_id),
                    rank=s.rank,
                    match_score=s.match_score,
                    fits={ChildId(k): v for k, v in s.fits.items()},
                    generated_at=now,
                    expires_at=expires,
                )
                for s in plan
            )
            if not records:
                continue
            try:
                with self._uow_factory(tenant_id) as uow:
                    uow.actor = actor
                    uow.suggestions.add_many(records)
                    uow.commit()
            except AlreadyExists:
                skipped.append(parent)
                continue
            generated[parent] = records
        return GenerationReport(generated, tuple(skipped))

    def _reachable(
        self,
        tenant_id: TenantId,
        parent: UserId,
        options: list[SessionOption],
        points: Mapping[str, GeoPoint],
    ) -> list[SessionOption]:
        """Options at venues within the parent's primary radius (all when unknown)."""
        origin = self._places.origin(tenant_id, parent, None) if self._places else None
        if origin is None:
            return options
        area = reachable(self._travel, origin[0], points, origin[1])
        return [attrs.evolve(o, reachable=str(o.venue_id) in area) for o in options]

    def _families(
        self, tenant_id: TenantId, month: date, parents: Sequence[UserId], now: datetime
    ) -> tuple[dict[UserId, list[ChildProfile]], list[UserId]]:
        families: dict[UserId, list[ChildProfile]] = {}
        skipped: list[UserId] = []
        missing: list[tuple[UserId, int, ChildId, str]] = []
        with self._uow_factory(tenant_id) as uow:
            for parent in parents:
                if uow.suggestions.for_parent(parent, month):
                    skipped.append(parent)
                    continue
                booked: dict[ChildId, set[SessionId]] = {}
                for booking in uow.bookings.for_parent(parent):
                    if booking.status in ACTIVE_STATUSES:
                        booked.setdefault(booking.child_id, set()).add(booking.session_id)
                profiles: list[ChildProfile] = []
                for child in uow.children.for_parent(parent):
                    if not child.is_active or not allows_ai_personalisation(uow.consents, child.id):
                        continue
                    preference = uow.child_preferences.get(child.id)
                    if preference is None:
                        text = first_preference_text(child.interests, child.age_on(now.date()))
                        missing.append((parent, len(profiles), child.id, text))
                    profiles.append(
                        ChildProfile(
                            child_id=child.id,
                            date_of_birth=child.date_of_birth,
                            preference=preference.vector if preference else (),
                            avoid=frozenset(child.activities_to_avoid),
                            favourites=frozenset(
                                f.activity_id for f in uow.favourites.for_child(child.id)
                            ),
                            booked_sessions=frozenset(booked.get(child.id, ())),
                        )
                    )
                if profiles:
                    families[parent] = profiles
        if missing:
            embedded = self._embedder.embed([text for *_, text in missing])
            for (parent, index, _, _), vector in zip(missing, embedded, strict=True):
                families[parent][index] = attrs.evolve(families[parent][index], preference=vector)
        return families, skipped

    def _candidate_ids(
        self, tenant_id: TenantId, families: Mapping[UserId, list[ChildProfile]]
    ) -> set[str]:
        namespace = namespace_for(tenant_id, "activities")
        ids: set[str] = set()
        for children in families.values():
            for child in children:
                found = self._store.query(
                    namespace, vector=child.preference, top_k=self._candidates
                )
                ids.update(m.id for m in found)
        return ids

    def _options(
        self,
        tenant_id: TenantId,
        vectors: Mapping[str, object],
        first: date,
        last: date,
        *,
        actor: Actor,
    ) -> list[SessionOption]:
        options: list[SessionOption] = []
        with self._uow_factory(tenant_id) as uow:
            activities: dict[str, Activity] = {}
            for raw in vectors:
                try:
                    activities[raw] = uow.activities.get(ActivityId(UUID(raw)))
                except ValueError:
                    continue
            venues: dict[VenueId, Venue] = {}
            for activity in activities.values():
                if activity.venue_id not in venues:
                    venues[activity.venue_id] = uow.venues.get(activity.venue_id)
            sessions = {
                raw: uow.sessions.for_activity(a.id, first, last) for raw, a in activities.items()
            }
        eligible = self._scoring.eligible(tenant_id, venues, actor=actor)
        for raw, activity in activities.items():
            if not (activity.is_published and activity.is_active):
                continue
            venue = venues[activity.venue_id]
            values = getattr(vectors[raw], "values", ())
            for session in sessions[raw]:
                if session.is_cancelled or session.is_completed:
                    continue
                options.append(
                    SessionOption(
                        session_id=session.id,
                        activity_id=activity.id,
                        venue_id=venue.id,
                        session_date=session.session_date,
                        starts_at=session.starts_at,
                        min_age=activity.min_age,
                        max_age=activity.max_age,
                        category=str(activity.category),
                        tags=frozenset(activity.tags),
                        free_seats=session.free_seats,
                        venue_active=venue.is_bookable(session.session_date),
                        venue_eligible=venue.id in eligible,
                        activity_vector=tuple(values),
                    )
                )
        return options

    def for_parent(
        self, tenant_id: TenantId, parent: UserId, month: date, *, actor: Actor
    ) -> list[SuggestionRecord]:
        v.ids(parent=parent)
        v.day(month, "month")
        require_tenant(actor, tenant_id)
        access.read_family(actor, parent)
        with self._uow_factory(tenant_id) as uow:
            return uow.suggestions.for_parent(parent, month_start(month))

    @staticmethod
    def _check_open(record: SuggestionRecord, parent: UserId, now: datetime) -> SuggestionRecord:
        if record.user_id != parent:
            raise AccessDenied(
                "only the parent the suggestion was made for may answer it", rule="own_family"
            )
        if record.response is not None:
            raise SuggestionClosed(f"the suggestion was already {record.response}")
        if now >= record.expires_at:
            raise SuggestionClosed("the suggestion has expired")
        return record

    def accept(
        self,
        tenant_id: TenantId,
        parent: UserId,
        suggestion_id: UUID,
        *,
        idempotency_key: str,
        actor: Actor,
    ) -> SuggestionRecord:
        """Book the suggested session (source ``suggestion``) and record the booking, in
        one unit of work with the suggestion locked first: the booking exists if and only
        if the suggestion is accepted. Idempotent per ``idempotency_key``."""
        v.ids(parent=parent, suggestion_id=suggestion_id)
        v.text(255)(idempotency_key, "idempotency_key")
        require_tenant(actor, tenant_id)
        access.family(actor, parent)
        request = _Accept(tenant_id=tenant_id, parent=parent, suggestion_id=suggestion_id)

        def action(uow: CurationUnitOfWork, now: datetime) -> SuggestionRecord:
            record = self._check_open(uow.suggestions.get_for_update(suggestion_id), parent, now)
            receipts = self._bookings.book_in(
                uow,
                now,
                record.session_id,
                record.child_ids,
                parent,
                source=BookingSource.SUGGESTION,
                actor=actor,
            )
            booked = tuple(r.booking_id for r in receipts)
            return self._save_answer(
                uow, record, now, response="accepted", converted_booking_ids=booked
            )

        return run_use_case(
            self._uow_factory,
            tenant_id,
            self._clock,
            idempotency_key,
            request,
            SuggestionRecord,
            action,
            actor=actor,
            attempts=ATTEMPTS,
        )

    def reject(
        self, tenant_id: TenantId, parent: UserId, suggestion_id: UUID, *, reason: str, actor: Actor
    ) -> SuggestionRecord:
        v.ids(parent=parent, suggestion_id=suggestion_id)
        require_tenant(actor, tenant_id)
        access.family(actor, parent)
        if not isinstance(reason, str) or not reason.strip() or len(reason) > 500:
            raise ValidationFailed("reason", "text_of_1_to_500_characters")
        with self._uow_factory(tenant_id) as uow:
            uow.actor = actor
            now = self._clock.now()
            record = self._check_open(uow.suggestions.get_for_update(suggestion_id), parent, now)
            saved = self._save_answer(
                uow, record, now, response="rejected", rejection_reason=reason
            )
            uow.commit()
        return saved

    @staticmethod
    def _save_answer(
        uow: CurationUnitOfWork, record: SuggestionRecord, now: datetime, **changes: object
    ) -> SuggestionRecord:
        return uow.suggestions.save(
            attrs.evolve(record, responded_at=now, **changes)  # type: ignore[arg-type]
        )


@attrs.frozen(kw_only=True)
class _Accept:
    """What an accept's idempotency key stands for."""

    tenant_id: TenantId
    parent: UserId
    suggestion_id: UUID
