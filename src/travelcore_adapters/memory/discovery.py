"""The discovery context in memory: search logs, parents' locations, venue coordinates."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from travelcore.catalog import VenueId
from travelcore.discovery.geo import GeoPoint
from travelcore.discovery.intent import LOCATION_TYPES, LocationType
from travelcore.discovery.places import UserLocation
from travelcore.discovery.search import SearchLogEntry
from travelcore.kernel import AlreadyExists, NotFound, UserId, ValidationFailed

if TYPE_CHECKING:
    from travelcore_adapters.memory.uow import MemoryUnitOfWork

LOGS = "nl_search_logs"
USER_LOCATIONS = "user_locations"
VENUE_LOCATIONS = "venue_locations"


class MemorySearchLogs:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow

    def add(self, entry: SearchLogEntry) -> None:
        if entry.tenant_id != self._uow.tenant_id:
            raise ValidationFailed("tenant_id", "matches_unit_of_work")
        key = (entry.tenant_id, entry.id)
        if self._uow.tx.contains(LOGS, key):
            raise AlreadyExists(f"search log {entry.id} exists")
        self._uow.tx.put(LOGS, key, entry)

    def get(self, log_id: UUID) -> SearchLogEntry:
        entry: SearchLogEntry | None = self._uow.tx.get(LOGS, (self._uow.tenant_id, log_id))
        if entry is None:
            raise NotFound("search_log", log_id)
        return entry

    def _mine(self) -> list[SearchLogEntry]:
        tenant = self._uow.tenant_id
        return [
            e for key, e in self._uow.tx.scan(LOGS) if isinstance(key, tuple) and key[0] == tenant
        ]

    def for_user(self, user_id: UserId, limit: int = 50) -> list[SearchLogEntry]:
        mine = [e for e in self._mine() if e.user_id == user_id]
        return sorted(mine, key=lambda e: (e.created_at, str(e.id)), reverse=True)[:limit]

    def purge(self, before: datetime) -> int:
        old = [e for e in self._mine() if e.created_at < before]
        for entry in old:
            self._uow.tx.delete(LOGS, (entry.tenant_id, entry.id))
        return len(old)


class MemoryUserLocations:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow

    def save(self, location: UserLocation) -> None:
        if location.tenant_id != self._uow.tenant_id:
            raise ValidationFailed("tenant_id", "matches_unit_of_work")
        key = (location.tenant_id, location.user_id, location.location_type)
        self._uow.tx.put(USER_LOCATIONS, key, location)

    def for_user(self, user_id: UserId) -> list[UserLocation]:
        tenant = self._uow.tenant_id
        found = [
            loc
            for key, loc in self._uow.tx.scan(USER_LOCATIONS)
            if isinstance(key, tuple) and key[:2] == (tenant, user_id)
        ]
        return sorted(found, key=lambda loc: LOCATION_TYPES.index(loc.location_type))

    def remove(self, user_id: UserId, location_type: LocationType) -> None:
        self._uow.tx.delete(USER_LOCATIONS, (self._uow.tenant_id, user_id, location_type))


class MemoryVenueLocations:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow

    def set(self, venue_id: VenueId, point: GeoPoint) -> None:
        self._uow.tx.put(VENUE_LOCATIONS, (self._uow.tenant_id, venue_id), point)

    def all(self) -> dict[VenueId, GeoPoint]:
        tenant = self._uow.tenant_id
        return {
            key[1]: point
            for key, point in self._uow.tx.scan(VENUE_LOCATIONS)
            if isinstance(key, tuple) and key[0] == tenant
        }
