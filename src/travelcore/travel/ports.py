"""Repository ports of the travel context. Every repository sees only its unit of work's tenant.

``add`` raises ``AlreadyExists`` for a duplicate; ``get`` raises ``NotFound``; ``save`` accepts
an entity whose ``version`` is exactly one above the stored one, else raises ``StaleVersion``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from travelcore.kernel import UnitOfWork, UserId
from travelcore.kernel.idempotency import IdempotencyStore
from travelcore.travel.model import (
    Itinerary,
    ItineraryId,
    ItineraryStatus,
    Reminder,
    ReminderId,
    Tenant,
    TravelPreferences,
    Trip,
    TripId,
)
from travelcore.travel.policy import PolicyKey, PolicyRule


class TenantRepository(Protocol):
    def add(self, tenant: Tenant) -> None:
        """Register the unit of work's tenant (``AccessDenied`` for any other id)."""
        ...

    def get(self) -> Tenant: ...

    def save(self, tenant: Tenant) -> None: ...


class TravelPolicyRepository(Protocol):
    def add(self, rule: PolicyRule) -> None: ...

    def get(self, key: PolicyKey) -> PolicyRule: ...

    def find(self, key: PolicyKey) -> PolicyRule | None: ...

    def save(self, rule: PolicyRule) -> None: ...

    def remove(self, key: PolicyKey) -> None: ...

    def list(self) -> Sequence[PolicyRule]:
        """All rules, ordered by key."""
        ...


class TravelPreferencesRepository(Protocol):
    def add(self, preferences: TravelPreferences) -> None: ...

    def find(self, user_id: UserId) -> TravelPreferences | None: ...

    def save(self, preferences: TravelPreferences) -> None: ...


class ItineraryRepository(Protocol):
    def add(self, itinerary: Itinerary) -> None: ...

    def get(self, itinerary_id: ItineraryId) -> Itinerary: ...

    def save(self, itinerary: Itinerary) -> None: ...

    def list(
        self, *, user_id: UserId | None = None, status: ItineraryStatus | None = None
    ) -> Sequence[Itinerary]:
        """Itineraries of the tenant (or one user), optionally by status, by start date."""
        ...


class TripRepository(Protocol):
    def add(self, trip: Trip) -> None: ...

    def get(self, trip_id: TripId) -> Trip: ...

    def save(self, trip: Trip) -> None: ...

    def list(self, *, user_id: UserId | None = None) -> Sequence[Trip]:
        """Trips of the tenant (or one user), by creation time."""
        ...


class ReminderRepository(Protocol):
    def add(self, reminder: Reminder) -> None: ...

    def get(self, reminder_id: ReminderId) -> Reminder: ...

    def save(self, reminder: Reminder) -> None: ...

    def remove(self, reminder_id: ReminderId) -> None: ...

    def for_trip(self, trip_id: TripId) -> Sequence[Reminder]:
        """The trip's reminders, earliest first, read to change (a sender of them queues)."""
        ...

    def due(self, now: datetime) -> Sequence[Reminder]:
        """Unsent reminders whose ``due_at`` is at or before ``now``, earliest first."""
        ...


class TravelUnitOfWork(UnitOfWork, Protocol):
    @property
    def idempotency(self) -> IdempotencyStore: ...

    @property
    def tenants(self) -> TenantRepository: ...

    @property
    def travel_policies(self) -> TravelPolicyRepository: ...

    @property
    def travel_preferences(self) -> TravelPreferencesRepository: ...

    @property
    def itineraries(self) -> ItineraryRepository: ...

    @property
    def trips(self) -> TripRepository: ...

    @property
    def reminders(self) -> ReminderRepository: ...
