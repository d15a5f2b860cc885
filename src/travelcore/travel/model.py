"""Tenants, traveller preferences, itineraries, trip bookings with priced line items, reminders.

Entities are frozen except ``version``: every change returns a new value, and a repository's
``save`` follows the kernel's version rule (``travelcore.kernel.repository``).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import NewType
from uuid import UUID

import attrs

from travelcore.kernel import (
    InvalidTransition,
    Money,
    TenantId,
    UserId,
    ValidationFailed,
    total,
    utc,
    zone,
)

ItineraryId = NewType("ItineraryId", UUID)
TripId = NewType("TripId", UUID)
ReminderId = NewType("ReminderId", UUID)


class CabinClass(StrEnum):
    ECONOMY = "economy"
    PREMIUM_ECONOMY = "premium_economy"
    BUSINESS = "business"
    FIRST = "first"

    @property
    def rank(self) -> int:
        return list(CabinClass).index(self)


class Category(StrEnum):
    """Line-item kinds, which are also the spend-analytics categories."""

    FLIGHT = "flight"
    HOTEL = "hotel"
    CAR = "car"
    TOUR = "tour"
    OTHER = "other"


class ItineraryStatus(StrEnum):
    DRAFT = "draft"
    BOOKED = "booked"


class TripStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


def _text(field: str, value: str, max_length: int = 255) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed(field, "non_empty")
    if len(value) > max_length:
        raise ValidationFailed(field, f"max_length_{max_length}")
    return value


def _stars(field: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise ValidationFailed(field, "between_1_and_5")
    return value


@attrs.define(kw_only=True, on_setattr=attrs.setters.frozen)
class Tenant:
    """A customer organisation; all of its data lives under its ``id``."""

    id: TenantId
    name: str
    created_at: datetime
    version: int = attrs.field(default=1, on_setattr=attrs.setters.NO_OP)
    """Changed only by a repository's ``save`` (see ``travelcore.kernel.repository``)."""

    def __attrs_post_init__(self) -> None:
        _text("name", self.name, 200)


_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


@attrs.define(kw_only=True, on_setattr=attrs.setters.frozen)
class TravelPreferences:
    """One traveller's own preferences (not enforced; policies are)."""

    tenant_id: TenantId
    user_id: UserId
    seat_class: CabinClass | None = None
    hotel_rating: int | None = None
    budget_min: Money | None = None
    budget_max: Money | None = None
    loyalty_numbers: dict[str, str] = attrs.field(factory=dict)
    language: str = "en"
    timezone: str = "UTC"
    version: int = attrs.field(default=1, on_setattr=attrs.setters.NO_OP)
    """Changed only by a repository's ``save`` (see ``travelcore.kernel.repository``)."""

    def __attrs_post_init__(self) -> None:
        if self.hotel_rating is not None:
            _stars("hotel_rating", self.hotel_rating)
        low, high = self.budget_min, self.budget_max
        for name, bound in (("budget_min", low), ("budget_max", high)):
            if bound is not None and bound.is_negative():
                raise ValidationFailed(name, "non_negative")
        if low is not None and high is not None:
            if low.currency != high.currency:
                raise ValidationFailed("budget_max", "same_currency")
            if low > high:
                raise ValidationFailed("budget_max", "not_below_budget_min")
        for program, number in self.loyalty_numbers.items():
            _text("loyalty_numbers", program, 50)
            _text("loyalty_numbers", number, 100)
        if not _LANGUAGE.match(self.language) or len(self.language) > 10:
            raise ValidationFailed("language", "bcp47_tag")
        zone(self.timezone, "timezone")


@attrs.frozen(kw_only=True)
class ItineraryDay:
    """One day of a plan: its date, the kind of activity and free-form details."""

    day: date
    activity_type: str
    details: dict[str, str] = attrs.field(factory=dict)

    def __attrs_post_init__(self) -> None:
        _text("activity_type", self.activity_type, 50)


