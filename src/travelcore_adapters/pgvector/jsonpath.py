"""Compile a filter AST into one SQL/JSON path predicate for ``metadata @? <jsonpath>``.

Keys are validated identifiers (quoted anyway); values are JSON-escaped jsonpath literals; the
whole path is then sent as a bound parameter, so nothing user-supplied is spliced into SQL.

Semantics match :func:`travelcore.vectors.filters.matches`: every comparison is written as
``exists(@."key" ? (@ == literal))``, which in lax mode looks at each element of a list,
treats a type mismatch (``"7" == 7``, ``true == 1``) as "no match", and never yields SQL/JSON
"unknown", so ``!`` and ``&&``/``||`` behave as plain booleans. Negations require presence.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal

from travelcore.vectors.filters import (
    And,
    Eq,
    Exists,
    Filter,
    Gt,
    Gte,
    In,
    Lt,
    Lte,
    Ne,
    Nin,
    Or,
    Scalar,
    check_key,
)

_COMPARE = {Gt: ">", Gte: ">=", Lt: "<", Lte: "<="}


def literal(value: Scalar) -> str:
    """A jsonpath literal: JSON-escaped string, ``true``/``false``, or a plain decimal."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        raise ValueError("non-finite number in a filter")
    return format(Decimal(repr(value)), "f")


def _accessor(field: str) -> str:
    return f'@."{check_key(field)}"'


def _any(field: str, values: tuple[Scalar, ...]) -> str:
    test = " || ".join(f"@ == {literal(v)}" for v in values)
    return f"exists({_accessor(field)} ? ({test}))"


def predicate(node: Filter) -> str:
    if isinstance(node, And | Or):
        joiner = " && " if isinstance(node, And) else " || "
        return "(" + joiner.join(predicate(item) for item in node.items) + ")"
    field = _accessor(node.field)
    if isinstance(node, Exists):
        return f"exists({field})" if node.present else f"!(exists({field}))"
    if isinstance(node, Eq):
        return _any(node.field, (node.value,))
    if isinstance(node, In):
        return _any(node.field, node.values)
    if isinstance(node, Ne):
        return f"(exists({field}) && !({_any(node.field, (node.value,))}))"
    if isinstance(node, Nin):
        return f"(exists({field}) && !({_any(node.field, node.values)}))"
    op = _COMPARE[type(node)]
    return f'exists({field} ? (@.type() == "number" && @ {op} {literal(node.value)}))'


def compile_filter(node: Filter) -> str:
    """``$ ? (<predicate>)``: matches the whole metadata object when the predicate holds."""
    return f"$ ? ({predicate(node)})"
