"""Tenant travel policies: typed keys with JSON values, validated on write, checked on plans.

Values (JSON):

- ``cabin_class``: ``{"max": "economy" | "premium_economy" | "business" | "first"}``
- ``hotel_stars``: ``{"min": 1..5, "max": 1..5}`` (either bound may be left out)
- ``per_night_cap`` and ``per_trip_cap``: ``{"amount": "180.00", "currency": "EUR"}``
- ``advance_booking``: ``{"min_days": N}`` days between booking and departure

Each rule is a ``warning`` (the plan is flagged) or a ``refusal`` (``PolicyViolation``).
A cap in another currency than the plan cannot be compared and counts as broken.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import attrs

from travelcore.kernel import Money, PolicyViolation, TenantId, ValidationFailed
from travelcore.travel.model import CabinClass, Category, LineItem


class PolicyKey(StrEnum):
    CABIN_CLASS = "cabin_class"
    HOTEL_STARS = "hotel_stars"
    PER_NIGHT_CAP = "per_night_cap"
    PER_TRIP_CAP = "per_trip_cap"
    ADVANCE_BOOKING = "advance_booking"


class Severity(StrEnum):
    WARNING = "warning"
    REFUSAL = "refusal"


def _object(value: Any, keys: set[str], required: set[str]) -> dict[str, Any]:
    if not isinstance(value, dict) or not set(value) <= keys or not required <= set(value):
        raise ValidationFailed("value", "shape", f"expected an object with keys {sorted(keys)}")
    return value


def _money(value: Any) -> Money:
    data = _object(value, {"amount", "currency"}, {"amount", "currency"})
    if not isinstance(data["amount"], str | int) or isinstance(data["amount"], bool):
        raise ValidationFailed("value", "decimal_string")
    cap = Money.of(data["amount"], data["currency"])
    if cap.is_negative():
        raise ValidationFailed("value", "non_negative")
    return cap


def _star(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise ValidationFailed("value", "stars_between_1_and_5")
    return value


def validate_value(key: PolicyKey, value: Any) -> None:
    """Refuse a malformed value for ``key`` with ``ValidationFailed(field="value")``."""
    parse(key, value)


def parse(key: PolicyKey, value: Any) -> Any:
    """The typed form of a rule's JSON value."""
    if key is PolicyKey.CABIN_CLASS:
        data = _object(value, {"max"}, {"max"})
        try:
            return CabinClass(data["max"])
        except ValueError as exc:
            raise ValidationFailed("value", "cabin_class") from exc
    if key is PolicyKey.HOTEL_STARS:
        data = _object(value, {"min", "max"}, set())
        low, high = _star(data.get("min", 1)), _star(data.get("max", 5))
        if low > high:
            raise ValidationFailed("value", "min_not_above_max")
        return (low, high)
    if key in (PolicyKey.PER_NIGHT_CAP, PolicyKey.PER_TRIP_CAP):
        return _money(value)
    data = _object(value, {"min_days"}, {"min_days"})
    days = data["min_days"]
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 365:
        raise ValidationFailed("value", "days_between_0_and_365")
    return days


@attrs.define(kw_only=True, on_setattr=attrs.setters.frozen)
class PolicyRule:
    """One tenant rule (stored as key -> JSON value), validated on construction."""

    tenant_id: TenantId
    key: PolicyKey
    value: Any
    severity: Severity = Severity.REFUSAL
    updated_at: datetime
    version: int = attrs.field(default=1, on_setattr=attrs.setters.NO_OP)
    """Changed only by a repository's ``save`` (see ``travelcore.kernel.repository``)."""

    def __attrs_post_init__(self) -> None:
        validate_value(self.key, self.value)


@attrs.frozen(kw_only=True)
class Finding:
    """A broken rule: which one, how severe, and why."""

    rule: PolicyKey
    severity: Severity
    message: str


@attrs.frozen(kw_only=True)
class Plan:
    """What a policy check looks at: the departure date and the priced items (maybe none)."""

    starts_on: date
    items: tuple[LineItem, ...] = ()


def _breaks(key: PolicyKey, limit: Any, plan: Plan, today: date) -> str | None:
    if key is PolicyKey.ADVANCE_BOOKING:
        lead = (plan.starts_on - today).days
        return f"booked {lead} days ahead, {limit} required" if lead < limit else None
    if key is PolicyKey.CABIN_CLASS:
        too_high = [
            i.cabin_class
            for i in plan.items
            if i.cabin_class is not None and i.cabin_class.rank > limit.rank
        ]
        return f"cabin {too_high[0]} above {limit}" if too_high else None
    if key is PolicyKey.HOTEL_STARS:
        low, high = limit
        off = [
            i.hotel_stars
            for i in plan.items
            if i.hotel_stars is not None and not low <= i.hotel_stars <= high
        ]
        return f"{off[0]}-star hotel outside {low}-{high}" if off else None
    if key is PolicyKey.PER_NIGHT_CAP:
        hotels = [i for i in plan.items if i.kind is Category.HOTEL]
        for hotel in hotels:
            price = hotel.unit_price
            if price.currency != limit.currency or price > limit:
                return f"{price} per night above the cap of {limit}"
        return None
    items = list(plan.items)
    if not items:
        return None
    currency = items[0].unit_price.currency
    spend = Money.of(0, currency)
    for item in items:
        spend = spend + item.total
    if currency != limit.currency or spend > limit:
        return f"trip total {spend} above the cap of {limit}"
    return None


def check(rules: Iterable[PolicyRule], plan: Plan, today: date) -> tuple[Finding, ...]:
    """Every rule ``plan`` breaks, in key order."""
    findings = []
    for rule in sorted(rules, key=lambda r: r.key):
        message = _breaks(rule.key, parse(rule.key, rule.value), plan, today)
        if message is not None:
            findings.append(Finding(rule=rule.key, severity=rule.severity, message=message))
    return tuple(findings)


def enforce(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """Raise ``PolicyViolation`` naming the first refused rule; return the warnings."""
    findings = tuple(findings)
    refusals = [f for f in findings if f.severity is Severity.REFUSAL]
    if refusals:
        first = refusals[0]
        raise PolicyViolation(
            f"policy {first.rule} refuses this: {first.message}",
            rule=str(first.rule),
            rules=[str(f.rule) for f in refusals],
        )
    return tuple(f for f in findings if f.severity is Severity.WARNING)
