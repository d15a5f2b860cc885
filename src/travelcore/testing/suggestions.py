"""The contract of monthly suggestions (``Curation`` over the ports): generation for
siblings, idempotency, accept through the booking service, reject, expiry.

Provide the fixtures ``uow_factory``, ``clock`` (a ``ManualClock`` in March 2026) and
``vectors`` (a vector store of dimension ``DIMENSION``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from travelcore.booking import BookingSource
from travelcore.catalog import VenueStatus
from travelcore.discovery.geo import GeoPoint
from travelcore.discovery.places import Places
from travelcore.discovery.scoring import RepositoryMetricsReader, VenueScoring
from travelcore.discovery.suggestions import Curation, SuggestionClosed
from travelcore.kernel import (
    AccessDenied,
    ManualClock,
    TenantId,
    UserId,
    ValidationFailed,
    new_uuid,
)
from travelcore.people.model import age_on
from travelcore.testing.actors import admin, job
from travelcore.testing.consent import grant_ai_consent
from travelcore.testing.world import World
from travelcore.vectors import HashingEmbedder, VectorRecord, namespace_for
from travelcore.vectors.ports import VectorStore

DIMENSION = 32
APRIL = date(2026, 4, 1)


class SuggestionsContract:
    @pytest.fixture
    def world(self, uow_factory: Callable[[TenantId], Any], clock: ManualClock) -> World:
        return World(uow_factory, clock)

    @pytest.fixture
    def curation(
        self,
        world: World,
        uow_factory: Callable[[TenantId], Any],
        clock: ManualClock,
        vectors: VectorStore,
    ) -> Curation:
        embedder = HashingEmbedder(DIMENSION)
        names: list[tuple[str, str]] = []
        for days, ages in ((35, (4, 12)), (40, (4, 12)), (45, (9, 12)), (50, (4, 6)), (5, (4, 12))):
            session = world.get_session(world.session(starts_in=timedelta(days=days), ages=ages))
            with uow_factory(world.tenant) as uow:
                names.append(
                    (str(session.activity_id), uow.activities.get(session.activity_id).name)
                )
        vectors.upsert(
            namespace_for(world.tenant, "activities"),
            [
                VectorRecord(i, v, {})
                for (i, _), v in zip(names, embedder.embed([n for _, n in names]), strict=True)
            ],
        )
        scoring = VenueScoring(uow_factory, RepositoryMetricsReader(uow_factory), clock)
        return Curation(
            uow_factory,
            store=vectors,
            embedder=embedder,
            bookings=world.bookings,
            scoring=scoring,
            clock=clock,
            timezone="America/New_York",
            places=Places(uow_factory),
        )

    def test_siblings_get_a_shared_suggestion_and_at_most_3_each(
        self, world: World, curation: Curation, uow_factory: Callable[[TenantId], Any]
    ) -> None:
        parent, kids = world.family(born=[date(2018, 5, 1), date(2016, 1, 10)])
        report = curation.generate(world.tenant, APRIL, [parent], actor=job(world.tenant))
        plan = report.generated[parent]
        assert plan[0].is_group
        assert set(plan[0].child_ids) == set(kids)
        assert set(plan[0].fits) == set(kids)
        per_child = Counter(c for s in plan for c in s.child_ids)
        assert all(n <= 3 for n in per_child.values())
        assert set(per_child) == set(kids)
        with uow_factory(world.tenant) as uow:
            for s in plan:
                session = uow.sessions.get(s.session_id)
                activity = uow.activities.get(s.activity_id)
                assert (session.session_date.year, session.session_date.month) == (2026, 4)
                for child_id in s.child_ids:
                    child = uow.children.get(child_id)
                    assert (
                        activity.min_age
                        <= age_on(child.date_of_birth, session.session_date)
                        <= activity.max_age
                    )
        stored = curation.for_parent(world.tenant, parent, APRIL, actor=admin(world.tenant))
        assert sorted(stored, key=lambda s: str(s.id)) == sorted(plan, key=lambda s: str(s.id))
        assert stored[0].is_group
        again = curation.generate(world.tenant, APRIL, [parent], actor=job(world.tenant))
        assert (again.generated, again.skipped) == ({}, (parent,))
        assert len(
            curation.for_parent(world.tenant, parent, APRIL, actor=admin(world.tenant))
        ) == len(plan)

    def test_accepting_books_with_source_suggestion(
        self, world: World, curation: Curation, uow_factory: Callable[[TenantId], Any]
    ) -> None:
        parent, kids = world.family(born=[date(2018, 5, 1), date(2016, 1, 10)])
        group = curation.generate(world.tenant, APRIL, [parent], actor=job(world.tenant)).generated[
            parent
        ][0]
        with pytest.raises(AccessDenied):
            curation.accept(
                world.tenant,
                UserId(new_uuid()),
                group.id,
                idempotency_key=world.key(),
                actor=admin(world.tenant),
            )
        key = world.key()
        accepted = curation.accept(
            world.tenant, parent, group.id, idempotency_key=key, actor=admin(world.tenant)
        )
        assert accepted.response == "accepted"
        assert len(accepted.converted_booking_ids) == 2
        again = curation.accept(
            world.tenant, parent, group.id, idempotency_key=key, actor=admin(world.tenant)
        )
        assert again == accepted  # the stored answer: nothing booked twice
        assert len(world.bookings_on(group.session_id)) == 2
        with uow_factory(world.tenant) as uow:
            booked = [uow.bookings.get(b) for b in accepted.converted_booking_ids]
        assert {b.child_id for b in booked} == set(kids)
        assert {b.source for b in booked} == {BookingSource.SUGGESTION}
        assert {b.session_id for b in booked} == {group.session_id}
        with pytest.raises(SuggestionClosed):
            curation.accept(
                world.tenant,
                parent,
                group.id,
                idempotency_key=world.key(),
                actor=admin(world.tenant),
            )

    def test_rejecting_records_the_reason_and_suggestions_expire(
        self, world: World, curation: Curation, clock: ManualClock
    ) -> None:
        parent, _ = world.family(born=[date(2018, 5, 1)])
        first, second, *_ = curation.generate(
            world.tenant, APRIL, [parent], actor=job(world.tenant)
        ).generated[parent]
        with pytest.raises(ValidationFailed):
            curation.reject(world.tenant, parent, first.id, reason=" ", actor=admin(world.tenant))
        rejected = curation.reject(
            world.tenant, parent, first.id, reason="too far away", actor=admin(world.tenant)
        )
        assert (rejected.response, rejected.rejection_reason) == ("rejected", "too far away")
        clock.advance(timedelta(days=60))
        with pytest.raises(SuggestionClosed):
            curation.accept(
                world.tenant,
                parent,
                second.id,
                idempotency_key=world.key(),
                actor=admin(world.tenant),
            )

    def test_only_venues_within_the_parents_radius_count(
        self, world: World, curation: Curation, uow_factory: Callable[[TenantId], Any]
    ) -> None:
        anywhere, _ = world.family(born=[date(2018, 5, 1)])
        parent, _ = world.family(born=[date(2018, 5, 1)])
        unrestricted = curation.generate(
            world.tenant, APRIL, [anywhere], actor=job(world.tenant)
        ).generated[anywhere]
        assert len(unrestricted) == 2
        places = Places(uow_factory)
        home = GeoPoint(40.70, -74.00)
        places.set_location(
            world.tenant,
            parent,
            "home",
            address_line1="1 Main St",
            city="NYC",
            postal_code="10001",
            point=home,
            radius_minutes=10,
            actor=admin(world.tenant),
        )
        with uow_factory(world.tenant) as uow:
            near = uow.venues.get(uow.sessions.get(unrestricted[-1].session_id).venue_id)
            far = [v for v in uow.venues.with_status(VenueStatus.ACTIVE) if v.id != near.id]
        places.place_venue(
            world.tenant, near.id, GeoPoint(40.71, -74.00), actor=admin(world.tenant)
        )
        for venue in far:
            places.place_venue(
                world.tenant, venue.id, GeoPoint(41.5, -74.00), actor=admin(world.tenant)
            )
        plan = curation.generate(world.tenant, APRIL, [parent], actor=job(world.tenant)).generated[
            parent
        ]
        with uow_factory(world.tenant) as uow:
            assert {uow.sessions.get(s.session_id).venue_id for s in plan} == {near.id}

    def test_a_child_without_ai_consent_gets_no_suggestions(
        self, world: World, curation: Curation, uow_factory: Callable[[TenantId], Any]
    ) -> None:
        alone, _ = world.family(born=[date(2018, 5, 1)], ai_consent=False)
        assert (
            curation.generate(world.tenant, APRIL, [alone], actor=job(world.tenant)).generated == {}
        )
        parent, (consented, _) = world.family(
            born=[date(2018, 5, 1), date(2016, 1, 10)], ai_consent=False
        )
        with uow_factory(world.tenant) as uow:
            grant_ai_consent(uow.consents, world.tenant, parent, [consented], world.clock.now())
            uow.commit()
        plan = curation.generate(world.tenant, APRIL, [parent], actor=job(world.tenant)).generated[
            parent
        ]
        assert plan
        assert {c for s in plan for c in s.child_ids} == {consented}
