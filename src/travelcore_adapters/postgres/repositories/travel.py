"""Repositories of the travel context: explicit row <-> entity mapping.

JSON columns (policy values, destinations, loyalty numbers, day details, flags) go through
travelcore's one converter; Money is a numeric column and a currency column; every entity
is saved with an optimistic version check.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Text, delete, select
from sqlalchemy.dialects.postgresql import insert

from travelcore.kernel import (
    AccessDenied,
    Money,
    NotFound,
    TenantId,
    UserId,
    from_data,
    to_data,
)
from travelcore.travel import (
    CabinClass,
    Category,
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
    TripStatus,
)
from travelcore_adapters.postgres.repositories.common import (
    Repository,
    amount,
    insert_new,
    money,
    own,
    save_versioned,
)
from travelcore_adapters.postgres.tables.travel import itineraries as it
from travelcore_adapters.postgres.tables.travel import itinerary_days as days
from travelcore_adapters.postgres.tables.travel import reminders as rem
from travelcore_adapters.postgres.tables.travel import tenants as ten
from travelcore_adapters.postgres.tables.travel import travel_policies as pol
from travelcore_adapters.postgres.tables.travel import travel_preferences as pref
from travelcore_adapters.postgres.tables.travel import trip_items as items
from travelcore_adapters.postgres.tables.travel import trips as tr

if TYPE_CHECKING:
    pass


# -- tenants -------------------------------------------------------------------------------


class PostgresTenants(Repository):
    def add(self, tenant: Tenant) -> None:
        if tenant.id != self._tid:
            raise AccessDenied("a unit of work registers only its own tenant")
        insert_new(
            self._uow,
            ten,
            {
                "tenant_id": tenant.id,
                "name": tenant.name,
                "created_at": tenant.created_at,
                "version": tenant.version,
            },
            "tenant",
        )

    def get(self) -> Tenant:
        row = self._uow.execute(select(ten).where(ten.c.tenant_id == self._tid)).one_or_none()
        if row is None:
            raise NotFound("tenant", self._tid)
        return Tenant(
            id=TenantId(row.tenant_id),
            name=row.name,
            created_at=row.created_at,
            version=row.version,
        )

    def save(self, tenant: Tenant) -> None:
        if tenant.id != self._tid:
            raise AccessDenied("a unit of work changes only its own tenant")
        save_versioned(
            self._uow, ten, [], tenant.version, {"name": tenant.name}, "tenant", tenant.id
        )


# -- policies and preferences --------------------------------------------------------------


def _rule(row: Any) -> PolicyRule:
    return PolicyRule(
        tenant_id=TenantId(row.tenant_id),
        key=PolicyKey(row.policy_key),
        value=row.policy_value,
        severity=Severity(row.severity),
        updated_at=row.updated_at,
        version=row.version,
    )


class PostgresTravelPolicies(Repository):
    def add(self, rule: PolicyRule) -> None:
        own(self._uow, rule.tenant_id, "policy rule")
        insert_new(
            self._uow,
            pol,
            {
                "tenant_id": rule.tenant_id,
                "policy_key": rule.key.value,
                "policy_value": to_data(rule.value),
                "severity": rule.severity.value,
                "updated_at": rule.updated_at,
                "version": rule.version,
            },
            "policy rule",
        )

    def find(self, key: PolicyKey) -> PolicyRule | None:
        row = self._uow.execute(
            select(pol).where(pol.c.tenant_id == self._tid, pol.c.policy_key == key.value)
        ).one_or_none()
        return None if row is None else _rule(row)

    def get(self, key: PolicyKey) -> PolicyRule:
        rule = self.find(key)
        if rule is None:
            raise NotFound("policy rule", key)
        return rule

    def save(self, rule: PolicyRule) -> None:
        own(self._uow, rule.tenant_id, "policy rule")
        values = {
            "policy_value": to_data(rule.value),
            "severity": rule.severity.value,
            "updated_at": rule.updated_at,
        }
        where = [pol.c.policy_key == rule.key.value]
        save_versioned(self._uow, pol, where, rule.version, values, "policy rule", rule.key)

    def remove(self, key: PolicyKey) -> None:
        stmt = delete(pol).where(pol.c.tenant_id == self._tid, pol.c.policy_key == key.value)
        if self._uow.execute(stmt).rowcount == 0:
            raise NotFound("policy rule", key)

    def list(self) -> Sequence[PolicyRule]:
        rows = self._uow.execute(
            select(pol).where(pol.c.tenant_id == self._tid).order_by(pol.c.policy_key)
        )
        return [_rule(row) for row in rows]


def _preferences_values(p: TravelPreferences) -> dict[str, Any]:
    return {
        "seat_class": None if p.seat_class is None else p.seat_class.value,
        "hotel_rating": p.hotel_rating,
        "budget_min": amount(p.budget_min),
        "budget_min_currency": None if p.budget_min is None else p.budget_min.currency,
        "budget_max": amount(p.budget_max),
        "budget_max_currency": None if p.budget_max is None else p.budget_max.currency,
        "loyalty_numbers": to_data(p.loyalty_numbers),
        "language": p.language,
        "timezone": p.timezone,
    }


class PostgresTravelPreferences(Repository):
    def add(self, preferences: TravelPreferences) -> None:
        own(self._uow, preferences.tenant_id, "travel preferences")
        insert_new(
            self._uow,
            pref,
            dict(
                tenant_id=preferences.tenant_id,
                user_id=preferences.user_id,
                version=preferences.version,
                **_preferences_values(preferences),
            ),
            "travel preferences",
        )

    def find(self, user_id: UserId) -> TravelPreferences | None:
        row = self._uow.execute(
            select(pref).where(pref.c.tenant_id == self._tid, pref.c.user_id == user_id)
        ).one_or_none()
        if row is None:
            return None
        return TravelPreferences(
            tenant_id=TenantId(row.tenant_id),
            user_id=UserId(row.user_id),
            seat_class=None if row.seat_class is None else CabinClass(row.seat_class),
            hotel_rating=row.hotel_rating,
            budget_min=money(row.budget_min, row.budget_min_currency),
            budget_max=money(row.budget_max, row.budget_max_currency),
            loyalty_numbers=from_data(row.loyalty_numbers, dict[str, str]),
            language=row.language,
            timezone=row.timezone,
            version=row.version,
        )

    def save(self, preferences: TravelPreferences) -> None:
        own(self._uow, preferences.tenant_id, "travel preferences")
        save_versioned(
            self._uow,
            pref,
            [pref.c.user_id == preferences.user_id],
            preferences.version,
            _preferences_values(preferences),
            "travel preferences",
            preferences.user_id,
        )


# -- itineraries ---------------------------------------------------------------------------


class PostgresItineraries(Repository):
    def add(self, itinerary: Itinerary) -> None:
        own(self._uow, itinerary.tenant_id, "itinerary")
        insert_new(
            self._uow,
            it,
            dict(
                tenant_id=itinerary.tenant_id,
                id=itinerary.id,
                user_id=itinerary.user_id,
                created_at=itinerary.created_at,
                version=itinerary.version,
                **self._values(itinerary),
            ),
            "itinerary",
        )
        self._write_days(itinerary)

    @staticmethod
    def _values(itinerary: Itinerary) -> dict[str, Any]:
        return {
            "start_date": itinerary.starts_on,
            "end_date": itinerary.ends_on,
            "destinations": to_data(itinerary.destinations),
            "is_draft": itinerary.status is ItineraryStatus.DRAFT,
        }

    def _write_days(self, itinerary: Itinerary) -> None:
        rows = [
            {
                "tenant_id": self._tid,
                "itinerary_id": itinerary.id,
                "position": position,
                "date": entry.day,
                "activity_type": entry.activity_type,
                "activity_details": to_data(entry.details),
            }
            for position, entry in enumerate(itinerary.days)
        ]
        if rows:
            self._uow.execute(insert(days), rows)

    def get(self, itinerary_id: ItineraryId) -> Itinerary:
        found = self._select(it.c.id == itinerary_id)
        if not found:
            raise NotFound("itinerary", itinerary_id)
        return found[0]

    def save(self, itinerary: Itinerary) -> None:
        own(self._uow, itinerary.tenant_id, "itinerary")
        save_versioned(
            self._uow,
            it,
            [it.c.id == itinerary.id],
            itinerary.version,
            self._values(itinerary),
            "itinerary",
            itinerary.id,
        )
        self._uow.execute(
            delete(days).where(days.c.tenant_id == self._tid, days.c.itinerary_id == itinerary.id)
        )
        self._write_days(itinerary)

    def list(
        self, *, user_id: UserId | None = None, status: ItineraryStatus | None = None
    ) -> Sequence[Itinerary]:
        where = []
        if user_id is not None:
            where.append(it.c.user_id == user_id)
        if status is not None:
            where.append(it.c.is_draft.is_(status is ItineraryStatus.DRAFT))
        return self._select(*where)

    def _select(self, *where: Any) -> builtins.list[Itinerary]:
        rows = self._uow.execute(
            select(it)
            .where(it.c.tenant_id == self._tid, *where)
            .order_by(it.c.start_date, it.c.created_at, it.c.id.cast(Text))
        ).all()
        if not rows:
            return []
        by_itinerary: dict[Any, builtins.list[ItineraryDay]] = {row.id: [] for row in rows}
        for day in self._uow.execute(
            select(days)
            .where(days.c.tenant_id == self._tid, days.c.itinerary_id.in_(list(by_itinerary)))
            .order_by(days.c.itinerary_id, days.c.position)
        ):
            by_itinerary[day.itinerary_id].append(
                ItineraryDay(
                    day=day.date,
                    activity_type=day.activity_type,
                    details=from_data(day.activity_details, dict[str, str]),
                )
            )
        return [
            Itinerary(
                id=ItineraryId(row.id),
                tenant_id=TenantId(row.tenant_id),
                user_id=UserId(row.user_id),
                starts_on=row.start_date,
                ends_on=row.end_date,
                destinations=from_data(row.destinations, tuple[str, ...]),
                days=tuple(by_itinerary[row.id]),
                status=ItineraryStatus.DRAFT if row.is_draft else ItineraryStatus.BOOKED,
                created_at=row.created_at,
                version=row.version,
            )
            for row in rows
        ]


# -- trips ---------------------------------------------------------------------------------


def _item_row(tenant_id: TenantId, trip_id: TripId, position: int, i: LineItem) -> dict[str, Any]:
    return {
        "tenant_id": tenant_id,
        "trip_id": trip_id,
        "position": position,
        "kind": i.kind.value,
        "provider": i.provider,
        "external_ref": i.external_ref,
        "unit_price": i.unit_price.amount,
        "currency": i.unit_price.currency,
        "quantity": i.quantity,
        "starts_on": i.starts_on,
        "ends_on": i.ends_on,
        "description": i.description,
        "destination": i.destination,
        "cabin_class": None if i.cabin_class is None else i.cabin_class.value,
        "hotel_stars": i.hotel_stars,
    }


def _item(row: Any) -> LineItem:
    return LineItem(
        kind=Category(row.kind),
        provider=row.provider,
        external_ref=row.external_ref,
        unit_price=Money(row.unit_price, row.currency),
        quantity=row.quantity,
        starts_on=row.starts_on,
        ends_on=row.ends_on,
        description=row.description,
        destination=row.destination,
        cabin_class=None if row.cabin_class is None else CabinClass(row.cabin_class),
        hotel_stars=row.hotel_stars,
    )


class PostgresTrips(Repository):
    """Trips and their line items. Items are written with the trip and rewritten on a save
    that changed them."""

    def add(self, trip: Trip) -> None:
        own(self._uow, trip.tenant_id, "trip")
        insert_new(
            self._uow,
            tr,
            dict(
                tenant_id=trip.tenant_id,
                id=trip.id,
                user_id=trip.user_id,
                itinerary_id=trip.itinerary_id,
                currency=trip.currency,
                created_at=trip.created_at,
                version=trip.version,
                **self._values(trip),
            ),
            "trip",
        )
        self._write_items(trip)

    @staticmethod
    def _values(trip: Trip) -> dict[str, Any]:
        return {
            "total_amount": trip.total.amount,
            "destinations": to_data(trip.destinations),
            "status": trip.status.value,
            "policy_flags": to_data(trip.policy_flags),
            "updated_at": trip.updated_at,
        }

    def _write_items(self, trip: Trip) -> None:
        rows = [_item_row(self._tid, trip.id, n, item) for n, item in enumerate(trip.items)]
        self._uow.execute(insert(items), rows)

    def get(self, trip_id: TripId) -> Trip:
        found = self._select(tr.c.id == trip_id)
        if not found:
            raise NotFound("trip", trip_id)
        return found[0]

    def save(self, trip: Trip) -> None:
        own(self._uow, trip.tenant_id, "trip")
        stored = self._items(trip.id)
        save_versioned(
            self._uow, tr, [tr.c.id == trip.id], trip.version, self._values(trip), "trip", trip.id
        )
        if tuple(stored.get(trip.id, ())) != trip.items:
            self._uow.execute(
                delete(items).where(items.c.tenant_id == self._tid, items.c.trip_id == trip.id)
            )
            self._write_items(trip)

    def list(self, *, user_id: UserId | None = None) -> Sequence[Trip]:
        return self._select(*([] if user_id is None else [tr.c.user_id == user_id]))

    def _items(self, *trip_ids: Any) -> dict[Any, builtins.list[LineItem]]:
        found: dict[Any, builtins.list[LineItem]] = {trip_id: [] for trip_id in trip_ids}
        for row in self._uow.execute(
            select(items)
            .where(items.c.tenant_id == self._tid, items.c.trip_id.in_(list(trip_ids)))
            .order_by(items.c.trip_id, items.c.position)
        ):
            found[row.trip_id].append(_item(row))
        return found

    def _select(self, *where: Any) -> builtins.list[Trip]:
        rows = self._uow.execute(
            select(tr)
            .where(tr.c.tenant_id == self._tid, *where)
            .order_by(tr.c.created_at, tr.c.id.cast(Text))
        ).all()
        if not rows:
            return []
        line_items = self._items(*(row.id for row in rows))
        return [
            Trip(
                id=TripId(row.id),
                tenant_id=TenantId(row.tenant_id),
                user_id=UserId(row.user_id),
                itinerary_id=None if row.itinerary_id is None else ItineraryId(row.itinerary_id),
                currency=row.currency,
                items=tuple(line_items[row.id]),
                destinations=from_data(row.destinations, tuple[str, ...]),
                status=TripStatus(row.status),
                policy_flags=from_data(row.policy_flags, tuple[str, ...]),
                created_at=row.created_at,
                updated_at=row.updated_at,
                version=row.version,
            )
            for row in rows
        ]


# -- reminders -----------------------------------------------------------------------------


def _reminder(row: Any) -> Reminder:
    return Reminder(
        id=ReminderId(row.id),
        tenant_id=TenantId(row.tenant_id),
        trip_id=TripId(row.trip_id),
        user_id=UserId(row.user_id),
        due_at=row.due_at,
        message=row.message,
        sent_at=row.sent_at,
        version=row.version,
    )


class PostgresReminders(Repository):
    def add(self, reminder: Reminder) -> None:
        own(self._uow, reminder.tenant_id, "reminder")
        insert_new(
            self._uow,
            rem,
            {
                "tenant_id": reminder.tenant_id,
                "id": reminder.id,
                "trip_id": reminder.trip_id,
                "user_id": reminder.user_id,
                "due_at": reminder.due_at,
                "message": reminder.message,
                "sent_at": reminder.sent_at,
                "version": reminder.version,
            },
            "reminder",
        )

    def get(self, reminder_id: ReminderId) -> Reminder:
        found = self._select(rem.c.id == reminder_id)
        if not found:
            raise NotFound("reminder", reminder_id)
        return found[0]

    def save(self, reminder: Reminder) -> None:
        own(self._uow, reminder.tenant_id, "reminder")
        values = {
            "due_at": reminder.due_at,
            "message": reminder.message,
            "sent_at": reminder.sent_at,
        }
        save_versioned(
            self._uow,
            rem,
            [rem.c.id == reminder.id],
            reminder.version,
            values,
            "reminder",
            reminder.id,
        )

    def remove(self, reminder_id: ReminderId) -> None:
        stmt = delete(rem).where(rem.c.tenant_id == self._tid, rem.c.id == reminder_id)
        if self._uow.execute(stmt).rowcount == 0:
            raise NotFound("reminder", reminder_id)

    def for_trip(self, trip_id: TripId) -> Sequence[Reminder]:
        return self._select(rem.c.trip_id == trip_id)

    def due(self, now: datetime) -> Sequence[Reminder]:
        return self._select(rem.c.sent_at.is_(None), rem.c.due_at <= now)

    def _select(self, *where: Any) -> list[Reminder]:
        rows = self._uow.execute(
            select(rem)
            .where(rem.c.tenant_id == self._tid, *where)
            .order_by(rem.c.due_at, rem.c.id.cast(Text))
        )
        return [_reminder(row) for row in rows]
