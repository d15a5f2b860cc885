"""Statements built with SQLAlchemy Core once and run by psycopg directly.

The repositories' frequent statements (get, add and save of every table, and the finders
the booking rules call) are prebuilt :class:`Statement` objects: a call costs neither
statement building nor compilation, and the unit of work sends several of them in one
round trip (:mod:`travelcore_adapters.postgres.wire`). Parameters are named
``bindparam`` values; the SQL uses PostgreSQL's own ``$n`` placeholders.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import attrs
from psycopg.rows import RowMaker
from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    bindparam,
    delete,
    func,
    literal_column,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.elements import ColumnClause

from travelcore.kernel import AlreadyExists

if TYPE_CHECKING:
    from travelcore_adapters.postgres.wire import Reply

DIALECT = PGDialect_psycopg()  # type: ignore[no-untyped-call]

ONE: ColumnClause[Any] = literal_column("1")

STALE, DUPLICATE = "TC409", "TC410"
"""SQLSTATEs of writes refused by ``travelcore_require`` (migration 0006): the row changed
since it was read, or the row or one of its unique keys exists."""


PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%")


class Statement:
    """A compiled statement: its SQL with ``$n`` placeholders, the name it is prepared
    under, the parameter names in their order, the values of the constants it embeds
    that are not written into the SQL, and how to make a row (a named tuple of its result
    columns for a query)."""

    __slots__ = ("constants", "make_row", "name", "names", "source", "sql")

    def __init__(self, statement: ClauseElement) -> None:
        self.source = statement
        compiled = statement.compile(dialect=DIALECT)
        values = {k: v for k, v in compiled.params.items() if v is not None}
        names: list[str] = []

        def number(match: re.Match[str]) -> str:
            name = match.group(1)
            if name is None:  # an escaped percent sign
                return "%"
            if name in values and (literal := _literal(values[name])) is not None:
                return literal
            if name not in names:
                names.append(name)
            return f"${names.index(name) + 1}"

        self.sql = PLACEHOLDER.sub(number, compiled.string).encode()
        self.name = b"tc_" + hashlib.blake2b(self.sql, digest_size=10).hexdigest().encode()
        self.names = tuple(names)
        self.constants = {k: v for k, v in values.items() if k in names}
        self.make_row: RowMaker[Any] = tuple
        if isinstance(statement, Select):
            columns = list(statement.selected_columns.keys())
            row: Any = namedtuple("Row", columns, rename=True)  # type: ignore[misc]
            self.make_row = row._make

    def args(self, given: Mapping[str, Any]) -> tuple[Any, ...]:
        """The parameter values in placeholder order."""
        values = {**self.constants, **given} if self.constants else given
        return tuple(map(values.__getitem__, self.names))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Statement) and other.sql == self.sql

    def __hash__(self) -> int:
        return hash(self.sql)

    def __repr__(self) -> str:
        return f"Statement({self.sql.decode()!r})"


def _literal(value: object) -> str | None:
    """A constant as SQL (a whole number, a truth value, a plain word or dotted name),
    else ``None``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and re.fullmatch(r"[\w.]*", value):
        return f"'{value}'"
    return None


@attrs.frozen
class Expect:
    """A write that must change exactly one row. Inside a batch the server refuses it
    otherwise (``sqlstate`` and ``message``, see :func:`checked`), so nothing after it
    runs; outside one, ``check`` inspects the server's reply and may ask more (does the
    row exist at all?)."""

    sqlstate: str
    message: str
    check: Callable[[Reply], None]


def expect_inserted(refusal: str, **details: Any) -> Expect:
    """An ``INSERT ... ON CONFLICT DO NOTHING RETURNING 1`` that must write its row:
    ``AlreadyExists(refusal)`` otherwise."""

    def inserted(reply: Reply) -> None:
        if reply.rowcount == 0:
            raise AlreadyExists(refusal, **details)

    return Expect(DUPLICATE, refusal, inserted)


@functools.cache
def key_columns(table: Table) -> tuple[str, ...]:
    """The primary key's columns after ``tenant_id`` (each one's parameter is named after
    it; ``tenant_id``'s is ``tid``)."""
    return tuple(c.name for c in table.primary_key.columns if c.name != "tenant_id")


def _by_key(table: Table) -> list[ColumnElement[bool]]:
    """``tenant_id = :tid AND <key column> = :<key column> ...``"""
    return [
        table.c.tenant_id == bindparam("tid"),
        *(table.c[name] == bindparam(name) for name in key_columns(table)),
    ]


@functools.cache
def get_statement(table: Table, lock: bool = False) -> Statement:
    """``SELECT * FROM table WHERE tenant_id = :tid AND <key> = :<key>`` (``FOR NO KEY
    UPDATE`` when ``lock``)."""
    query = select(table).where(*_by_key(table))
    return Statement(query.with_for_update(key_share=True) if lock else query)


