"""Memory repositories of the travel context."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from datetime import datetime

from travelcore.kernel import UserId
from travelcore.travel import (
    Itinerary,
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
from travelcore_adapters.memory.repository import MemoryRepository


class MemoryTenants(MemoryRepository[Tenant]):
    """The unit of work's own tenant record (one row)."""

    table, entity = "travel/tenants", "tenant"

    def key_of(self, entity: Tenant) -> Hashable:
        return "tenant"

    def tenant_of(self, entity: Tenant) -> object:
        return entity.id

    def get(self, key: object = "tenant") -> Tenant:
        return super().get("tenant")


class MemoryTravelPolicies(MemoryRepository[PolicyRule]):
    table, entity = "travel/travel_policies", "policy rule"

    def key_of(self, entity: PolicyRule) -> Hashable:
        return entity.key

    def find(self, key: PolicyKey) -> PolicyRule | None:
        return self._find(key)

    def remove(self, key: PolicyKey) -> None:
        self._remove(key)

    def list(self) -> Sequence[PolicyRule]:
        return sorted(self._rows(), key=lambda r: r.key)


class MemoryTravelPreferences(MemoryRepository[TravelPreferences]):
    table, entity = "travel/travel_preferences", "travel preferences"

    def key_of(self, entity: TravelPreferences) -> Hashable:
        return entity.user_id

    def find(self, user_id: UserId) -> TravelPreferences | None:
        return self._find(user_id)


class MemoryItineraries(MemoryRepository[Itinerary]):
    table, entity = "travel/itineraries", "itinerary"

    def list(
        self, *, user_id: UserId | None = None, status: ItineraryStatus | None = None
    ) -> Sequence[Itinerary]:
        found = self._rows(
            lambda i: (
                (user_id is None or i.user_id == user_id) and (status is None or i.status == status)
            )
        )
        return sorted(found, key=lambda i: (i.starts_on, i.created_at, str(i.id)))


class MemoryTrips(MemoryRepository[Trip]):
    table, entity = "travel/trips", "trip"

    def list(self, *, user_id: UserId | None = None) -> Sequence[Trip]:
        found = self._rows(lambda t: user_id is None or t.user_id == user_id)
        return sorted(found, key=lambda t: (t.created_at, str(t.id)))


class MemoryReminders(MemoryRepository[Reminder]):
    table, entity = "travel/reminders", "reminder"

    def remove(self, reminder_id: ReminderId) -> None:
        self._remove(reminder_id)

    def for_trip(self, trip_id: TripId) -> Sequence[Reminder]:
        found = self._rows(lambda r: r.trip_id == trip_id)
        return sorted(found, key=lambda r: (r.due_at, str(r.id)))

    def due(self, now: datetime) -> Sequence[Reminder]:
        found = self._rows(lambda r: r.sent_at is None and r.due_at <= now)
        return sorted(found, key=lambda r: (r.due_at, str(r.id)))
