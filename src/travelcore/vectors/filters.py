"""The metadata filter language (Pinecone's), parsed into a validated, frozen AST.

Every adapter receives a :data:`Filter` (never a raw dict), so a filter is refused the same
way everywhere before any back end sees it. Semantics (see ``docs/vectors.md``):

- equality is type-strict, numbers compare numerically (``5 == 5.0``, ``"7" != 7``,
  ``True != 1``); on a list field it means "any element equals";
- ``$ne`` / ``$nin`` need the field to be present (and no element may match);
- ``$gt`` ... ``$lte`` compare numbers only and never match strings, booleans or lists;
- a missing field never matches, except ``$exists: false``.

Limits, checked while parsing (so every store gets them, and no filter recurses deeper
than :data:`MAX_DEPTH`): at most :data:`MAX_SET_VALUES` values per ``$in``/``$nin``,
:data:`MAX_DEPTH` levels of ``$and``/``$or``, :data:`MAX_SIZE` conditions and set values
in all, string operands of at most :data:`MAX_STRING_LENGTH` characters without NUL.

``matches`` is the reference evaluator; ``to_pinecone`` renders the filter for Pinecone.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import attrs

from travelcore.kernel.errors import InvalidFilter

KEY_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
MAX_SAFE_INT = 2**53
"""Integers beyond this lose precision in Pinecone (64-bit floats) and are refused."""
MAX_SET_VALUES = 1_000
MAX_DEPTH = 10
MAX_SIZE = 10_000
MAX_STRING_LENGTH = 1_000

Scalar = str | int | float | bool
SetValue = str | int | float
Metadata = Mapping[str, Any]


@attrs.frozen
class Eq:
    field: str
    value: Scalar


@attrs.frozen
class Ne:
    field: str
    value: Scalar


@attrs.frozen
class Gt:
    field: str
    value: int | float


@attrs.frozen
class Gte:
    field: str
    value: int | float


@attrs.frozen
class Lt:
    field: str
    value: int | float


@attrs.frozen
class Lte:
    field: str
    value: int | float


@attrs.frozen
class In:
    field: str
    values: tuple[SetValue, ...]


@attrs.frozen
class Nin:
    field: str
    values: tuple[SetValue, ...]


@attrs.frozen
class Exists:
    field: str
    present: bool


@attrs.frozen
class And:
    items: tuple[Filter, ...]


@attrs.frozen
class Or:
    items: tuple[Filter, ...]


Comparison = Gt | Gte | Lt | Lte
Filter = Eq | Ne | Gt | Gte | Lt | Lte | In | Nin | Exists | And | Or

_COMPARISONS: dict[str, type[Comparison]] = {"$gt": Gt, "$gte": Gte, "$lt": Lt, "$lte": Lte}
_OPERATORS = {"$eq", "$ne", "$in", "$nin", "$exists", *_COMPARISONS}


def _fail(field: str, rule: str, message: str) -> InvalidFilter:
    return InvalidFilter(field, rule, f"filter {field!r}: {message}")


def is_number(value: object) -> bool:
    """An int or float that is not a bool."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_key(key: object, where: str = "filter") -> str:
    if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
        raise InvalidFilter(
            key if isinstance(key, str) and key else where,
            "key_pattern",
            f"{where} key {key!r} must match [A-Za-z_][A-Za-z0-9_]*",
        )
    return key


def check_number(value: object, field: str, op: str) -> int | float:
    if not is_number(value):
        raise _fail(field, "number_operand", f"{op} needs a number, got {value!r}")
    assert isinstance(value, int | float)
    if isinstance(value, float) and not math.isfinite(value):
        raise _fail(field, "finite_number", f"{op} needs a finite number")
    if isinstance(value, int) and abs(value) > MAX_SAFE_INT:
        raise _fail(field, "safe_integer", f"{op}: integers must be within +/-2**53")
    return value


def _scalar(value: object, field: str, op: str) -> Scalar:
    if value is None:
        raise _fail(field, "not_null", f"{op} does not accept null")
    if isinstance(value, str):
        return _string(value, field, op)
    if isinstance(value, bool):
        return value
    if is_number(value):
        return check_number(value, field, op)
    raise _fail(field, "scalar_operand", f"{op} needs a string, number or boolean")


def _string(value: str, field: str, op: str) -> str:
    if len(value) > MAX_STRING_LENGTH:
        raise _fail(field, "max_string_length", f"{op}: strings of at most 1,000 characters")
    if "\x00" in value or not _encodable(value):
        raise _fail(field, "storable_string", f"{op}: strings without NUL, in valid Unicode")
    return value


