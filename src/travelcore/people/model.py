"""People: corporates, users with roles, and the children parents book for."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import NewType
from uuid import UUID

import attrs

from travelcore.catalog.model import ActivityCategory
from travelcore.kernel import (
    AccessDenied,
    Actor,
    Role,
    TenantId,
    UserId,
    ValidationFailed,
    new_uuid,
    zone,
)

CorporateId = NewType("CorporateId", UUID)
ChildId = NewType("ChildId", UUID)


class UserRole(StrEnum):
    PARENT = "parent"
    HR_ADMIN = "hr_admin"
    VENUE_ADMIN = "venue_admin"
    PLATFORM_ADMIN = "platform_admin"


def require_text(value: str, field: str, max_length: int = 255) -> str:
    """``value`` stripped, or ``ValidationFailed`` if it is blank or too long."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed(field, "required", f"{field} is required")
    if len(value) > max_length:
        raise ValidationFailed(field, f"max_length_{max_length}")
    return value.strip()


def _email(value: str, field: str = "email") -> str:
    value = require_text(value, field).lower()
    local, _, domain = value.partition("@")
    if not local or "." not in domain:
        raise ValidationFailed(field, "email_address", f"{value!r} is not an email address")
    return value


@attrs.define(kw_only=True)
class Corporate:
    """An employer that buys monthly credits for its employees."""

    id: CorporateId
    tenant_id: TenantId
    company_name: str
    primary_contact_name: str
    primary_contact_email: str
    contract_start_date: date
    contract_end_date: date | None = None
    timezone: str = "UTC"
    """The IANA zone of the corporate's billing: its periods and "today" are local dates."""
    is_active: bool = True
    version: int = 1

    @classmethod
    def create(
        cls,
        tenant_id: TenantId,
        *,
        company_name: str,
        primary_contact_name: str,
        primary_contact_email: str,
        contract_start_date: date,
        contract_end_date: date | None = None,
        timezone: str = "UTC",
    ) -> Corporate:
        if contract_end_date is not None and contract_end_date < contract_start_date:
            raise ValidationFailed("contract_end_date", "not_before_contract_start_date")
        return cls(
            id=CorporateId(new_uuid()),
            tenant_id=tenant_id,
            company_name=require_text(company_name, "company_name"),
            primary_contact_name=require_text(primary_contact_name, "primary_contact_name"),
            primary_contact_email=_email(primary_contact_email, "primary_contact_email"),
            contract_start_date=contract_start_date,
            contract_end_date=contract_end_date,
            timezone=zone(timezone, "timezone").key,
        )


@attrs.define(kw_only=True)
class User:
    """A person who signs in: a parent, an HR admin, a venue admin or a platform admin."""

    id: UserId
    tenant_id: TenantId
    email: str
    role: UserRole
    first_name: str
    last_name: str
    corporate_id: CorporateId | None = None
    venue_id: UUID | None = None
    timezone: str = "America/New_York"
    is_active: bool = True
    version: int = 1

    @classmethod
    def create(
        cls,
        tenant_id: TenantId,
        *,
        email: str,
        role: UserRole,
        first_name: str,
        last_name: str,
        corporate_id: CorporateId | None = None,
        venue_id: UUID | None = None,
    ) -> User:
        role = UserRole(role)
        if role in (UserRole.PARENT, UserRole.HR_ADMIN) and corporate_id is None:
            raise ValidationFailed("corporate_id", "required_for_role", f"a {role} needs one")
        if role is UserRole.VENUE_ADMIN and venue_id is None:
            raise ValidationFailed("venue_id", "required_for_role", "a venue_admin needs one")
        return cls(
            id=UserId(new_uuid()),
            tenant_id=tenant_id,
            email=_email(email),
            role=role,
            first_name=require_text(first_name, "first_name", 100),
            last_name=require_text(last_name, "last_name", 100),
            corporate_id=corporate_id,
            venue_id=venue_id,
        )

    def actor(self) -> Actor:
        """The user's actor, with every scope of its role: bound to its corporate (parents,
        HR admins) or venue (venue admins) as the record says. A deactivated user has none:
        ``AccessDenied`` with rule ``inactive_user``."""
        if not self.is_active:
            raise AccessDenied("the user is deactivated", rule="inactive_user")
        role = Role(self.role.value)
        return Actor(
            tenant_id=self.tenant_id,
            role=role,
            user_id=self.id,
            corporate_id=self.corporate_id if role in _CORPORATE_ROLES else None,
            venue_id=self.venue_id if role is Role.VENUE_ADMIN else None,
        )


_CORPORATE_ROLES = frozenset({Role.PARENT, Role.HR_ADMIN})


def age_on(date_of_birth: date, day: date) -> int:
    """Whole years of age on ``day`` (a 29 February birthday counts from 1 March)."""
    years = day.year - date_of_birth.year
    if (day.month, day.day) < (date_of_birth.month, date_of_birth.day):
        years -= 1
    return years


@attrs.define(kw_only=True)
class Child:
    """A child profile, owned by one parent."""

    id: ChildId
    tenant_id: TenantId
    parent_id: UserId
    first_name: str
    date_of_birth: date
    interests: tuple[str, ...] = ()
    activities_to_avoid: tuple[str, ...] = ()
    accessibility_needs: tuple[str, ...] = ()
    parental_consent_given: bool = False
    parental_consent_at: datetime | None = None
    is_active: bool = True
    version: int = 1
    deletion_requested_at: datetime | None = None
    deletion_scheduled_for: date | None = None

    @classmethod
    def create(
        cls,
        tenant_id: TenantId,
        *,
        parent_id: UserId,
        first_name: str,
        date_of_birth: date,
        today: date,
        interests: tuple[str, ...] = (),
        activities_to_avoid: tuple[str, ...] = (),
        accessibility_needs: tuple[str, ...] = (),
    ) -> Child:
        if date_of_birth > today:
            raise ValidationFailed("date_of_birth", "not_in_future")
        if age_on(date_of_birth, today) > 18:
            raise ValidationFailed("date_of_birth", "age_at_most_18")
        if len(interests) > 3:
            raise ValidationFailed("interests", "at_most_3")
        known = {c.value for c in ActivityCategory}
        if not set(interests) <= known:
            raise ValidationFailed("interests", "activity_categories")
        return cls(
            id=ChildId(new_uuid()),
            tenant_id=tenant_id,
            parent_id=parent_id,
            first_name=require_text(first_name, "first_name", 100),
            date_of_birth=date_of_birth,
            interests=tuple(interests),
            activities_to_avoid=tuple(activities_to_avoid),
            accessibility_needs=tuple(accessibility_needs),
        )

    def age_on(self, day: date) -> int:
        return age_on(self.date_of_birth, day)

    def request_deletion(self, at: datetime, delay: timedelta) -> None:
        """Schedule the erasure ``delay`` after ``at`` (UTC date); the child is deactivated
        at once. A second request keeps the first schedule."""
        if self.deletion_requested_at is None:
            self.deletion_requested_at = at
            self.deletion_scheduled_for = (at + delay).astimezone(UTC).date()
        self.is_active = False

    def give_consent(self, at: datetime) -> None:
        """Record the parent's consent (COPPA); given once, its first time is kept."""
        if not self.parental_consent_given:
            self.parental_consent_given = True
            self.parental_consent_at = at
