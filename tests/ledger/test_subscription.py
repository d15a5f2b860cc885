"""Corporate subscriptions: validation naming fields, coverage, cancellation, seats."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from travelcore.kernel import (
    CapacityExceeded,
    Conflict,
    InvalidTransition,
    Money,
    TenantId,
    UserId,
    ValidationFailed,
    new_uuid,
)
from travelcore.ledger import (
    BillingPeriod,
    CorporateId,
    CorporateSubscription,
    SeatAllocations,
    SubscriptionStatus,
    SubscriptionTier,
)


def make(**changes: Any) -> CorporateSubscription:
    values: dict[str, Any] = {
        "tenant_id": TenantId(new_uuid()),
        "corporate_id": CorporateId(new_uuid()),
        "tier": SubscriptionTier.BASIC,
        "covered_employees": 3,
        "credits_per_employee": 20,
        "monthly_cost": Money.of("99.00", "EUR"),
        "start_date": date(2026, 1, 1),
        **changes,
    }
    return CorporateSubscription.create(**values)


@pytest.mark.parametrize(
    ("changes", "field", "rule"),
    [
        ({"tier": "gold"}, "tier", "known_tier"),
        ({"covered_employees": 0}, "covered_employees", "positive_integer"),
        ({"covered_employees": True}, "covered_employees", "positive_integer"),
        ({"credits_per_employee": -1}, "credits_per_employee", "positive_integer"),
        ({"monthly_cost": Money.of("-1", "EUR")}, "monthly_cost", "non_negative_money"),
        ({"monthly_cost": 10}, "monthly_cost", "non_negative_money"),
        ({"billing_cycle_day": 29}, "billing_cycle_day", "between_1_and_28"),
        ({"billing_cycle_day": 0}, "billing_cycle_day", "between_1_and_28"),
        ({"start_date": datetime(2026, 1, 1, tzinfo=UTC)}, "start_date", "date"),
        ({"end_date": date(2025, 12, 31)}, "end_date", "not_before_start_date"),
        ({"end_date": "2027-01-01"}, "end_date", "date"),
    ],
)
def test_bad_input_names_the_field(changes: dict[str, Any], field: str, rule: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        make(**changes)
    assert (err.value.field, err.value.rule) == (field, rule)


def test_coverage_and_periods() -> None:
    sub = make(end_date=date(2026, 6, 30), billing_cycle_day=10)
    assert not sub.covers(date(2025, 12, 31))
    assert sub.covers(date(2026, 1, 1))
    assert sub.covers(date(2026, 6, 30))
    assert not sub.covers(date(2026, 7, 1))
    assert sub.period_containing(date(2026, 3, 9)) == BillingPeriod(
        date(2026, 2, 10), date(2026, 3, 10)
    )


def test_cancel_once_with_a_reason() -> None:
    sub = make()
    with pytest.raises(ValidationFailed) as err:
        sub.cancel(datetime(2026, 2, 1, tzinfo=UTC), " ")
    assert err.value.field == "cancellation_reason"
    sub.cancel(datetime(2026, 2, 1, tzinfo=UTC), "contract ended")
    assert sub.status is SubscriptionStatus.CANCELLED
    assert not sub.covers(date(2026, 2, 2))
    with pytest.raises(InvalidTransition):
        sub.cancel(datetime(2026, 2, 2, tzinfo=UTC), "again")


def test_seats_are_once_per_employee_and_capped() -> None:
    sub = make(covered_employees=2)
    seats = SeatAllocations(
        tenant_id=sub.tenant_id,
        subscription_id=sub.id,
        period=sub.period_containing(date(2026, 3, 2)),
    )
    first, second = UserId(new_uuid()), UserId(new_uuid())
    seats.take(first, sub.covered_employees)
    with pytest.raises(Conflict):
        seats.take(first, sub.covered_employees)
    seats.take(second, sub.covered_employees)
    with pytest.raises(CapacityExceeded):
        seats.take(UserId(new_uuid()), sub.covered_employees)
    assert seats.users == [first, second]
