"""Travel model rules: prices, currencies, states, dates, preferences, reminders."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from travelcore.kernel import (
    InvalidTransition,
    Money,
    TenantId,
    UserId,
    ValidationFailed,
    new_uuid,
)
from travelcore.travel import (
    Category,
    Itinerary,
    ItineraryDay,
    ItineraryId,
    ItineraryStatus,
    LineItem,
    ReminderOffset,
    TravelPreferences,
    Trip,
    TripId,
    TripStatus,
)

T0 = datetime(2026, 3, 1, tzinfo=UTC)
TENANT = TenantId(new_uuid())
USER = UserId(new_uuid())


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


def trip(*items: LineItem, currency: str = "EUR") -> Trip:
    return Trip(
        id=TripId(new_uuid()),
        tenant_id=TENANT,
        user_id=USER,
        itinerary_id=None,
        currency=currency,
        items=items,
        created_at=T0,
        updated_at=T0,
    )


FLIGHT = LineItem.flight(
    provider="Amadeus",
    external_ref="PNR",
    fare=eur("120.00"),
    passengers=3,
    departs_on=date(2026, 4, 1),
    destination="MAD",
)


class TestPriceRules:
    def test_flight_is_fare_times_passengers(self) -> None:
        assert FLIGHT.total == eur("360.00")

    def test_hotel_is_price_per_night_times_nights(self) -> None:
        hotel = LineItem.hotel(
            provider="Booking.com",
            external_ref="H",
            price_per_night=eur("89.50"),
            check_in=date(2026, 4, 1),
            check_out=date(2026, 4, 4),
        )
        assert hotel.quantity == 3
        assert hotel.total == eur("268.50")

    def test_car_is_price_per_day_times_days(self) -> None:
        car = LineItem.car(
            provider="Hertz",
            external_ref="C",
            price_per_day=eur("40"),
            pick_up=date(2026, 4, 1),
            drop_off=date(2026, 4, 3),
        )
        assert car.total == eur("80.00")

    def test_tour_is_price_per_person_times_participants(self) -> None:
        tour = LineItem.tour(
            provider="Viator",
            external_ref="T",
            price_per_person=eur("25.10"),
            participants=4,
            scheduled_on=date(2026, 4, 2),
        )
        assert tour.total == eur("100.40")

    def test_zero_night_hotel_is_refused(self) -> None:
        with pytest.raises(ValidationFailed) as err:
            LineItem.hotel(
                provider="B",
                external_ref="H",
                price_per_night=eur("1"),
                check_in=date(2026, 4, 1),
                check_out=date(2026, 4, 1),
            )
        assert err.value.field == "quantity"

    def test_quantity_must_match_hotel_dates(self) -> None:
        with pytest.raises(ValidationFailed) as err:
            attrs.evolve(
                LineItem.hotel(
                    provider="B",
                    external_ref="H",
                    price_per_night=eur("1"),
                    check_in=date(2026, 4, 1),
                    check_out=date(2026, 4, 3),
                ),
                quantity=5,
            )
        assert err.value.rule == "matches_dates"

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"provider": " "}, "provider"),
            ({"external_ref": ""}, "external_ref"),
            ({"unit_price": eur("-1")}, "unit_price"),
            ({"quantity": 0}, "quantity"),
            ({"cabin_class": None}, "cabin_class"),
        ],
    )
    def test_bad_items_are_refused(self, changes: dict[str, object], field: str) -> None:
        with pytest.raises(ValidationFailed) as err:
            attrs.evolve(FLIGHT, **changes)
        assert err.value.field == field


class TestTrip:
    def test_mixing_currencies_is_refused(self) -> None:
        usd = attrs.evolve(FLIGHT, unit_price=Money.of("10", "USD"))
        with pytest.raises(ValidationFailed) as err:
            trip(FLIGHT, usd)
        assert err.value.rule == "single_currency"

    def test_items_must_be_in_the_trip_currency(self) -> None:
        with pytest.raises(ValidationFailed):
            trip(FLIGHT, currency="USD")

    def test_a_trip_needs_items(self) -> None:
        with pytest.raises(ValidationFailed) as err:
            trip()
        assert err.value.field == "items"

    def test_states(self) -> None:
        pending = trip(FLIGHT)
        confirmed = pending.confirmed(T0)
        assert (confirmed.status, confirmed.version) == (TripStatus.CONFIRMED, 1)
        cancelled = confirmed.cancelled(T0)
        assert cancelled.status is TripStatus.CANCELLED
        assert pending.cancelled(T0).status is TripStatus.CANCELLED

    @pytest.mark.parametrize("path", [("confirmed", "confirmed"), ("cancelled", "confirmed")])
    def test_invalid_transitions(self, path: tuple[str, str]) -> None:
        current = trip(FLIGHT)
        current = getattr(current, path[0])(T0)
        with pytest.raises(InvalidTransition):
            getattr(current, path[1])(T0)

    def test_cancelled_cannot_be_cancelled_again(self) -> None:
        with pytest.raises(InvalidTransition):
            trip(FLIGHT).cancelled(T0).cancelled(T0)

    @settings(max_examples=200)
    @given(
        st.lists(
            st.tuples(
                st.sampled_from(list(Category)),
                st.decimals(min_value=0, max_value=10_000, places=2),
                st.integers(min_value=1, max_value=30),
            ),
            min_size=1,
            max_size=8,
        )
    )
    def test_total_is_the_sum_of_items(self, specs: list[tuple[Category, Decimal, int]]) -> None:
        items = tuple(
            make_item(kind, Money(price, "EUR"), quantity) for kind, price, quantity in specs
        )
        booked = trip(*items)
        assert booked.total.amount == sum((p * q for _, p, q in specs), Decimal(0))
        assert booked.total == sum((item.total for item in items), Money.zero("EUR"))
        assert sum((m.amount for m in booked.by_category().values()), Decimal(0)) == (
            booked.total.amount
        )


def make_item(kind: Category, price: Money, quantity: int) -> LineItem:
    """An item of ``kind`` built by its own constructor, ``quantity`` in its own unit."""
    day = date(2026, 4, 1)
    later = day + timedelta(days=quantity)
    if kind is Category.HOTEL:
        return LineItem.hotel(
            provider="P", external_ref="R", price_per_night=price, check_in=day, check_out=later
        )
    if kind is Category.CAR:
        return LineItem.car(
            provider="P", external_ref="R", price_per_day=price, pick_up=day, drop_off=later
        )
    if kind is Category.TOUR:
        return LineItem.tour(
            provider="P",
            external_ref="R",
            price_per_person=price,
            participants=quantity,
            scheduled_on=day,
        )
    if kind is Category.FLIGHT:
        return LineItem.flight(
            provider="P",
            external_ref="R",
            fare=price,
            passengers=quantity,
            departs_on=day,
            destination="X",
        )
    return LineItem(
        kind=kind,
        provider="P",
        external_ref="R",
        unit_price=price,
        quantity=quantity,
        starts_on=day,
    )


class TestItinerary:
    def make(self, **changes: object) -> Itinerary:
        values: dict[str, object] = {
            "id": ItineraryId(new_uuid()),
            "tenant_id": TENANT,
            "user_id": USER,
            "starts_on": date(2026, 4, 1),
            "ends_on": date(2026, 4, 3),
            "destinations": ("Rome",),
            "created_at": T0,
        }
        values.update(changes)
        return Itinerary(**values)  # type: ignore[arg-type]

    def test_start_after_end_is_refused(self) -> None:
        with pytest.raises(ValidationFailed) as err:
            self.make(ends_on=date(2026, 3, 31))
        assert err.value.rule == "not_before_starts_on"

    def test_days_must_fall_inside_the_trip(self) -> None:
        with pytest.raises(ValidationFailed) as err:
            self.make(days=(ItineraryDay(day=date(2026, 4, 4), activity_type="tour"),))
        assert err.value.rule == "within_trip_dates"

    def test_needs_destinations(self) -> None:
        with pytest.raises(ValidationFailed):
            self.make(destinations=())

    def test_draft_until_booked_and_only_drafts_change(self) -> None:
        draft = self.make()
        assert draft.status is ItineraryStatus.DRAFT
        day = ItineraryDay(day=date(2026, 4, 2), activity_type="meeting")
        edited = draft.with_day(day)
        assert edited.days == (day,)
        assert edited.version == draft.version  # only a save changes it
        booked = edited.booked()
        assert booked.status is ItineraryStatus.BOOKED
        with pytest.raises(InvalidTransition):
            booked.booked()
        with pytest.raises(InvalidTransition):
            booked.with_day(day)


class TestPreferences:
    def make(self, **changes: object) -> TravelPreferences:
        return TravelPreferences(tenant_id=TENANT, user_id=USER, **changes)  # type: ignore[arg-type]

    def test_defaults(self) -> None:
        prefs = self.make()
        assert (prefs.language, prefs.timezone) == ("en", "UTC")

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"hotel_rating": 6}, "hotel_rating"),
            ({"timezone": "Mars/Olympus"}, "timezone"),
            ({"language": "not a language"}, "language"),
            ({"budget_min": eur("5"), "budget_max": eur("1")}, "budget_max"),
            ({"budget_min": eur("5"), "budget_max": Money.of("9", "USD")}, "budget_max"),
            ({"budget_min": eur("-1")}, "budget_min"),
            ({"loyalty_numbers": {"airline": ""}}, "loyalty_numbers"),
        ],
    )
    def test_bad_preferences_are_refused(self, changes: dict[str, object], field: str) -> None:
        with pytest.raises(ValidationFailed) as err:
            self.make(**changes)
        assert err.value.field == field


class TestReminderOffset:
    def test_day_before_at_nine_local_across_dst(self) -> None:
        # Europe/Berlin switches to summer time on 2026-03-29.
        offset = ReminderOffset(days_before=1, at=time(9, 0))
        assert offset.due_at(date(2026, 3, 30), "Europe/Berlin") == datetime(
            2026, 3, 29, 7, 0, tzinfo=UTC
        )
        assert offset.due_at(date(2026, 3, 29), "Europe/Berlin") == datetime(
            2026, 3, 28, 8, 0, tzinfo=UTC
        )

    @settings(max_examples=150)
    @given(
        departs_on=st.dates(min_value=date(2025, 1, 1), max_value=date(2030, 12, 31)),
        days_before=st.integers(0, 30),
        hour=st.integers(6, 22),
        timezone=st.sampled_from(
            ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"]
        ),
    )
    def test_due_at_is_the_wall_time_in_the_zone(
        self, departs_on: date, days_before: int, hour: int, timezone: str
    ) -> None:
        offset = ReminderOffset(days_before=days_before, at=time(hour, 0))
        due = offset.due_at(departs_on, timezone)
        assert due.tzinfo is UTC
        local = due.astimezone(ZoneInfo(timezone))
        assert local.date() == departs_on - timedelta(days=days_before)
        assert local.time() == time(hour, 0)

    def test_negative_offsets_are_refused(self) -> None:
        with pytest.raises(ValidationFailed):
            ReminderOffset(days_before=-1)
