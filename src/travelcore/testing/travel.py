"""The contract every adapter of the travel repositories honours (through the ports only)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import attrs
import pytest

from travelcore.kernel import (
    AlreadyExists,
    Money,
    NotFound,
    StaleVersion,
    TenantId,
    UserId,
    ValidationFailed,
    new_uuid,
)
from travelcore.travel import (
    CabinClass,
    Itinerary,
    ItineraryDay,
    ItineraryId,
    ItineraryStatus,
    LineItem,
    PolicyKey,
    PolicyRule,
    Reminder,
    ReminderId,
    Severity,
    Tenant,
    TravelPreferences,
    Trip,
    TripId,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def make_itinerary(tenant: TenantId, user: UserId, start: date = date(2026, 2, 1)) -> Itinerary:
    return Itinerary(
        id=ItineraryId(new_uuid()),
        tenant_id=tenant,
        user_id=user,
        starts_on=start,
        ends_on=start + timedelta(days=2),
        destinations=("Lisbon", "Porto"),
        days=(ItineraryDay(day=start, activity_type="meeting", details={"with": "ACME"}),),
        created_at=T0,
    )


def make_trip(tenant: TenantId, user: UserId, at: datetime = T0) -> Trip:
    items = (
        LineItem.flight(
            provider="Amadeus",
            external_ref="PNR1",
            fare=Money.of("210.50", "EUR"),
            passengers=2,
            departs_on=date(2026, 2, 1),
            destination="LIS",
            cabin_class=CabinClass.BUSINESS,
        ),
        LineItem.hotel(
            provider="Booking.com",
            external_ref="H-9",
            price_per_night=Money.of("99.90", "EUR"),
            check_in=date(2026, 2, 1),
            check_out=date(2026, 2, 3),
            stars=4,
        ),
    )
    return Trip(
        id=TripId(new_uuid()),
        tenant_id=tenant,
        user_id=user,
        itinerary_id=None,
        currency="EUR",
        items=items,
        destinations=("Lisbon",),
        policy_flags=("per_night_cap",),
        created_at=at,
        updated_at=at,
    )


class TravelRepositoriesContract:
    """Subclass and provide ``uow_factory``: ``(TenantId, EventBus | None) -> TravelUnitOfWork``."""

    @pytest.fixture
    def tenant(self) -> TenantId:
        return TenantId(new_uuid())

    @pytest.fixture
    def user(self) -> UserId:
        return UserId(new_uuid())

    def _commit(self, uow_factory: Callable[..., Any], tenant: TenantId, fn: Any) -> Any:
        with uow_factory(tenant, None) as uow:
            result = fn(uow)
            uow.commit()
        return result

    def _read(self, uow_factory: Callable[..., Any], tenant: TenantId, fn: Any) -> Any:
        with uow_factory(tenant, None) as uow:
            return fn(uow)

    # tenants ---------------------------------------------------------------------------

    def test_tenant_round_trip_and_isolation(
        self, uow_factory: Callable[..., Any], tenant: TenantId
    ) -> None:
        record = Tenant(id=tenant, name="Acme", created_at=T0)
        self._commit(uow_factory, tenant, lambda u: u.tenants.add(record))
        assert self._read(uow_factory, tenant, lambda u: u.tenants.get()) == record
        with uow_factory(tenant, None) as uow, pytest.raises(AlreadyExists):
            uow.tenants.add(record)
        other = TenantId(new_uuid())
        with uow_factory(other, None) as uow:
            with pytest.raises(NotFound):
                uow.tenants.get()
            with pytest.raises(ValidationFailed):
                uow.tenants.add(record)

    def test_tenant_save_checks_version(
        self, uow_factory: Callable[..., Any], tenant: TenantId
    ) -> None:
        record = Tenant(id=tenant, name="Acme", created_at=T0)
        self._commit(uow_factory, tenant, lambda u: u.tenants.add(record))
        renamed = attrs.evolve(record, name="Acme GmbH")
        self._commit(uow_factory, tenant, lambda u: u.tenants.save(renamed))
        assert renamed.version == record.version + 1
        assert self._read(uow_factory, tenant, lambda u: u.tenants.get()) == renamed
        with uow_factory(tenant, None) as uow, pytest.raises(StaleVersion):
            uow.tenants.save(attrs.evolve(record, name="Acme AG"))

    # policies --------------------------------------------------------------------------

    def test_policy_rules_round_trip_ordered(
        self, uow_factory: Callable[..., Any], tenant: TenantId
    ) -> None:
        cap = PolicyRule(
            tenant_id=tenant,
            key=PolicyKey.PER_TRIP_CAP,
            value={"amount": "2000.00", "currency": "EUR"},
            updated_at=T0,
        )
        cabin = PolicyRule(
            tenant_id=tenant,
            key=PolicyKey.CABIN_CLASS,
            value={"max": "economy"},
            severity=Severity.WARNING,
            updated_at=T0,
        )
        self._commit(uow_factory, tenant, lambda u: u.travel_policies.add(cap))
        self._commit(uow_factory, tenant, lambda u: u.travel_policies.add(cabin))
        rules = self._read(uow_factory, tenant, lambda u: list(u.travel_policies.list()))
        assert rules == [cabin, cap]
        assert self._read(uow_factory, tenant, lambda u: u.travel_policies.get(cap.key)) == cap
        with uow_factory(tenant, None) as uow, pytest.raises(AlreadyExists):
            uow.travel_policies.add(cap)
        other = TenantId(new_uuid())
        assert self._read(uow_factory, other, lambda u: list(u.travel_policies.list())) == []

    def test_policy_rule_save_and_remove(
        self, uow_factory: Callable[..., Any], tenant: TenantId
    ) -> None:
        rule = PolicyRule(
            tenant_id=tenant,
            key=PolicyKey.ADVANCE_BOOKING,
            value={"min_days": 7},
            updated_at=T0,
        )
        self._commit(uow_factory, tenant, lambda u: u.travel_policies.add(rule))
        changed = attrs.evolve(rule, value={"min_days": 14})
        self._commit(uow_factory, tenant, lambda u: u.travel_policies.save(changed))
        with uow_factory(tenant, None) as uow, pytest.raises(StaleVersion):
            uow.travel_policies.save(attrs.evolve(rule, value={"min_days": 21}))
        found = self._read(uow_factory, tenant, lambda u: u.travel_policies.find(rule.key))
        assert found == changed
        self._commit(uow_factory, tenant, lambda u: u.travel_policies.remove(rule.key))
        assert self._read(uow_factory, tenant, lambda u: u.travel_policies.find(rule.key)) is None
        with uow_factory(tenant, None) as uow, pytest.raises(NotFound):
            uow.travel_policies.remove(rule.key)

    # preferences -----------------------------------------------------------------------

    def test_preferences_round_trip(
        self, uow_factory: Callable[..., Any], tenant: TenantId, user: UserId
    ) -> None:
        prefs = TravelPreferences(
            tenant_id=tenant,
            user_id=user,
            seat_class=CabinClass.PREMIUM_ECONOMY,
            hotel_rating=4,
            budget_min=Money.of("100", "USD"),
            budget_max=Money.of("900.50", "USD"),
            loyalty_numbers={"airline": "ABC123"},
            language="de",
            timezone="Europe/Berlin",
        )
        self._commit(uow_factory, tenant, lambda u: u.travel_preferences.add(prefs))
        assert self._read(uow_factory, tenant, lambda u: u.travel_preferences.find(user)) == prefs
        newer = attrs.evolve(prefs, language="fr")
        self._commit(uow_factory, tenant, lambda u: u.travel_preferences.save(newer))
        assert self._read(uow_factory, tenant, lambda u: u.travel_preferences.find(user)) == newer
        with uow_factory(tenant, None) as uow, pytest.raises(StaleVersion):
            uow.travel_preferences.save(attrs.evolve(prefs, language="es"))
        other = TenantId(new_uuid())
        assert self._read(uow_factory, other, lambda u: u.travel_preferences.find(user)) is None

    # itineraries -----------------------------------------------------------------------

    def test_itinerary_round_trip_and_listing(
        self, uow_factory: Callable[..., Any], tenant: TenantId, user: UserId
    ) -> None:
        late = make_itinerary(tenant, user, date(2026, 5, 1))
        early = make_itinerary(tenant, user, date(2026, 3, 1))
        someone_else = make_itinerary(tenant, UserId(new_uuid()))
        for itinerary in (late, early, someone_else):
            self._commit(uow_factory, tenant, lambda u, i=itinerary: u.itineraries.add(i))
        assert self._read(uow_factory, tenant, lambda u: u.itineraries.get(late.id)) == late
        booked = early.booked()
        self._commit(uow_factory, tenant, lambda u: u.itineraries.save(booked))
        mine = self._read(uow_factory, tenant, lambda u: list(u.itineraries.list(user_id=user)))
        assert [i.id for i in mine] == [early.id, late.id]
        drafts = self._read(
            uow_factory,
            tenant,
            lambda u: list(u.itineraries.list(user_id=user, status=ItineraryStatus.DRAFT)),
        )
        assert [i.id for i in drafts] == [late.id]
        everyone = self._read(uow_factory, tenant, lambda u: list(u.itineraries.list()))
        assert len(everyone) == 3
        booked_all = self._read(
            uow_factory, tenant, lambda u: u.itineraries.list(status=ItineraryStatus.BOOKED)
        )
        assert [i.id for i in booked_all] == [early.id]
        with uow_factory(tenant, None) as uow, pytest.raises(StaleVersion):
            uow.itineraries.save(early.booked())
        other = TenantId(new_uuid())
        with uow_factory(other, None) as uow:
            with pytest.raises(NotFound):
                uow.itineraries.get(late.id)
            assert list(uow.itineraries.list()) == []

    def test_rollback_leaves_nothing(
        self, uow_factory: Callable[..., Any], tenant: TenantId, user: UserId
    ) -> None:
        itinerary = make_itinerary(tenant, user)
        with uow_factory(tenant, None) as uow:
            uow.itineraries.add(itinerary)
            uow.trips.add(make_trip(tenant, user))
        assert self._read(uow_factory, tenant, lambda u: list(u.itineraries.list())) == []
        assert self._read(uow_factory, tenant, lambda u: list(u.trips.list())) == []

    # trips -----------------------------------------------------------------------------

    def test_trip_round_trip_versions_and_listing(
        self, uow_factory: Callable[..., Any], tenant: TenantId, user: UserId
    ) -> None:
        first = make_trip(tenant, user, T0)
        second = make_trip(tenant, UserId(new_uuid()), T0 + timedelta(hours=1))
        self._commit(uow_factory, tenant, lambda u: u.trips.add(first))
        self._commit(uow_factory, tenant, lambda u: u.trips.add(second))
        stored = self._read(uow_factory, tenant, lambda u: u.trips.get(first.id))
        assert stored == first
        assert stored.total == first.total == Money.of("620.80", "EUR")
        with uow_factory(tenant, None) as uow, pytest.raises(AlreadyExists):
            uow.trips.add(first)
        confirmed = first.confirmed(T0 + timedelta(hours=2))
        self._commit(uow_factory, tenant, lambda u: u.trips.save(confirmed))
        with uow_factory(tenant, None) as uow, pytest.raises(StaleVersion):
            uow.trips.save(first.cancelled(T0 + timedelta(hours=3)))
        assert [t.id for t in self._read(uow_factory, tenant, lambda u: u.trips.list())] == [
            first.id,
            second.id,
        ]
        mine = self._read(uow_factory, tenant, lambda u: u.trips.list(user_id=user))
        assert [t.id for t in mine] == [first.id]
        other = TenantId(new_uuid())
        with uow_factory(other, None) as uow:
            with pytest.raises(NotFound):
                uow.trips.get(first.id)
            with pytest.raises(ValidationFailed):
                uow.trips.add(make_trip(tenant, user))

    # reminders -------------------------------------------------------------------------

    def test_reminders_due_sent_and_removed(
        self, uow_factory: Callable[..., Any], tenant: TenantId, user: UserId
    ) -> None:
        trip_id = TripId(new_uuid())

        def reminder(hours: int) -> Reminder:
            return Reminder(
                id=ReminderId(new_uuid()),
                tenant_id=tenant,
                trip_id=trip_id,
                user_id=user,
                due_at=T0 + timedelta(hours=hours),
                message=f"in {hours}",
            )

        late, early, later = reminder(5), reminder(1), reminder(9)
        for item in (late, early, later):
            self._commit(uow_factory, tenant, lambda u, r=item: u.reminders.add(r))
        due = self._read(uow_factory, tenant, lambda u: u.reminders.due(T0 + timedelta(hours=5)))
        assert [r.id for r in due] == [early.id, late.id]
        self._commit(uow_factory, tenant, lambda u: u.reminders.save(early.sent(T0)))
        due = self._read(uow_factory, tenant, lambda u: u.reminders.due(T0 + timedelta(hours=5)))
        assert [r.id for r in due] == [late.id]
        with uow_factory(tenant, None) as uow, pytest.raises(StaleVersion):
            uow.reminders.save(early.sent(T0))
        self._commit(uow_factory, tenant, lambda u: u.reminders.remove(later.id))
        listed = self._read(uow_factory, tenant, lambda u: u.reminders.for_trip(trip_id))
        assert [r.id for r in listed] == [early.id, late.id]
        assert listed[0].sent_at == T0
        other = TenantId(new_uuid())
        assert (
            self._read(uow_factory, other, lambda u: list(u.reminders.due(T0 + timedelta(days=1))))
            == []
        )

    def test_reminder_get_missing_is_not_found(
        self, uow_factory: Callable[..., Any], tenant: TenantId
    ) -> None:
        with uow_factory(tenant, None) as uow, pytest.raises(NotFound):
            uow.reminders.get(ReminderId(new_uuid()))
