"""Memory repositories of the travel context."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from travelcore.kernel import AccessDenied, UserId
from travelcore.travel import (
    Itinerary,
    ItineraryId,
    ItineraryStatus,
    PolicyKey,
    PolicyRule,
    Reminder,
    ReminderId,
    Tenant,
    TravelPreferences,
    Trip,
    TripId,
)
from travelcore_adapters.memory.rows import Rows

if TYPE_CHECKING:
    from travelcore_adapters.memory.uow import MemoryUnitOfWork


class MemoryTenants:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow
        self._rows = Rows[Tenant](uow, "travel/tenants", "tenant")

    def add(self, tenant: Tenant) -> None:
        if tenant.id != self._uow.tenant_id:
            raise AccessDenied("a unit of work registers only its own tenant")
        self._rows.add("tenant", tenant)

    def get(self) -> Tenant:
        return self._rows.get("tenant")

    def save(self, tenant: Tenant) -> None:
        if tenant.id != self._uow.tenant_id:
            raise AccessDenied("a unit of work changes only its own tenant")
        self._rows.save("tenant", tenant)


class MemoryTravelPolicies:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._rows = Rows[PolicyRule](uow, "travel/travel_policies", "policy rule")

    def add(self, rule: PolicyRule) -> None:
        self._rows.add(rule.key, rule)

    def get(self, key: PolicyKey) -> PolicyRule:
        return self._rows.get(key)

    def find(self, key: PolicyKey) -> PolicyRule | None:
        return self._rows.find(key)

    def save(self, rule: PolicyRule) -> None:
        self._rows.save(rule.key, rule)

    def remove(self, key: PolicyKey) -> None:
        self._rows.remove(key)

    def list(self) -> Sequence[PolicyRule]:
        return sorted(self._rows.all(), key=lambda r: r.key)


class MemoryTravelPreferences:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._rows = Rows[TravelPreferences](uow, "travel/travel_preferences", "travel preferences")

    def add(self, preferences: TravelPreferences) -> None:
        self._rows.add(preferences.user_id, preferences)

    def find(self, user_id: UserId) -> TravelPreferences | None:
        return self._rows.find(user_id)

    def save(self, preferences: TravelPreferences) -> None:
        self._rows.save(preferences.user_id, preferences)


class MemoryItineraries:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._rows = Rows[Itinerary](uow, "travel/itineraries", "itinerary")

    def add(self, itinerary: Itinerary) -> None:
        self._rows.add(itinerary.id, itinerary)

    def get(self, itinerary_id: ItineraryId) -> Itinerary:
        return self._rows.get(itinerary_id)

    def save(self, itinerary: Itinerary) -> None:
        self._rows.save(itinerary.id, itinerary)

    def list(
        self, *, user_id: UserId | None = None, status: ItineraryStatus | None = None
    ) -> Sequence[Itinerary]:
        found = self._rows.all(
            lambda i: (
                (user_id is None or i.user_id == user_id) and (status is None or i.status == status)
            )
        )
        return sorted(found, key=lambda i: (i.starts_on, i.created_at, str(i.id)))


class MemoryTrips:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._rows = Rows[Trip](uow, "travel/trips", "trip")

    def add(self, trip: Trip) -> None:
        self._rows.add(trip.id, trip)

    def get(self, trip_id: TripId) -> Trip:
        return self._rows.get(trip_id)

    def save(self, trip: Trip) -> None:
        self._rows.save(trip.id, trip)

    def list(self, *, user_id: UserId | None = None) -> Sequence[Trip]:
        found = self._rows.all(lambda t: user_id is None or t.user_id == user_id)
        return sorted(found, key=lambda t: (t.created_at, str(t.id)))


class MemoryReminders:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._rows = Rows[Reminder](uow, "travel/reminders", "reminder")

    def add(self, reminder: Reminder) -> None:
        self._rows.add(reminder.id, reminder)

    def get(self, reminder_id: ReminderId) -> Reminder:
        return self._rows.get(reminder_id)

    def save(self, reminder: Reminder) -> None:
        self._rows.save(reminder.id, reminder)

    def remove(self, reminder_id: ReminderId) -> None:
        self._rows.remove(reminder_id)

    def for_trip(self, trip_id: TripId) -> Sequence[Reminder]:
        found = self._rows.all(lambda r: r.trip_id == trip_id)
        return sorted(found, key=lambda r: (r.due_at, str(r.id)))

    def due(self, now: datetime) -> Sequence[Reminder]:
        found = self._rows.all(lambda r: r.sent_at is None and r.due_at <= now)
        return sorted(found, key=lambda r: (r.due_at, str(r.id)))