def _encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class _Budget:
    """Counts conditions and set values while a filter is parsed."""

    def __init__(self) -> None:
        self.used = 0

    def spend(self, amount: int, where: str) -> None:
        self.used += amount
        if self.used > MAX_SIZE:
            raise _fail(where, "max_size", "a filter holds at most 10,000 conditions and values")


def _set(value: object, field: str, op: str) -> tuple[SetValue, ...]:
    if value is None:
        raise _fail(field, "not_null", f"{op} does not accept null")
    if not isinstance(value, list | tuple):
        raise _fail(field, "list_operand", f"{op} needs a list")
    if not value:
        raise _fail(field, "non_empty", f"{op} needs a non-empty list")
    if len(value) > MAX_SET_VALUES:
        raise _fail(field, "max_values", f"{op} takes at most 1,000 values")
    items: list[SetValue] = []
    for item in value:
        if isinstance(item, str):
            items.append(_string(item, field, op))
        elif is_number(item):
            items.append(check_number(item, field, op))
        elif item is None:
            raise _fail(field, "not_null", f"{op} does not accept null elements")
        else:
            raise _fail(field, "set_operand", f"{op} elements must be strings or numbers")
    return tuple(items)


def _condition(field: str, op: str, operand: object) -> Filter:
    if op not in _OPERATORS:
        raise _fail(field, "unknown_operator", f"unknown operator {op!r}")
    if op == "$eq":
        return Eq(field, _scalar(operand, field, op))
    if op == "$ne":
        return Ne(field, _scalar(operand, field, op))
    if op == "$in":
        return In(field, _set(operand, field, op))
    if op == "$nin":
        return Nin(field, _set(operand, field, op))
    if op == "$exists":
        if not isinstance(operand, bool):
            raise _fail(field, "bool_operand", "$exists needs true or false")
        return Exists(field, operand)
    if operand is None:
        raise _fail(field, "not_null", f"{op} does not accept null")
    return _COMPARISONS[op](field, check_number(operand, field, op))


def _field(field: str, condition: object, budget: _Budget) -> list[Filter]:
    check_key(field)
    if isinstance(condition, Mapping):
        if not condition:
            raise _fail(field, "non_empty", "a condition needs at least one operator")
        conditions = []
        for op, operand in condition.items():
            if not isinstance(op, str) or not op.startswith("$"):
                raise _fail(field, "nested_object", "nested objects are not allowed")
            is_set = op in ("$in", "$nin") and isinstance(operand, list | tuple)
            budget.spend(len(operand) if is_set else 1, field)
            conditions.append(_condition(field, op, operand))
        return conditions
    if isinstance(condition, list | tuple):
        raise _fail(field, "scalar_operand", "a bare value must be a string, number or boolean")
    budget.spend(1, field)
    return [Eq(field, _scalar(condition, field, "$eq"))]


def _combine(op: str, items: object, depth: int, budget: _Budget) -> Filter:
    if depth > MAX_DEPTH:
        raise _fail(op, "max_depth", "$and/$or nest at most 10 levels deep")
    if not isinstance(items, list | tuple) or not items:
        raise _fail(op, "non_empty", f"{op} needs a non-empty list of filters")
    budget.spend(len(items), op)
    parsed = []
    for item in items:
        if not isinstance(item, Mapping) or not item:
            raise _fail(op, "filter_object", f"every item of {op} must be a non-empty filter")
        parsed.append(_object(item, depth, budget))
    return And(tuple(parsed)) if op == "$and" else Or(tuple(parsed))


def _object(raw: Mapping[Any, Any], depth: int, budget: _Budget) -> Filter:
    parts: list[Filter] = []
    budget.spend(len(raw), "filter")
    for key, value in raw.items():
        if key in ("$and", "$or"):
            parts.append(_combine(key, value, depth + 1, budget))
        elif isinstance(key, str) and key.startswith("$"):
            raise _fail(key, "unknown_operator", f"unknown top-level operator {key!r}")
        else:
            parts.extend(_field(key, value, budget))
    return parts[0] if len(parts) == 1 else And(tuple(parts))


