"""Tenant travel policies: validation on write, findings, warnings versus refusals."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from travelcore.kernel import Money, PolicyViolation, TenantId, ValidationFailed, new_uuid
from travelcore.travel import (
    CabinClass,
    LineItem,
    Plan,
    PolicyKey,
    PolicyRule,
    Severity,
    check,
    enforce,
)

TENANT = TenantId(new_uuid())
T0 = datetime(2026, 3, 1, tzinfo=UTC)
TODAY = date(2026, 3, 1)


def rule(key: PolicyKey, value: Any, severity: Severity = Severity.REFUSAL) -> PolicyRule:
    return PolicyRule(tenant_id=TENANT, key=key, value=value, severity=severity, updated_at=T0)


def hotel(price: str, stars: int | None = 3, nights: int = 2, currency: str = "EUR") -> LineItem:
    start = date(2026, 4, 1)
    return LineItem.hotel(
        provider="B",
        external_ref="H",
        price_per_night=Money.of(price, currency),
        check_in=start,
        check_out=start + timedelta(days=nights),
        stars=stars,
    )


def flight(cabin: CabinClass, fare: str = "100") -> LineItem:
    return LineItem.flight(
        provider="A",
        external_ref="F",
        fare=Money.of(fare, "EUR"),
        passengers=1,
        departs_on=date(2026, 4, 1),
        destination="CDG",
        cabin_class=cabin,
    )


@pytest.mark.parametrize(
    ("key", "value"),
    [
        (PolicyKey.CABIN_CLASS, {"max": "jumbo"}),
        (PolicyKey.CABIN_CLASS, "economy"),
        (PolicyKey.HOTEL_STARS, {"min": 4, "max": 2}),
        (PolicyKey.HOTEL_STARS, {"min": 0}),
        (PolicyKey.HOTEL_STARS, {"stars": 3}),
        (PolicyKey.PER_NIGHT_CAP, {"amount": 1.5, "currency": "EUR"}),
        (PolicyKey.PER_NIGHT_CAP, {"amount": "10", "currency": "EURO"}),
        (PolicyKey.PER_TRIP_CAP, {"amount": "-10", "currency": "EUR"}),
        (PolicyKey.PER_TRIP_CAP, {"amount": "10"}),
        (PolicyKey.ADVANCE_BOOKING, {"min_days": -1}),
        (PolicyKey.ADVANCE_BOOKING, {"min_days": True}),
    ],
)
def test_values_are_validated_on_write(key: PolicyKey, value: Any) -> None:
    with pytest.raises(ValidationFailed):
        rule(key, value)


def test_a_compliant_plan_has_no_findings() -> None:
    rules = [
        rule(PolicyKey.CABIN_CLASS, {"max": "business"}),
        rule(PolicyKey.HOTEL_STARS, {"min": 3, "max": 4}),
        rule(PolicyKey.PER_NIGHT_CAP, {"amount": "150", "currency": "EUR"}),
        rule(PolicyKey.PER_TRIP_CAP, {"amount": "1000", "currency": "EUR"}),
        rule(PolicyKey.ADVANCE_BOOKING, {"min_days": 14}),
    ]
    plan = Plan(starts_on=date(2026, 4, 1), items=(flight(CabinClass.BUSINESS), hotel("150")))
    assert check(rules, plan, TODAY) == ()


@pytest.mark.parametrize(
    ("policy", "items", "starts_on"),
    [
        (rule(PolicyKey.CABIN_CLASS, {"max": "economy"}), (flight(CabinClass.FIRST),), None),
        (rule(PolicyKey.HOTEL_STARS, {"max": 3}), (hotel("90", stars=5),), None),
        (rule(PolicyKey.HOTEL_STARS, {"min": 3}), (hotel("90", stars=2),), None),
        (
            rule(PolicyKey.PER_NIGHT_CAP, {"amount": "150", "currency": "EUR"}),
            (hotel("150.01"),),
            None,
        ),
        (
            rule(PolicyKey.PER_NIGHT_CAP, {"amount": "150", "currency": "USD"}),
            (hotel("10"),),
            None,
        ),
        (
            rule(PolicyKey.PER_TRIP_CAP, {"amount": "300", "currency": "EUR"}),
            (hotel("100"), flight(CabinClass.ECONOMY, "100.01")),
            None,
        ),
        (rule(PolicyKey.ADVANCE_BOOKING, {"min_days": 14}), (), date(2026, 3, 14)),
    ],
)
def test_each_rule_names_itself(
    policy: PolicyRule, items: tuple[LineItem, ...], starts_on: date | None
) -> None:
    plan = Plan(starts_on=starts_on or date(2026, 4, 1), items=items)
    findings = check([policy], plan, TODAY)
    assert [f.rule for f in findings] == [policy.key]
    with pytest.raises(PolicyViolation) as err:
        enforce(findings)
    assert err.value.details["rule"] == policy.key


def test_warnings_are_returned_not_raised() -> None:
    rules = [
        rule(PolicyKey.PER_NIGHT_CAP, {"amount": "100", "currency": "EUR"}, Severity.WARNING),
        rule(PolicyKey.HOTEL_STARS, {"max": 3}, Severity.WARNING),
    ]
    findings = check(rules, Plan(starts_on=date(2026, 4, 1), items=(hotel("120", 4),)), TODAY)
    warnings = enforce(findings)
    assert {w.rule for w in warnings} == {PolicyKey.PER_NIGHT_CAP, PolicyKey.HOTEL_STARS}


def test_a_refusal_wins_over_warnings() -> None:
    rules = [
        rule(PolicyKey.PER_NIGHT_CAP, {"amount": "100", "currency": "EUR"}, Severity.WARNING),
        rule(PolicyKey.ADVANCE_BOOKING, {"min_days": 60}),
    ]
    findings = check(rules, Plan(starts_on=date(2026, 4, 1), items=(hotel("120"),)), TODAY)
    with pytest.raises(PolicyViolation) as err:
        enforce(findings)
    assert err.value.details["rules"] == ["advance_booking"]


# --- agreement with an independent reference implementation ------------------------------

RANKS = {"economy": 0, "premium_economy": 1, "business": 2, "first": 3}


def reference(
    rules: dict[str, Any], starts_on: date, items: list[dict[str, Any]], today: date
) -> set[str]:
    """Plain-dict restatement of the rules: which keys does the plan break?"""
    broken = set()
    if "advance_booking" in rules and (starts_on - today).days < rules["advance_booking"]:
        broken.add("advance_booking")
    if "cabin_class" in rules and any(
        i["cabin"] is not None and RANKS[i["cabin"]] > RANKS[rules["cabin_class"]] for i in items
    ):
        broken.add("cabin_class")
    if "hotel_stars" in rules:
        low, high = rules["hotel_stars"]
        if any(i["stars"] is not None and not low <= i["stars"] <= high for i in items):
            broken.add("hotel_stars")
    if "per_night_cap" in rules and any(
        i["kind"] == "hotel" and i["price"] > rules["per_night_cap"] for i in items
    ):
        broken.add("per_night_cap")
    if "per_trip_cap" in rules and items:
        spent = sum(i["price"] * i["qty"] for i in items)
        if spent > rules["per_trip_cap"]:
            broken.add("per_trip_cap")
    return broken


prices = st.decimals(min_value=0, max_value=500, places=2)
item_specs = st.one_of(
    st.tuples(st.just("hotel"), prices, st.integers(1, 5), st.integers(1, 5)),
    st.tuples(st.just("flight"), prices, st.integers(1, 3), st.sampled_from(list(RANKS))),
)


@settings(max_examples=300)
@given(
    cabin=st.none() | st.sampled_from(list(RANKS)),
    stars=st.none() | st.tuples(st.integers(1, 5), st.integers(1, 5)).map(sorted),
    night_cap=st.none() | prices,
    trip_cap=st.none() | st.decimals(min_value=0, max_value=3000, places=2),
    min_days=st.none() | st.integers(0, 60),
    lead=st.integers(0, 90),
    specs=st.lists(item_specs, max_size=5),
)
def test_check_agrees_with_the_reference(
    cabin: str | None,
    stars: list[int] | None,
    night_cap: Decimal | None,
    trip_cap: Decimal | None,
    min_days: int | None,
    lead: int,
    specs: list[tuple[str, Decimal, int, Any]],
) -> None:
    starts_on = TODAY + timedelta(days=lead)
    rules: list[PolicyRule] = []
    ref_rules: dict[str, Any] = {}
    if cabin is not None:
        rules.append(rule(PolicyKey.CABIN_CLASS, {"max": cabin}))
        ref_rules["cabin_class"] = cabin
    if stars is not None:
        rules.append(rule(PolicyKey.HOTEL_STARS, {"min": stars[0], "max": stars[1]}))
        ref_rules["hotel_stars"] = tuple(stars)
    if night_cap is not None:
        rules.append(rule(PolicyKey.PER_NIGHT_CAP, {"amount": str(night_cap), "currency": "EUR"}))
        ref_rules["per_night_cap"] = night_cap
    if trip_cap is not None:
        rules.append(rule(PolicyKey.PER_TRIP_CAP, {"amount": str(trip_cap), "currency": "EUR"}))
        ref_rules["per_trip_cap"] = trip_cap
    if min_days is not None:
        rules.append(rule(PolicyKey.ADVANCE_BOOKING, {"min_days": min_days}))
        ref_rules["advance_booking"] = min_days
    items: list[LineItem] = []
    ref_items: list[dict[str, Any]] = []
    for kind, price, qty, extra in specs:
        if kind == "hotel":
            items.append(hotel(str(price), stars=extra, nights=qty))
            ref_items.append(
                {"kind": kind, "price": price, "qty": qty, "stars": extra, "cabin": None}
            )
        else:
            item = LineItem.flight(
                provider="A",
                external_ref="F",
                fare=Money.of(price, "EUR"),
                passengers=qty,
                departs_on=starts_on,
                destination="X",
                cabin_class=CabinClass(extra),
            )
            items.append(item)
            ref_items.append(
                {"kind": kind, "price": price, "qty": qty, "stars": None, "cabin": extra}
            )
    plan = Plan(starts_on=starts_on, items=tuple(items))
    found = {str(f.rule) for f in check(rules, plan, TODAY)}
    assert found == reference(ref_rules, starts_on, ref_items, TODAY)
