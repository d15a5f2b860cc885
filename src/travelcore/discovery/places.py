"""Where parents search from and where venues are (seed ``user_locations``; venue coordinates).

A parent has at most one location of each type (home, work, school, other), exactly one of
them primary once there is any, and each its search radius in minutes (5-60, default 15).
``Places`` is the ``PlaceDirectory`` that search and curation read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol
from uuid import UUID

import attrs

from travelcore.catalog.model import VenueId
from travelcore.discovery import access
from travelcore.discovery.geo import DEFAULT_RADIUS_MINUTES, GeoPoint, check_radius
from travelcore.discovery.intent import LOCATION_TYPES, LocationType
from travelcore.kernel import Actor, require_tenant
from travelcore.kernel import validation as v
from travelcore.kernel.errors import ValidationFailed
from travelcore.kernel.ids import TenantId, UserId, new_uuid
from travelcore.kernel.uow import UnitOfWork


def _location_type(instance: object, attribute: attrs.Attribute[str], value: Any) -> None:
    if value not in LOCATION_TYPES:
        raise ValidationFailed(attribute.name, "home_work_school_or_other")


def _text(limit: int, *, optional: bool = False) -> Callable[[object, Any, Any], None]:
    def check(instance: object, attribute: attrs.Attribute[str], value: Any) -> None:
        if value is None and optional:
            return
        if not isinstance(value, str) or not value.strip() or len(value) > limit:
            raise ValidationFailed(attribute.name, f"text_of_1_to_{limit}_characters")

    return check


def _radius(instance: object, attribute: attrs.Attribute[int], value: Any) -> None:
    check_radius(value, attribute.name)


@attrs.frozen(kw_only=True)
class UserLocation:
    id: UUID
    tenant_id: TenantId
    user_id: UserId
    location_type: LocationType = attrs.field(validator=_location_type)
    address_line1: str = attrs.field(validator=_text(255))
    city: str = attrs.field(validator=_text(100))
    postal_code: str = attrs.field(validator=_text(20))
    country: str = attrs.field(default="USA", validator=_text(100))
    label: str | None = attrs.field(default=None, validator=_text(100, optional=True))
    point: GeoPoint | None = None
    is_primary: bool = False
    radius_minutes: int = attrs.field(default=DEFAULT_RADIUS_MINUTES, validator=_radius)


class UserLocationRepository(Protocol):
    def save(self, location: UserLocation) -> None:
        """Insert or replace the user's location of that type."""
        ...

    def for_user(self, user_id: UserId) -> list[UserLocation]:
        """By location type (home, work, school, other)."""
        ...

    def remove(self, user_id: UserId, location_type: LocationType) -> None: ...


class VenueLocationRepository(Protocol):
    def set(self, venue_id: VenueId, point: GeoPoint) -> None: ...

    def all(self) -> dict[VenueId, GeoPoint]: ...


class PlacesUnitOfWork(UnitOfWork, Protocol):
    @property
    def user_locations(self) -> UserLocationRepository: ...

    @property
    def venue_locations(self) -> VenueLocationRepository: ...


class Places:
    """Parents' locations and venues' coordinates; the ``PlaceDirectory`` of search."""

    def __init__(self, uow_factory: Callable[[TenantId], PlacesUnitOfWork]) -> None:
        self._uow_factory = uow_factory

    def set_location(
        self,
        tenant_id: TenantId,
        user_id: UserId,
        location_type: LocationType,
        *,
        address_line1: str,
        city: str,
        postal_code: str,
        point: GeoPoint | None = None,
        primary: bool = False,
        radius_minutes: int = DEFAULT_RADIUS_MINUTES,
        label: str | None = None,
        country: str = "USA",
        actor: Actor,
    ) -> UserLocation:
        """Add or replace the location of that type. The first location is primary; making
        one primary makes the others not."""
        v.ids(user_id=user_id)
        v.check_all(
            {
                "location_type": location_type,
                "address_line1": address_line1,
                "city": city,
                "postal_code": postal_code,
                "primary": primary,
                "label": label,
                "country": country,
            },
            _LOCATION,
        )
        require_tenant(actor, tenant_id)
        access.personal(actor, user_id)
        with self._uow_factory(tenant_id) as uow:
            existing = {loc.location_type: loc for loc in uow.user_locations.for_user(user_id)}
            before = existing.get(location_type)
            others = [loc for t, loc in existing.items() if t != location_type]
            is_primary = primary or not others or bool(before and before.is_primary)
            location = UserLocation(
                id=before.id if before else new_uuid(),
                tenant_id=tenant_id,
                user_id=user_id,
                location_type=location_type,
                address_line1=address_line1,
                city=city,
                postal_code=postal_code,
                country=country,
                label=label,
                point=point,
                is_primary=is_primary,
                radius_minutes=radius_minutes,
            )
            if is_primary:
                for other in others:
                    if other.is_primary:
                        uow.user_locations.save(attrs.evolve(other, is_primary=False))
            uow.user_locations.save(location)
            uow.commit()
        return location

    def locations(
        self, tenant_id: TenantId, user_id: UserId, *, actor: Actor
    ) -> list[UserLocation]:
        v.ids(user_id=user_id)
        require_tenant(actor, tenant_id)
        access.read_personal(actor, user_id)
        with self._uow_factory(tenant_id) as uow:
            return uow.user_locations.for_user(user_id)

    def place_venue(
        self, tenant_id: TenantId, venue_id: VenueId, point: GeoPoint, *, actor: Actor
    ) -> None:
        v.ids(venue_id=venue_id)
        v.instance(GeoPoint, "GeoPoint")(point, "point")
        require_tenant(actor, tenant_id)
        access.place_venue(actor, venue_id)
        with self._uow_factory(tenant_id) as uow:
            uow.venue_locations.set(venue_id, point)
            uow.commit()

    def venue_points(self, tenant_id: TenantId) -> Mapping[str, GeoPoint]:
        with self._uow_factory(tenant_id) as uow:
            return {str(k): v for k, v in uow.venue_locations.all().items()}

    def origin(
        self, tenant_id: TenantId, user_id: UserId, location: LocationType | None
    ) -> tuple[GeoPoint, int] | None:
        """A location type the parent has not set falls back to the primary location."""
        with self._uow_factory(tenant_id) as uow:
            stored = uow.user_locations.for_user(user_id)
        known = [loc for loc in stored if loc.point is not None]
        for chosen in (
            [loc for loc in known if loc.location_type == location],
            [loc for loc in known if loc.is_primary],
        ):
            if chosen and chosen[0].point is not None:
                return chosen[0].point, chosen[0].radius_minutes
        return None


_LOCATION = {
    "location_type": v.one_of(LOCATION_TYPES),
    "address_line1": v.text(255),
    "city": v.text(100),
    "postal_code": v.text(20),
    "primary": v.boolean,
    "label": v.optional(v.text(100)),
    "country": v.text(100),
}
