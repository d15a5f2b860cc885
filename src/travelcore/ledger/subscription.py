"""Corporate subscriptions: who pays for how many employees' credits, and how often.

A subscription (tier basic/standard/premium/enterprise) covers ``covered_employees``
employees with ``credits_per_employee`` credits each per monthly billing period; periods
start on ``billing_cycle_day`` (1-28). :class:`SeatAllocations` records which employees
received credits in one period, so a period never serves more than the covered number.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any, NewType
from uuid import UUID

import attrs

from travelcore.kernel import (
    CapacityExceeded,
    Conflict,
    InvalidTransition,
    Money,
    RuleViolation,
    TenantId,
    UserId,
    ValidationFailed,
    new_uuid,
    zone,
)
from travelcore.ledger.model import BillingPeriod

SubscriptionId = NewType("SubscriptionId", UUID)
CorporateId = NewType("CorporateId", UUID)

MAX_COVERED_EMPLOYEES = 1_000_000


class SubscriptionTier(StrEnum):
    BASIC = "basic"
    STANDARD = "standard"
    PREMIUM = "premium"
    ENTERPRISE = "enterprise"


class SubscriptionStatus(StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"


def _positive_int(_: object, attribute: attrs.Attribute[int], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValidationFailed(attribute.name, "positive_integer")


def _cycle_day(_: object, attribute: attrs.Attribute[int], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 28:
        raise ValidationFailed(attribute.name, "between_1_and_28")


def _tier(_: object, attribute: attrs.Attribute[SubscriptionTier], value: Any) -> None:
    if not isinstance(value, SubscriptionTier):
        raise ValidationFailed(attribute.name, "known_tier")


def _cost(_: object, attribute: attrs.Attribute[Money], value: Any) -> None:
    if not isinstance(value, Money) or value.amount < 0:
        raise ValidationFailed(attribute.name, "non_negative_money")
    value.exact(attribute.name)


def _zone(_: object, attribute: attrs.Attribute[str], value: Any) -> None:
    zone(value, attribute.name)


def _day(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ValidationFailed(attribute.name, "date")


@attrs.define(kw_only=True)
class CorporateSubscription:
    """What a corporate buys: ``covered_employees`` x ``credits_per_employee`` per period."""

    id: SubscriptionId
    tenant_id: TenantId
    corporate_id: CorporateId
    tier: SubscriptionTier = attrs.field(validator=_tier)
    covered_employees: int = attrs.field(validator=_positive_int)
    credits_per_employee: int = attrs.field(validator=_positive_int)
    monthly_cost: Money = attrs.field(validator=_cost)
    billing_cycle_day: int = attrs.field(default=1, validator=_cycle_day)
    start_date: date = attrs.field(validator=_day)
    end_date: date | None = None
    auto_renew: bool = True
    premium_venue_access: bool = False
    status: SubscriptionStatus = SubscriptionStatus.ACTIVE
    cancelled_at: datetime | None = None
    cancellation_reason: str | None = None
    timezone: str = attrs.field(default="UTC", validator=_zone)
    """The corporate's IANA zone: its billing periods and "today" are its local dates."""
    version: int = 1

    def __attrs_post_init__(self) -> None:
        if self.end_date is not None:
            _day(self, attrs.fields(CorporateSubscription).end_date, self.end_date)
            if self.end_date < self.start_date:
                raise ValidationFailed("end_date", "not_before_start_date")

    @classmethod
    def create(
        cls,
        *,
        tenant_id: TenantId,
        corporate_id: CorporateId,
        tier: SubscriptionTier,
        covered_employees: int,
        credits_per_employee: int,
        monthly_cost: Money,
        start_date: date,
        billing_cycle_day: int = 1,
        end_date: date | None = None,
        timezone: str = "UTC",
    ) -> CorporateSubscription:
        return cls(
            id=SubscriptionId(new_uuid()),
            tenant_id=tenant_id,
            corporate_id=corporate_id,
            tier=tier,
            covered_employees=covered_employees,
            credits_per_employee=credits_per_employee,
            monthly_cost=monthly_cost,
            billing_cycle_day=billing_cycle_day,
            start_date=start_date,
            end_date=end_date,
            timezone=timezone,
        )

    def today(self, now: datetime) -> date:
        """The corporate's local date at the instant ``now``."""
        return now.astimezone(zone(self.timezone)).date()

    def covers(self, day: date) -> bool:
        """Active, and ``day`` lies between the start and (inclusive) end dates."""
        return (
            self.status is SubscriptionStatus.ACTIVE
            and self.start_date <= day
            and (self.end_date is None or day <= self.end_date)
        )

    def period_containing(self, day: date) -> BillingPeriod:
        return BillingPeriod.containing(day, self.billing_cycle_day)

    def require_covers(self, day: date) -> None:
        if not self.covers(day):
            raise RuleViolation(
                f"subscription {self.id} does not cover {day.isoformat()}",
                subscription_id=str(self.id),
                day=day.isoformat(),
                status=self.status.value,
            )

    def cancel(self, at: datetime, reason: str) -> None:
        if self.status is not SubscriptionStatus.ACTIVE:
            raise InvalidTransition(
                "subscription", self.status.value, SubscriptionStatus.CANCELLED.value
            )
        if not isinstance(reason, str) or not reason.strip():
            raise ValidationFailed("cancellation_reason", "required")
        self.status = SubscriptionStatus.CANCELLED
        self.cancelled_at = at
        self.cancellation_reason = reason


@attrs.define(kw_only=True)
class SeatAllocations:
    """The employees who received a subscription's credits in one billing period."""

    tenant_id: TenantId
    subscription_id: SubscriptionId
    period: BillingPeriod
    users: list[UserId] = attrs.field(factory=list)
    version: int = 0

    def take(self, user_id: UserId, covered_employees: int) -> None:
        """Give ``user_id`` a seat: once per period, at most ``covered_employees`` seats."""
        if user_id in self.users:
            raise Conflict(
                "the employee already received this period's credits",
                user_id=str(user_id),
                period_start=self.period.start.isoformat(),
            )
        if len(self.users) >= covered_employees:
            raise CapacityExceeded(
                f"the subscription covers {covered_employees} employees per period",
                subscription_id=str(self.subscription_id),
                covered_employees=covered_employees,
            )
        self.users.append(user_id)