def insert_values(table: Table) -> Insert:
    """``INSERT INTO table`` of every column, from parameters named after the columns."""
    return insert(table).values({c.name: bindparam(c.name, type_=c.type) for c in table.c})


@functools.cache
def insert_statement(
    table: Table, on_conflict: Literal["nothing", "primary_key", "error"] = "nothing"
) -> Statement:
    """An INSERT of every column from parameters named after the columns. On a clash with
    a unique key, ``nothing`` skips the row (it returns one row per row written);
    ``primary_key`` skips it on a clash with the primary key only (others fail the
    statement); ``error`` fails the statement."""
    stmt = insert_values(table)
    if on_conflict == "nothing":
        return Statement(stmt.on_conflict_do_nothing().returning(ONE))
    if on_conflict == "primary_key":
        key = list(table.primary_key.columns)
        return Statement(stmt.on_conflict_do_nothing(index_elements=key).returning(ONE))
    return Statement(stmt)


MAX_ROWS_PER_INSERT = 16
"""The most rows one :func:`insert_rows_statement` writes (more go in several)."""


@functools.cache
def insert_rows_statement(
    table: Table, rows: int, columns: tuple[str, ...] | None = None
) -> Statement:
    """One INSERT of ``rows`` rows of ``columns`` (default: every column), from parameters
    named ``<column>_<row>`` (see :func:`numbered`)."""
    if not 1 <= rows <= MAX_ROWS_PER_INSERT:
        raise ValueError(f"rows must be between 1 and {MAX_ROWS_PER_INSERT}")
    written = [table.c[name] for name in columns] if columns is not None else list(table.c)
    values = [
        {c.name: bindparam(f"{c.name}_{n}", type_=c.type) for c in written} for n in range(rows)
    ]
    return Statement(insert(table).values(values))


def numbered(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The parameters of :func:`insert_rows_statement` for ``rows`` (one mapping per row)."""
    return {f"{name}_{n}": value for n, row in enumerate(rows) for name, value in row.items()}


def inserts_of_rows(
    table: Table, rows: Sequence[Mapping[str, Any]], columns: tuple[str, ...] | None = None
) -> Iterator[tuple[Statement, dict[str, Any]]]:
    """The INSERTs that write ``rows`` (of ``columns``, default: every column) into
    ``table``, up to :data:`MAX_ROWS_PER_INSERT` in each."""
    for start in range(0, len(rows), MAX_ROWS_PER_INSERT):
        chunk = rows[start : start + MAX_ROWS_PER_INSERT]
        yield insert_rows_statement(table, len(chunk), columns), numbered(chunk)


@functools.cache
def update_statement(table: Table, columns: tuple[str, ...]) -> Statement:
    """``UPDATE table SET <columns>, version = version + 1 WHERE tenant_id = :tid AND
    <key> = :<key> AND version = :expected_version`` (returning one row per row updated)."""
    c = table.c
    return Statement(
        update(table)
        .where(*_by_key(table), c.version == bindparam("expected_version"))
        .values(
            {name: bindparam(name, type_=c[name].type) for name in columns}
            | {"version": c.version + 1}
        )
        .returning(ONE)
    )


@functools.cache
def upsert_statement(table: Table) -> Statement:
    """An INSERT of every column that replaces the row with the same primary key."""
    stmt = insert_values(table)
    keys = {"tenant_id", *key_columns(table)}
    return Statement(
        stmt.on_conflict_do_update(
            index_elements=[table.c[name] for name in sorted(keys)],
            set_={c.name: stmt.excluded[c.name] for c in table.c if c.name not in keys},
        )
    )


@functools.cache
def delete_statement(table: Table) -> Statement:
    """``DELETE FROM table WHERE tenant_id = :tid AND <key> = :<key>`` (returning one row
    per row deleted)."""
    return Statement(delete(table).where(*_by_key(table)).returning(ONE))


@functools.cache
def version_statement(table: Table) -> Statement:
    """The stored version of one row (none if the row does not exist)."""
    return Statement(select(table.c.version).where(*_by_key(table)))


@functools.cache
def checked(statement: Statement, sqlstate: str) -> Statement:
    """``statement`` (a write returning one row per row written) made to fail on the
    server, with ``sqlstate`` and the ``refusal`` parameter as its message, unless it
    writes exactly one row."""
    written = statement.source.cte("written")  # type: ignore[attr-defined]
    require = func.travelcore_require(func.count() == 1, sqlstate, bindparam("refusal"))
    return Statement(select(require).select_from(written))


ADVISORY_LOCK = Statement(
    select(func.pg_advisory_xact_lock(func.hashtextextended(bindparam("lock"), 0)))
)
"""A transaction-scoped lock on the text parameter ``lock`` (held until the end of the
transaction)."""