@attrs.define(kw_only=True, on_setattr=attrs.setters.frozen)
class Itinerary:
    """A traveller's plan: draft until booked."""

    id: ItineraryId
    tenant_id: TenantId
    user_id: UserId
    starts_on: date
    ends_on: date
    destinations: tuple[str, ...]
    days: tuple[ItineraryDay, ...] = ()
    status: ItineraryStatus = ItineraryStatus.DRAFT
    created_at: datetime
    version: int = attrs.field(default=1, on_setattr=attrs.setters.NO_OP)
    """Changed only by a repository's ``save`` (see ``travelcore.kernel.repository``)."""

    def __attrs_post_init__(self) -> None:
        if self.starts_on > self.ends_on:
            raise ValidationFailed("ends_on", "not_before_starts_on")
        if not self.destinations:
            raise ValidationFailed("destinations", "non_empty")
        for destination in self.destinations:
            _text("destinations", destination, 100)
        for entry in self.days:
            if not self.starts_on <= entry.day <= self.ends_on:
                raise ValidationFailed("days", "within_trip_dates")

    def with_day(self, entry: ItineraryDay) -> Itinerary:
        if self.status is not ItineraryStatus.DRAFT:
            raise InvalidTransition("itinerary", self.status, "edited")
        days = tuple(sorted((*self.days, entry), key=lambda d: d.day))
        return attrs.evolve(self, days=days)

    def booked(self) -> Itinerary:
        if self.status is not ItineraryStatus.DRAFT:
            raise InvalidTransition("itinerary", self.status, ItineraryStatus.BOOKED)
        return attrs.evolve(self, status=ItineraryStatus.BOOKED)


@attrs.frozen(kw_only=True)
class LineItem:
    """One priced part of a trip. ``quantity`` is passengers (flight), nights (hotel),
    days (car), participants (tour) or units (other); the total is unit price x quantity."""

    kind: Category
    provider: str
    external_ref: str
    unit_price: Money
    quantity: int
    starts_on: date
    ends_on: date | None = None
    description: str = ""
    destination: str = ""
    cabin_class: CabinClass | None = None
    hotel_stars: int | None = None

    def __attrs_post_init__(self) -> None:
        _text("provider", self.provider, 50)
        _text("external_ref", self.external_ref, 100)
        if self.unit_price.is_negative():
            raise ValidationFailed("unit_price", "non_negative")
        q = self.quantity
        if isinstance(q, bool) or not isinstance(q, int) or q < 1:
            raise ValidationFailed("quantity", "positive_integer")
        if self.ends_on is not None and self.ends_on < self.starts_on:
            raise ValidationFailed("ends_on", "not_before_starts_on")
        dated = self.kind in (Category.HOTEL, Category.CAR)
        if dated and (self.ends_on is None or (self.ends_on - self.starts_on).days != q):
            raise ValidationFailed("quantity", "matches_dates")
        if self.kind is Category.FLIGHT and self.cabin_class is None:
            raise ValidationFailed("cabin_class", "required_for_flight")
        if self.hotel_stars is not None:
            _stars("hotel_stars", self.hotel_stars)

    @property
    def total(self) -> Money:
        return self.unit_price * self.quantity

    @classmethod
    def flight(
        cls,
        *,
        provider: str,
        external_ref: str,
        fare: Money,
        passengers: int,
        departs_on: date,
        destination: str,
        cabin_class: CabinClass = CabinClass.ECONOMY,
    ) -> LineItem:
        """A flight: fare x passengers."""
        return cls(
            kind=Category.FLIGHT,
            provider=provider,
            external_ref=external_ref,
            unit_price=fare,
            quantity=passengers,
            starts_on=departs_on,
            destination=destination,
            cabin_class=cabin_class,
        )

    @classmethod
    def hotel(
        cls,
        *,
        provider: str,
        external_ref: str,
        price_per_night: Money,
        check_in: date,
        check_out: date,
        stars: int | None = None,
        description: str = "",
    ) -> LineItem:
        """A hotel stay: price per night x nights (check-out minus check-in)."""
        return cls(
            kind=Category.HOTEL,
            provider=provider,
            external_ref=external_ref,
            unit_price=price_per_night,
            quantity=(check_out - check_in).days,
            starts_on=check_in,
            ends_on=check_out,
            hotel_stars=stars,
            description=description,
        )

    @classmethod
    def car(
        cls,
        *,
        provider: str,
        external_ref: str,
        price_per_day: Money,
        pick_up: date,
        drop_off: date,
        description: str = "",
    ) -> LineItem:
        """A car rental: price per day x days (drop-off minus pick-up)."""
        return cls(
            kind=Category.CAR,
            provider=provider,
            external_ref=external_ref,
            unit_price=price_per_day,
            quantity=(drop_off - pick_up).days,
            starts_on=pick_up,
            ends_on=drop_off,
            description=description,
        )

    @classmethod
    def tour(
        cls,
        *,
        provider: str,
        external_ref: str,
        price_per_person: Money,
        participants: int,
        scheduled_on: date,
        description: str = "",
    ) -> LineItem:
        """A tour: price per person x participants."""
        return cls(
            kind=Category.TOUR,
            provider=provider,
            external_ref=external_ref,
            unit_price=price_per_person,
            quantity=participants,
            starts_on=scheduled_on,
            description=description,
        )


