"""Compile a filter AST into a SQL condition over a table's declared fields and its JSONB.

A test on a declared field goes to the field's indexed column when the column alone decides
it exactly: equality, ``$in`` and ranges with operands of the declared type. A string field
adds the records holding a list there (``exists`` in JSONB, behind a partial index). Every
other test (negations, ``$exists``, undeclared fields, operands of another type) stays in
JSONB, one ``metadata @? <jsonpath>`` per group of siblings (see ``jsonpath.py``).

A column is NULL where the record holds another type or nothing, and the condition uses no
SQL ``NOT`` (negations are decided in jsonpath, which never yields unknown), so a NULL
behaves as "no match" exactly as in :func:`travelcore.vectors.filters.matches`.
Values are bound parameters (``%(wN)s``); only validated field names reach the SQL text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from travelcore.vectors.filters import (
    And,
    Eq,
    Filter,
    Gt,
    Gte,
    In,
    Lt,
    Lte,
    Or,
    is_number,
)
from travelcore_adapters.pgvector.jsonpath import compile_filter
from travelcore_adapters.pgvector.schema import FieldType, column, list_test

_COMPARE = {Gt: ">", Gte: ">=", Lt: "<", Lte: "<="}
_CASTS = {"number": "double precision", "string": "text", "boolean": "boolean"}


def _of_type(value: object, kind: FieldType) -> bool:
    if kind == "number":
        return is_number(value)
    if kind == "string":
        return isinstance(value, str)
    return isinstance(value, bool)


class _Compiler:
    def __init__(self, fields: Mapping[str, FieldType], *, bound: bool = False) -> None:
        self.fields = fields
        self.bound = bound
        self.prefix = "b" if bound else "w"
        self.params: dict[str, Any] = {}

    def bind(self, value: object, cast: str) -> str:
        name = f"{self.prefix}{len(self.params)}"
        self.params[name] = value
        return f"CAST(%({name})s AS {cast})"

    def jsonpath(self, node: Filter) -> str:
        if self.bound:
            return "TRUE"
        return f"metadata @? {self.bind(compile_filter(node), 'jsonpath')}"

    def on_column(self, node: Filter) -> bool:
        """Whether ``node`` (or a part of it) is decided on a declared column."""
        if isinstance(node, And | Or):
            return any(self.on_column(item) for item in node.items)
        kind = self.fields.get(getattr(node, "field", ""))
        if kind is None:
            return False
        if isinstance(node, Eq):
            return _of_type(node.value, kind)
        if isinstance(node, In):
            return kind != "boolean" and all(_of_type(v, kind) for v in node.values)
        return kind == "number" and isinstance(node, Gt | Gte | Lt | Lte)

    def condition(self, node: Filter) -> str:
        if isinstance(node, And | Or):
            parts = [self.condition(item) for item in node.items if self.on_column(item)]
            rest = [item for item in node.items if not self.on_column(item)]
            if rest:
                grouped = rest[0] if len(rest) == 1 else type(node)(tuple(rest))
                parts.append(self.jsonpath(grouped))
            joiner = " AND " if isinstance(node, And) else " OR "
            return "(" + joiner.join(parts) + ")"
        if not self.on_column(node):
            return self.jsonpath(node)
        assert isinstance(node, Eq | In | Gt | Gte | Lt | Lte)
        kind = self.fields[node.field]
        col, cast = column(node.field), _CASTS[kind]
        if isinstance(node, Gt | Gte | Lt | Lte):
            return f"{col} {_COMPARE[type(node)]} {self.bind(float(node.value), cast)}"
        if isinstance(node, Eq):
            value = float(node.value) if kind == "number" else node.value
            test = f"{col} = {self.bind(value, cast)}"
        else:
            values = [float(v) for v in node.values] if kind == "number" else list(node.values)
            test = f"{col} = ANY({self.bind(values, cast + '[]')})"
        if kind == "string":  # a list holding the value matches too
            test += f" OR ({list_test(node.field)} AND {self.jsonpath(node)})"
            return f"({test})"
        return test


def compile_where(node: Filter, fields: Mapping[str, FieldType]) -> tuple[str, dict[str, Any]]:
    """A SQL condition (psycopg ``%(name)s`` placeholders) and its parameters."""
    compiler = _Compiler(fields)
    if not fields:
        return compiler.jsonpath(node), compiler.params
    return compiler.condition(node), compiler.params


def compile_bound(
    node: Filter, fields: Mapping[str, FieldType]
) -> tuple[str, dict[str, Any]] | None:
    """The column tests alone (JSONB tests read as TRUE): a condition every match meets,
    whose row count the planner estimates from the columns' statistics (``%(bN)s``
    placeholders). None when no test is on a column."""
    compiler = _Compiler(fields, bound=True)
    if not compiler.on_column(node):
        return None
    return compiler.condition(node), compiler.params
