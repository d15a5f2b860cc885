"""The contracts of the discovery repositories: parents' locations and venue coordinates
(through the ``Places`` service) and the search log.

Subclass and provide the fixture ``uow_factory``: ``(TenantId) -> unit of work`` with
``user_locations``, ``venue_locations`` and ``search_logs``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from travelcore.catalog import VenueId
from travelcore.discovery import GeoPoint
from travelcore.discovery.places import Places
from travelcore.discovery.search import SearchLogEntry
from travelcore.kernel import AlreadyExists, NotFound, TenantId, UserId, ValidationFailed, new_uuid
from travelcore.testing.actors import admin

HOME = GeoPoint(40.70, -74.00)
SCHOOL = GeoPoint(40.76, -73.96)


class PlacesContract:
    @pytest.fixture
    def places(self, uow_factory: Callable[[TenantId], Any]) -> Places:
        return Places(uow_factory)

    def _set(self, places: Places, tenant: TenantId, user: UserId, kind: Any, **kw: Any) -> Any:
        return places.set_location(
            tenant,
            user,
            kind,
            address_line1="1 Main St",
            city="NYC",
            postal_code="10001",
            **kw,
            actor=admin(tenant),
        )

    def test_the_first_location_is_primary_and_one_stays_primary(self, places: Places) -> None:
        tenant, user = TenantId(new_uuid()), UserId(new_uuid())
        assert self._set(places, tenant, user, "home", point=HOME).is_primary
        self._set(places, tenant, user, "school", point=SCHOOL, radius_minutes=10)
        assert [
            (x.location_type, x.is_primary)
            for x in places.locations(tenant, user, actor=admin(tenant))
        ] == [
            ("home", True),
            ("school", False),
        ]
        self._set(places, tenant, user, "school", point=SCHOOL, primary=True, radius_minutes=10)
        assert [
            (x.location_type, x.is_primary)
            for x in places.locations(tenant, user, actor=admin(tenant))
        ] == [
            ("home", False),
            ("school", True),
        ]
        assert places.origin(tenant, user, None) == (SCHOOL, 10)
        assert places.origin(tenant, user, "home") == (HOME, 15)
        assert places.origin(tenant, user, "work") == (SCHOOL, 10)  # unknown: the primary one
        assert places.origin(tenant, UserId(new_uuid()), None) is None

    def test_one_location_per_type_replaced_in_place(self, places: Places) -> None:
        tenant, user = TenantId(new_uuid()), UserId(new_uuid())
        first = self._set(places, tenant, user, "home", point=HOME)
        again = self._set(places, tenant, user, "home", point=SCHOOL, label="new flat")
        assert again.id == first.id
        [only] = places.locations(tenant, user, actor=admin(tenant))
        assert (only.point, only.label, only.is_primary) == (SCHOOL, "new flat", True)

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"radius_minutes": 61}, "radius_minutes"),
            ({"radius_minutes": 4}, "radius_minutes"),
            ({"postal_code": ""}, "postal_code"),
        ],
    )
    def test_bad_locations_are_refused(
        self, places: Places, changes: dict[str, Any], field: str
    ) -> None:
        tenant, user = TenantId(new_uuid()), UserId(new_uuid())
        values = {"address_line1": "1 Main St", "city": "NYC", "postal_code": "10001", **changes}
        with pytest.raises(ValidationFailed) as info:
            places.set_location(tenant, user, "home", **values, actor=admin(tenant))
        assert info.value.field == field
        assert places.locations(tenant, user, actor=admin(tenant)) == []
        unknown: Any = "cottage"
        with pytest.raises(ValidationFailed):
            places.set_location(
                tenant,
                user,
                unknown,
                address_line1="x",
                city="y",
                postal_code="z",
                actor=admin(tenant),
            )

    def test_venue_points_stay_in_their_tenant(self, places: Places) -> None:
        one, other = TenantId(new_uuid()), TenantId(new_uuid())
        venue = VenueId(new_uuid())
        places.place_venue(one, venue, HOME, actor=admin(one))
        places.place_venue(one, venue, SCHOOL, actor=admin(one))
        assert places.venue_points(one) == {str(venue): SCHOOL}
        assert places.venue_points(other) == {}


T0 = datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=UTC)


def a_log_entry(
    tenant: TenantId, user: UserId, at: datetime = T0, **changes: Any
) -> SearchLogEntry:
    """A log entry with every field set to a non-default value unless ``changes`` say otherwise."""
    values: dict[str, Any] = {
        "id": new_uuid(),
        "tenant_id": tenant,
        "user_id": user,
        "query_text": "outdoor, not messy, for my 7 year old — «ok»",
        "parsed_intent": {"age": 7, "setting": "outdoor", "messy": False, "days": ["sat"]},
        "parse_confidence": Decimal("0.875"),
        "clarification_requested": True,
        "clarification_question": "Indoors or outdoors?",
        "filters": {"$and": [{"min_age": {"$lte": 7}}, {"tags": {"$nin": ["messy"]}}]},
        "top_k": 7,
        "result_activity_ids": ("a", "b"),
        "result_scores": (0.912345, 0.5),
        "fallback_to_filters": True,
        "had_error": True,
        "error_type": "vector_store_unavailable",
        "parse_ms": 1,
        "embed_ms": 2,
        "vector_query_ms": 3,
        "enrich_ms": 4,
        "total_ms": 11,
        "created_at": at,
    }
    values.update(changes)
    return SearchLogEntry(**values)


def _add_and_commit(uow: Any, entry: SearchLogEntry) -> None:
    uow.search_logs.add(entry)
    uow.commit()


class SearchLogRepositoryContract:
    def test_every_field_round_trips(self, uow_factory: Callable[[TenantId], Any]) -> None:
        tenant, user = TenantId(new_uuid()), UserId(new_uuid())
        entry = a_log_entry(tenant, user)
        with uow_factory(tenant) as uow:
            uow.search_logs.add(entry)
            uow.commit()
        with uow_factory(tenant) as uow:
            assert uow.search_logs.get(entry.id) == entry
        bare = a_log_entry(
            tenant,
            user,
            clarification_requested=False,
            clarification_question=None,
            filters={},
            result_activity_ids=(),
            result_scores=(),
            error_type=None,
            had_error=False,
        )
        with uow_factory(tenant) as uow:
            uow.search_logs.add(bare)
            uow.commit()
        with uow_factory(tenant) as uow:
            assert uow.search_logs.get(bare.id) == bare

    def test_an_id_is_written_once(self, uow_factory: Callable[[TenantId], Any]) -> None:
        tenant, user = TenantId(new_uuid()), UserId(new_uuid())
        entry = a_log_entry(tenant, user)
        with uow_factory(tenant) as uow:
            uow.search_logs.add(entry)
            uow.commit()
        with uow_factory(tenant) as uow, pytest.raises(AlreadyExists):
            _add_and_commit(uow, entry)

    def test_newest_first_per_user_and_purge_by_age(
        self, uow_factory: Callable[[TenantId], Any]
    ) -> None:
        tenant, user, other = TenantId(new_uuid()), UserId(new_uuid()), UserId(new_uuid())
        entries = [a_log_entry(tenant, user, T0 + timedelta(days=d)) for d in (0, 50, 100)]
        with uow_factory(tenant) as uow:
            for entry in entries:
                uow.search_logs.add(entry)
            uow.search_logs.add(a_log_entry(tenant, other))
            uow.commit()
        with uow_factory(tenant) as uow:
            assert [e.id for e in uow.search_logs.for_user(user)] == [e.id for e in entries[::-1]]
            assert [e.id for e in uow.search_logs.for_user(user, limit=1)] == [entries[2].id]
            assert uow.search_logs.purge(T0 + timedelta(days=50)) == 2
            uow.commit()
        with uow_factory(tenant) as uow:
            assert [e.id for e in uow.search_logs.for_user(user)] == [entries[2].id, entries[1].id]
            assert uow.search_logs.for_user(other) == []

    def test_tenants_never_see_each_other(self, uow_factory: Callable[[TenantId], Any]) -> None:
        tenant, user = TenantId(new_uuid()), UserId(new_uuid())
        entry = a_log_entry(tenant, user)
        with uow_factory(tenant) as uow:
            uow.search_logs.add(entry)
            uow.commit()
        stranger = TenantId(new_uuid())
        with uow_factory(stranger) as uow:
            with pytest.raises(NotFound):
                uow.search_logs.get(entry.id)
            assert uow.search_logs.for_user(user) == []
            assert uow.search_logs.purge(T0 + timedelta(days=1)) == 0
        with uow_factory(stranger) as uow, pytest.raises(ValidationFailed):
            uow.search_logs.add(entry)