def _check_tree(node: Filter) -> Filter:
    """The limits of a filter given as a tree rather than parsed (walked without recursion)."""
    size, stack = 0, [(node, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, And | Or):
            if depth >= MAX_DEPTH:
                raise _fail("$and", "max_depth", "$and/$or nest at most 10 levels deep")
            stack.extend((child, depth + 1) for child in item.items)
            size += len(item.items)
        elif isinstance(item, In | Nin):
            if len(item.values) > MAX_SET_VALUES:
                raise _fail(item.field, "max_values", "$in/$nin take at most 1,000 values")
            size += len(item.values)
        else:
            size += 1
        if size > MAX_SIZE:
            raise _fail("filter", "max_size", "a filter holds at most 10,000 conditions and values")
    return node


def parse_filter(raw: Mapping[str, Any] | Filter | None) -> Filter | None:
    """Validate a filter dict; ``None`` (or ``{}``) means "match everything"."""
    if raw is None:
        return None
    if isinstance(raw, Eq | Ne | Gt | Gte | Lt | Lte | In | Nin | Exists | And | Or):
        return _check_tree(raw)
    if not isinstance(raw, Mapping):
        raise InvalidFilter("filter", "filter_object", "a filter must be an object")
    if not raw:
        return None
    return _object(raw, 0, _Budget())


def parse_delete_filter(raw: Mapping[str, Any] | Filter | None) -> Filter:
    """Like :func:`parse_filter`, but the empty filter is refused (it would delete all)."""
    parsed = parse_filter(raw)
    if parsed is None:
        raise InvalidFilter("filter", "non_empty", "delete by filter needs a non-empty filter")
    return parsed


# ---- evaluation --------------------------------------------------------------------------


def _equal(stored: object, operand: Scalar) -> bool:
    if isinstance(operand, bool) or isinstance(stored, bool):
        return isinstance(stored, bool) and isinstance(operand, bool) and stored is operand
    if isinstance(operand, str):
        return isinstance(stored, str) and stored == operand
    return is_number(stored) and float(stored) == float(operand)  # type: ignore[arg-type]


def _any_equal(stored: object, operands: tuple[Scalar, ...]) -> bool:
    elements = stored if isinstance(stored, list | tuple) else (stored,)
    return any(_equal(element, operand) for element in elements for operand in operands)


def _compare(node: Comparison, stored: object) -> bool:
    if not is_number(stored):
        return False
    value = float(stored)  # type: ignore[arg-type]
    if isinstance(node, Gt):
        return value > node.value
    if isinstance(node, Gte):
        return value >= node.value
    if isinstance(node, Lt):
        return value < node.value
    return value <= node.value


def matches(node: Filter | None, metadata: Metadata | None) -> bool:
    """The reference semantics: does a record with ``metadata`` match ``node``?"""
    if node is None:
        return True
    data: Metadata = metadata or {}
    if isinstance(node, And):
        return all(matches(item, data) for item in node.items)
    if isinstance(node, Or):
        return any(matches(item, data) for item in node.items)
    if isinstance(node, Exists):
        return (node.field in data) is node.present
    if node.field not in data:
        return False
    stored = data[node.field]
    if isinstance(node, Eq):
        return _any_equal(stored, (node.value,))
    if isinstance(node, Ne):
        return not _any_equal(stored, (node.value,))
    if isinstance(node, In):
        return _any_equal(stored, node.values)
    if isinstance(node, Nin):
        return not _any_equal(stored, node.values)
    return _compare(node, stored)


# ---- rendering ---------------------------------------------------------------------------

_OPS_BY_TYPE: dict[type, str] = {
    Eq: "$eq",
    Ne: "$ne",
    Gt: "$gt",
    Gte: "$gte",
    Lt: "$lt",
    Lte: "$lte",
    In: "$in",
    Nin: "$nin",
}


def to_pinecone(node: Filter | None, *, guard_negations: bool = True) -> dict[str, Any]:
    """Pinecone's filter dict. ``guard_negations`` adds ``$exists: true`` to ``$ne``/``$nin``
    (same meaning on Pinecone; needed by servers that let missing fields match)."""
    if node is None:
        return {}
    if isinstance(node, And | Or):
        key = "$and" if isinstance(node, And) else "$or"
        return {key: [to_pinecone(item, guard_negations=guard_negations) for item in node.items]}
    if isinstance(node, Exists):
        return {node.field: {"$exists": node.present}}
    op = _OPS_BY_TYPE[type(node)]
    operand: Any = list(node.values) if isinstance(node, In | Nin) else node.value
    if isinstance(node, Ne | Nin) and guard_negations:
        return {node.field: {"$exists": True, op: operand}}
    return {node.field: {op: operand}}
