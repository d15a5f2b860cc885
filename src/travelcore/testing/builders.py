"""Valid entities with sensible defaults, for tests and contract suites."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from itertools import count

from travelcore.catalog import (
    Activity,
    ActivityCategory,
    Session,
    Venue,
    VenueStatus,
)
from travelcore.kernel import TenantId
from travelcore.people import Child, Corporate, User, UserRole

_serial = count(1)


def a_corporate(tenant_id: TenantId) -> Corporate:
    n = next(_serial)
    return Corporate.create(
        tenant_id,
        company_name=f"Acme {n}",
        primary_contact_name="Hana Ito",
        primary_contact_email=f"hr{n}@acme.example",
        contract_start_date=date(2026, 1, 1),
    )


def a_parent(tenant_id: TenantId, corporate: Corporate) -> User:
    n = next(_serial)
    return User.create(
        tenant_id,
        email=f"parent{n}@acme.example",
        role=UserRole.PARENT,
        first_name="Sam",
        last_name=f"Parent{n}",
        corporate_id=corporate.id,
    )


def a_child(
    tenant_id: TenantId, parent: User, born: date = date(2018, 5, 1), name: str = "Mia"
) -> Child:
    return Child.create(
        tenant_id,
        parent_id=parent.id,
        first_name=name,
        date_of_birth=born,
        today=date(2026, 1, 1),
    )


def a_venue(
    tenant_id: TenantId, *, active: bool = True, insured_until: date = date(2030, 12, 31)
) -> Venue:
    n = next(_serial)
    venue = Venue.apply(
        tenant_id,
        name=f"Venue {n}",
        slug=f"venue-{n}",
        insurance_coverage=Decimal(2_000_000),
        insurance_expiry_date=insured_until,
    )
    if active:
        venue.status = VenueStatus.ACTIVE
    return venue


def an_activity(
    tenant_id: TenantId,
    venue: Venue,
    *,
    credits: int = 5,
    capacity: int = 10,
    ages: tuple[int, int] = (4, 12),
) -> Activity:
    n = next(_serial)
    return Activity.create(
        tenant_id,
        venue_id=venue.id,
        name=f"Robotics {n}",
        category=ActivityCategory.STEM,
        min_age=ages[0],
        max_age=ages[1],
        duration_minutes=90,
        credits_required=credits,
        capacity_per_session=capacity,
        tags=("indoor",),
        is_published=True,
    )


def a_session(
    tenant_id: TenantId,
    activity: Activity,
    *,
    day: date = date(2026, 3, 14),
    start: time = time(10),
    end: time = time(11, 30),
    timezone: str = "America/New_York",
    capacity: int | None = None,
) -> Session:
    return Session.create(
        tenant_id,
        activity=activity,
        session_date=day,
        start_time=start,
        end_time=end,
        timezone=timezone,
        total_capacity=capacity,
    )


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A UTC instant."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)
