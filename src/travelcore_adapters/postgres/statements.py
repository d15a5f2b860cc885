"""Statements built with SQLAlchemy Core once and run by psycopg directly.

The repositories' frequent statements (get, add and save of every table, and the finders
the booking rules call) are prebuilt :class:`Statement` objects: a call costs neither
statement building nor compilation, and the unit of work can send several of them in one
round trip (psycopg's pipeline mode). Parameters are always named ``bindparam`` values.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, Literal

import psycopg
from sqlalchemy import Table, bindparam, literal_column, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg
from sqlalchemy.sql import ClauseElement

DIALECT = PGDialect_psycopg()  # type: ignore[no-untyped-call]

Cursor = psycopg.Cursor[Any]


class Statement:
    """A statement compiled for psycopg: its SQL with ``%(name)s`` placeholders, plus the
    values of the constants it embeds."""

    __slots__ = ("constants", "sql")

    def __init__(self, statement: ClauseElement) -> None:
        compiled = statement.compile(dialect=DIALECT)
        self.sql = compiled.string.encode()
        self.constants = {k: v for k, v in compiled.params.items() if v is not None}

    def params(self, given: Mapping[str, Any]) -> Mapping[str, Any]:
        return {**self.constants, **given} if self.constants else given

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Statement) and other.sql == self.sql

    def __hash__(self) -> int:
        return hash(self.sql)

    def __repr__(self) -> str:
        return f"Statement({self.sql.decode()!r})"


@functools.cache
def get_statement(table: Table, lock: bool = False) -> Statement:
    """``SELECT * FROM table WHERE tenant_id = :tid AND id = :id`` (``FOR NO KEY UPDATE``
    when ``lock``)."""
    query = select(table).where(
        table.c.tenant_id == bindparam("tid"), table.c.id == bindparam("id")
    )
    return Statement(query.with_for_update(key_share=True) if lock else query)


@functools.cache
def insert_statement(
    table: Table, on_conflict: Literal["nothing", "error"] = "nothing"
) -> Statement:
    """An INSERT of every column from parameters named after the columns. On a clash with
    a unique key, ``nothing`` skips the row (it returns one row per row written); ``error``
    fails the statement."""
    values = {column.name: bindparam(column.name, type_=column.type) for column in table.c}
    stmt = insert(table).values(values)
    if on_conflict == "nothing":
        return Statement(stmt.on_conflict_do_nothing().returning(literal_column("1")))
    return Statement(stmt)


@functools.cache
def update_statement(table: Table, columns: tuple[str, ...]) -> Statement:
    """``UPDATE table SET <columns>, version = version + 1 WHERE tenant_id = :tid AND
    id = :id AND version = :expected_version``."""
    c = table.c
    return Statement(
        update(table)
        .where(
            c.tenant_id == bindparam("tid"),
            c.id == bindparam("id"),
            c.version == bindparam("expected_version"),
        )
        .values(
            {name: bindparam(name, type_=c[name].type) for name in columns}
            | {"version": c.version + 1}
        )
    )


@functools.cache
def version_statement(table: Table) -> Statement:
    """The stored version of one row (none if the row does not exist)."""
    c = table.c
    return Statement(
        select(c.version).where(c.tenant_id == bindparam("tid"), c.id == bindparam("id"))
    )
