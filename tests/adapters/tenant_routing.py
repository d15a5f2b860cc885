"""Does a statement route to one Citus shard? Every distributed table it reads or writes
must have its ``tenant_id`` pinned: equal (through ANDed equalities, join conditions and
outer queries included) to a parameter, or given as a column of the rows it inserts.
Statements are parsed by PostgreSQL's own parser (pglast)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pglast import ast, parse_sql
from pglast.enums import BoolExprType

from travelcore_adapters.postgres.tables.base import metadata

TENANT = "tenant_id"
DISTRIBUTED = frozenset(t.name for t in metadata.tables.values() if TENANT in t.c)
PARAM = "$"
PYFORMAT = re.compile(r"%\(\w+\)s|%s")


def unrouted(sql: str) -> list[str]:
    """The distributed tables that ``sql`` touches without pinning their tenant (psycopg's
    ``%(name)s`` placeholders are read as parameters)."""
    found: list[str] = []
    for raw in parse_sql(PYFORMAT.sub("$1", sql).replace("%%", "%")):
        _statement(raw.stmt, frozenset(), found)
    return found


def _statement(node: Any, outer: frozenset[str], found: list[str]) -> None:
    """Check one query level (and, recursively, the queries inside it); ``outer`` holds
    the pinned names of the levels around it."""
    if isinstance(node, ast.SelectStmt) and node.op != 0:  # UNION and the like
        for side in (node.larg, node.rarg):
            _statement(side, outer, found)
        return
    relations: dict[str, str] = {}  # name in the query -> table
    quals: list[Any] = []
    if isinstance(node, ast.InsertStmt):
        table = node.relation.relname
        if table in DISTRIBUTED and TENANT not in [c.name for c in node.cols or ()]:
            found.append(table)
    else:
        relation = getattr(node, "relation", None)
        if relation is not None:
            _relation(relation, relations, quals)
        for item in (getattr(node, "fromClause", None) or ()) + (
            getattr(node, "usingClause", None) or ()
        ):
            _relation(item, relations, quals)
        if getattr(node, "whereClause", None) is not None:
            quals.append(node.whereClause)
    pinned = _pinned(relations, quals, outer)
    found.extend(
        table for name, table in relations.items() if table in DISTRIBUTED and name not in pinned
    )
    for cte in node.withClause.ctes if getattr(node, "withClause", None) else ():
        _statement(cte.ctequery, outer, found)
    for inner in _inner_statements(node):
        _statement(inner, outer | pinned, found)


def _relation(item: Any, relations: dict[str, str], quals: list[Any]) -> None:
    if isinstance(item, ast.RangeVar):
        relations[item.alias.aliasname if item.alias else item.relname] = item.relname
    elif isinstance(item, ast.JoinExpr):
        _relation(item.larg, relations, quals)
        _relation(item.rarg, relations, quals)
        if item.quals is not None:
            quals.append(item.quals)


def _pinned(relations: dict[str, str], quals: list[Any], outer: frozenset[str]) -> set[str]:
    """The names whose tenant is tied to a parameter or to a pinned outer name."""
    links: list[tuple[str, str]] = []
    for qual in quals:
        for term in _conjuncts(qual):
            if isinstance(term, ast.A_Expr) and [n.sval for n in term.name] == ["="]:
                left, right = _side(term.lexpr, relations), _side(term.rexpr, relations)
                if left and right:
                    links.append((left, right))
    pinned = {PARAM, *outer}
    while True:
        more = {b for a, b in links if a in pinned} | {a for a, b in links if b in pinned}
        if more <= pinned:
            return pinned
        pinned |= more


def _conjuncts(qual: Any) -> Iterator[Any]:
    if isinstance(qual, ast.BoolExpr) and qual.boolop == BoolExprType.AND_EXPR:
        for arg in qual.args:
            yield from _conjuncts(arg)
    else:
        yield qual


def _side(expr: Any, relations: dict[str, str]) -> str | None:
    """A parameter, or the query name whose ``tenant_id`` column ``expr`` is."""
    while isinstance(expr, ast.TypeCast):
        expr = expr.arg
    if isinstance(expr, ast.ParamRef):
        return PARAM
    if isinstance(expr, ast.ColumnRef):
        fields = [getattr(f, "sval", None) for f in expr.fields]
        if fields[-1] != TENANT:
            return None
        if len(fields) > 1:
            return fields[-2]
        if len(relations) == 1:
            return next(iter(relations))
    return None


def _inner_statements(node: Any) -> Iterator[Any]:
    """The query levels directly inside ``node`` (sub-selects, lateral and FROM
    sub-queries, the rows of an INSERT ... SELECT), CTEs excepted."""
    for name in node:
        if name == "withClause":
            continue
        yield from _find(getattr(node, name))


def _find(value: Any) -> Iterator[Any]:
    if isinstance(value, tuple | list):
        for item in value:
            yield from _find(item)
    elif isinstance(value, ast.SelectStmt | ast.InsertStmt | ast.UpdateStmt | ast.DeleteStmt):
        yield value
    elif isinstance(value, ast.Node):
        for name in value:
            yield from _find(getattr(value, name))
