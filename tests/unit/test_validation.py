"""The boundary checks of ``travelcore.kernel.validation``: what each accepts and refuses."""

from __future__ import annotations

import json
import uuid as uuid_module
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from travelcore.kernel import Money, ValidationFailed
from travelcore.kernel import validation as v


def rule_of(check: v.Check, value: Any) -> str | None:
    """The rule ``check`` refuses ``value`` by (naming the field it was given), or None."""
    refused: ValidationFailed | None = None
    try:
        check(value, "f")
    except ValidationFailed as err:
        refused = err
    if refused is None:
        return None
    assert refused.field == "f"
    return refused.rule


@given(st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=20))
def test_text_accepts_storable_strings(value: str) -> None:
    assert rule_of(v.text(20, strip=False), value) is None


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        (5, "string"),
        (b"bytes", "string"),
        ("a\x00b", "no_nul"),
        ("a\ud800", "utf8"),
        ("   ", "non_empty"),
        ("x" * 11, "max_length_10"),
    ],
)
def test_text_refuses(value: Any, rule: str) -> None:
    assert rule_of(v.text(10), value) == rule


@given(st.integers(min_value=-(2**40), max_value=2**70))
def test_integers_stay_within_the_column(value: int) -> None:
    expected = None if 0 <= value <= v.INT4_MAX else ("non_negative" if value < 0 else None)
    if value > v.INT4_MAX:
        expected = f"max_{v.INT4_MAX}"
    assert rule_of(v.integer(), value) == expected
    assert rule_of(v.integer(-(2**63), v.INT8_MAX), value) == (
        None if value <= v.INT8_MAX else f"max_{v.INT8_MAX}"
    )


@pytest.mark.parametrize("value", [True, 1.0, Decimal(1), "1", None])
def test_integers_are_ints(value: Any) -> None:
    assert rule_of(v.integer(), value) == "integer"


def test_ids_are_uuid_instances_never_strings() -> None:
    value = uuid_module.uuid4()
    assert rule_of(v.uuid, value) is None
    assert rule_of(v.uuid, str(value)) == "uuid"
    assert rule_of(v.uuid, value.int) == "uuid"


def test_days_instants_currencies_and_zones() -> None:
    assert rule_of(v.day, date(2026, 3, 2)) is None
    assert rule_of(v.day, datetime(2026, 3, 2, tzinfo=UTC)) == "date"
    assert rule_of(v.instant, datetime(2026, 3, 2, tzinfo=UTC)) is None
    assert rule_of(v.instant, datetime(2026, 3, 2)) == "timezone_aware"
    assert rule_of(v.instant, date(2026, 3, 2)) == "datetime"
    assert rule_of(v.currency, "EUR") is None
    assert rule_of(v.currency, "EURO") == "iso_4217"
    assert rule_of(v.currency, "eur") == "iso_4217"
    assert rule_of(v.time_zone, "Pacific/Kiritimati") is None
    assert rule_of(v.time_zone, "Mars/Olympus") == "iana_zone"
    assert rule_of(v.time_zone, "../etc/passwd") == "iana_zone"
    assert rule_of(v.boolean, 1) == "boolean"


@pytest.mark.parametrize(
    ("amount", "currency", "rule"),
    [
        ("12.50", "EUR", None),
        ("12.500", "EUR", None),  # the same amount, written with a trailing zero
        ("12.505", "EUR", "minor_unit"),  # never rounded silently
        ("1.5", "JPY", "minor_unit"),
        ("1.234", "KWD", None),
        ("-1", "EUR", "amount_range"),
        ("1E+12", "EUR", "amount_range"),
        ("999999999999.99", "EUR", None),
    ],
)
def test_money_is_exact_to_the_minor_unit(amount: str, currency: str, rule: str | None) -> None:
    assert rule_of(v.money(), Money(Decimal(amount), currency)) == rule
    assert rule_of(v.money(), Decimal(amount)) == "money"


class Colour(StrEnum):
    RED = "red"


def test_enums_lists_mappings_and_optional_values() -> None:
    assert rule_of(v.member(Colour), Colour.RED) is None
    assert rule_of(v.member(Colour), "red") == "one_of"
    many = v.items(v.uuid, min_items=1, max_items=2)
    assert rule_of(many, [uuid_module.uuid4()]) is None
    assert rule_of(many, []) == "between_1_and_2_items"
    assert rule_of(many, "ab") == "list"
    with pytest.raises(ValidationFailed) as err:
        many([uuid_module.uuid4(), "x"], "f")
    assert err.value.field == "f[1]"
    mapping = v.entries(v.text(3), v.integer(), max_items=1)
    assert rule_of(mapping, {"a": 1}) is None
    assert rule_of(mapping, {}) == "between_1_and_1_items"
    assert rule_of(mapping, [("a", 1)]) == "mapping"
    assert rule_of(v.optional(v.uuid), None) is None
    assert rule_of(v.optional(v.uuid), "x") == "uuid"


@attrs.frozen
class Command:
    name: Any
    count: Any


v.validated(Command, name=v.text(5), count=v.integer(1, 3))


def test_declared_checks_run_in_field_order() -> None:
    v.check_command(Command("ok", 2))
    with pytest.raises(ValidationFailed) as err:
        v.check_command(Command("far too long", 0))
    assert (err.value.field, err.value.rule) == ("name", "max_length_5")
    v.check_command(object())  # nothing declared: nothing checked
    v.check_all({"a": 1}, {"a": v.integer()})


json_leaves = st.none() | st.booleans() | st.integers(-(2**63) + 1, 2**63 - 1)
json_leaves |= st.floats(allow_nan=False, allow_infinity=False)
json_leaves |= st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=10)
json_values = st.recursive(
    json_leaves,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.text(st.characters(codec="utf-8", exclude_characters="\x00")), inner, max_size=4
        )
    ),
    max_leaves=12,
)


@given(json_values)
def test_json_values_round_trip_through_json(value: Any) -> None:
    v.json_value(max_depth=20)(value, "f")
    json.dumps(value)


@pytest.mark.parametrize(
    ("value", "field", "rule"),
    [
        (b"", "f", "json_value"),
        ({"max": b""}, "f.max", "json_value"),
        ([float("nan")], "f[0]", "finite"),
        ({"a": "\x00"}, "f.a", "no_nul"),
        ({1: "x"}, "f", "string"),
        ([[[]]], "f[0][0]", "max_depth_2"),
        (list(range(11)), "f", "max_10_items"),
        (2**63, "f", "max_9223372036854775807"),
    ],
)
def test_json_value_refuses(value: Any, field: str, rule: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        v.json_value(max_items=10, max_depth=2)(value, "f")
    assert (refused.value.field, refused.value.rule) == (field, rule)