_TRIP_MOVES = {
    TripStatus.PENDING: {TripStatus.CONFIRMED, TripStatus.CANCELLED},
    TripStatus.CONFIRMED: {TripStatus.CANCELLED},
    TripStatus.CANCELLED: set[TripStatus](),
}


@attrs.define(kw_only=True, on_setattr=attrs.setters.frozen)
class Trip:
    """A trip booking: line items in one currency; pending -> confirmed -> cancelled."""

    id: TripId
    tenant_id: TenantId
    user_id: UserId
    itinerary_id: ItineraryId | None
    currency: str
    items: tuple[LineItem, ...]
    destinations: tuple[str, ...] = ()
    status: TripStatus = TripStatus.PENDING
    policy_flags: tuple[str, ...] = ()
    created_at: datetime
    updated_at: datetime
    version: int = attrs.field(default=1, on_setattr=attrs.setters.NO_OP)
    """Changed only by a repository's ``save`` (see ``travelcore.kernel.repository``)."""

    def __attrs_post_init__(self) -> None:
        if not self.items:
            raise ValidationFailed("items", "non_empty")
        Money.of(0, self.currency)
        for item in self.items:
            if item.unit_price.currency != self.currency:
                raise ValidationFailed("items", "single_currency", "one currency per booking")

    @property
    def total(self) -> Money:
        return total((item.total for item in self.items), self.currency)

    @property
    def departs_on(self) -> date:
        return min(item.starts_on for item in self.items)

    def by_category(self) -> dict[Category, Money]:
        spend = {category: Money.of(0, self.currency) for category in Category}
        for item in self.items:
            spend[item.kind] = spend[item.kind] + item.total
        return spend

    def _move(self, target: TripStatus, now: datetime) -> Trip:
        if target not in _TRIP_MOVES[self.status]:
            raise InvalidTransition("trip", self.status, target)
        return attrs.evolve(self, status=target, updated_at=utc(now, "now"))

    def confirmed(self, now: datetime) -> Trip:
        return self._move(TripStatus.CONFIRMED, now)

    def cancelled(self, now: datetime) -> Trip:
        return self._move(TripStatus.CANCELLED, now)


@attrs.frozen(kw_only=True)
class ReminderOffset:
    """ "``days_before`` departure, at ``at`` wall-clock time in the traveller's zone"."""

    days_before: int
    at: time = time(9, 0)

    def __attrs_post_init__(self) -> None:
        d = self.days_before
        if isinstance(d, bool) or not isinstance(d, int) or d < 0:
            raise ValidationFailed("days_before", "non_negative_integer")

    def due_at(self, departs_on: date, timezone: str) -> datetime:
        """The UTC instant this offset falls due (DST-safe: wall time in the zone)."""
        local = datetime.combine(departs_on - timedelta(days=self.days_before), self.at)
        return local.replace(tzinfo=zone(timezone)).astimezone(UTC)


DEFAULT_REMINDERS = (ReminderOffset(days_before=7), ReminderOffset(days_before=1))


@attrs.define(kw_only=True, on_setattr=attrs.setters.frozen)
class Reminder:
    """A message due before a trip's departure; sent exactly once."""

    id: ReminderId
    tenant_id: TenantId
    trip_id: TripId
    user_id: UserId
    due_at: datetime
    message: str
    sent_at: datetime | None = None
    version: int = attrs.field(default=1, on_setattr=attrs.setters.NO_OP)
    """Changed only by a repository's ``save`` (see ``travelcore.kernel.repository``)."""

    def sent(self, now: datetime) -> Reminder:
        if self.sent_at is not None:
            raise InvalidTransition("reminder", "sent", "sent")
        return attrs.evolve(self, sent_at=utc(now, "now"))
