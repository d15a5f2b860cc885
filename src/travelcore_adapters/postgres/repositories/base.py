"""The PostgreSQL repository base: one table (and its child rows), explicit row <-> entity
mapping, tenant-scoped statements, the kernel's version and tenant rules.

``add`` is ``INSERT ... ON CONFLICT DO NOTHING``: a duplicate on any unique key (partial
unique indexes included) reports ``AlreadyExists`` without aborting the transaction.
``save`` is ``UPDATE ... SET <the columns that changed>, version = version + 1 WHERE
tenant_id = :tid AND <key> AND version = :expected_version``; no row updated means
``StaleVersion`` (or ``NotFound``). The columns that changed are those whose value differs
from the row this unit of work read or wrote last (all of them for an entity it did not
read). A repository depends on a :class:`~.scope.PostgresScope`, not on the unit of work.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Generic, Literal, TypeVar, cast

from sqlalchemy import ColumnElement, Executable, Select, Table, select

from travelcore.audit import masked
from travelcore.kernel import NotFound, TenantId, Versioned, check_tenant, check_version, saved
from travelcore_adapters.postgres.repositories.scope import PostgresScope, Query
from travelcore_adapters.postgres.statements import (
    ADVISORY_LOCK,
    STALE,
    Expect,
    Statement,
    delete_statement,
    expect_inserted,
    get_statement,
    insert_statement,
    key_columns,
    update_statement,
    upsert_statement,
    version_statement,
)
from travelcore_adapters.postgres.wire import Reply

E = TypeVar("E")


class TableRepository(Generic[E]):
    """Subclasses set ``table`` and ``entity`` (its name in errors) and implement
    ``to_row`` / ``to_entity``. The key is the table's primary key after ``tenant_id``.

    Hooks: ``tenant_of`` (default ``entity.tenant_id``), ``_check`` (refusals before any
    write), ``_write_children`` (child rows after the entity's row is written) and
    ``_entities`` (entities of rows read, children included). ``add``, ``save`` and
    ``_remove`` report the entity to the scope's ``changed`` unless ``audited`` is false.
    """

    table: ClassVar[Table]
    entity: ClassVar[str]
    audited: ClassVar[bool] = True
    masked_fields: ClassVar[tuple[str, ...]] = ()
    """Fields of free text that may name a person: the audit log shows them masked."""
    same_named: ClassVar[str] = ""
    """Fields stored as they are in columns of the same name, separated by spaces (like a
    namedtuple's field names): :meth:`_same_named` copies them either way, so ``to_row``
    and ``to_entity`` spell out only the others."""
    insert_conflict: ClassVar[Literal["nothing", "primary_key"]] = "nothing"
    """``add`` reports a clash on any unique key (``nothing``) or on the primary key only
    (``primary_key``) as ``AlreadyExists``; others fail the statement, translated by the
    constraint's registered error."""
    lock_on_get: ClassVar[bool] = False
    """``get`` is :meth:`get_for_update` (entities that are only read to change them).
    Without it ``get`` is a plain read, for entities that hot paths read without changing
    them (a booking reads its venue)."""

    def __init__(self, scope: PostgresScope) -> None:
        self._scope = scope
        self._stored: dict[Any, Any] = {}  # key -> the row as read or written last

    def to_row(self, entity: E) -> dict[str, Any]:
        raise NotImplementedError

    def to_entity(self, row: Any) -> E:
        raise NotImplementedError

    def tenant_of(self, entity: E) -> object:
        return entity.tenant_id  # type: ignore[attr-defined]

    # -- the port --------------------------------------------------------------------------

    def add(self, entity: E) -> None:
        check_tenant(self._scope, self.tenant_of(entity))
        self._check(entity)
        row = self.to_row(entity)
        key = self._key(row)
        expect = expect_inserted(f"{self.entity} {key} or one of its keys exists")
        self._scope.write(insert_statement(self.table, self.insert_conflict), row, expect)
        self._stored[key] = row
        self._write_children(entity, added=True)
        self._scope.seen(entity)
        if self.audited:
            self._changed(key, None, entity)

    def get(self, key: Any) -> E:
        """The entity with ``key`` (a tuple for a key of several columns)."""
        found = self._find(key)
        if found is None:
            raise NotFound(self.entity, key)
        return found

    def get_for_update(self, key: Any) -> E:
        """``get`` for a caller about to change the entity: the row is read ``FOR NO KEY
        UPDATE`` and stays locked until the unit of work ends, so the caller checks it only
        once it holds it and concurrent changes queue. A lookup that finds no row locks the
        key and looks again (see :meth:`_locked_first`), so concurrent create-or-update
        calls of one key queue too."""
        found = self._locked_first(self._locked_query(key), key, locked=True)
        if found is None:
            raise NotFound(self.entity, key)
        return found

    def save(self, entity: E) -> None:
        check_tenant(self._scope, self.tenant_of(entity))
        self._check(entity)
        row = self.to_row(entity)
        key = self._key(row)
        expected: int = row["version"]
        before = self._before(key) if self.audited else None
        stored = _as_mapping(self._stored.get(key))
        if stored is None or stored.get("version") != expected:
            stored = {}  # not the row the version check guards: write every column
        changed = {
            name: value
            for name, value in row.items()
            if name not in self._keys and stored.get(name, UNKNOWN) != value
        }

        def updated(reply: Reply) -> None:
            if reply.rowcount == 0:
                found = self._scope.rows(version_statement(self.table), self._params(key))
                stored = found[0].version if found else None
                check_version(self.entity, key, stored=stored, loaded=expected)

        refusal = f"{self.entity} {key} changed since it was read"
        params = changed | self._params(key) | {"expected_version": expected}
        self._scope.write(
            update_statement(self.table, tuple(changed)), params, Expect(STALE, refusal, updated)
        )
        saved(cast(Versioned, entity))
        self._stored[key] = row | {"version": expected + 1}
        self._write_children(entity, added=False)
        self._scope.seen(entity)
        if self.audited:
            self._changed(key, before, entity)

    # -- for subclasses --------------------------------------------------------------------

    @property
    def _tid(self) -> TenantId:
        return self._scope.tenant_id

    def _same_named(self, source: Any) -> dict[str, Any]:
        """The ``same_named`` values of an entity or a row, by name."""
        return {name: getattr(source, name) for name in self.same_named.split()}

    def _check(self, entity: E) -> None:
        """Refuse ``entity`` before anything is written."""

    def _write_children(self, entity: E, *, added: bool) -> None:
        """Write the child rows of ``entity`` (after its own row was inserted, ``added``,
        or updated)."""

    def _entities(self, rows: Sequence[Any]) -> list[E]:
        """The entities of rows read (kept, to find what a save changes; recorded as seen)."""
        entities = []
        for row in rows:
            self._stored[self._key(row)] = row
            entities.append(self.to_entity(row))
        self._scope.seen(*entities)
        return entities

    def get_query(self, key: Any) -> Query:
        """The query ``get(key)`` sends (what a read-ahead answers it under)."""
        return get_statement(self.table, self.lock_on_get), self._params(key)

    def _locked_query(self, key: Any) -> Query:
        """The query :meth:`get_for_update` sends."""
        return get_statement(self.table, True), self._params(key)

    def _find(self, key: Any) -> E | None:
        return self._locked_first(self.get_query(key), key)

    def _locked_first(self, query: Query, key: Any, *, locked: bool | None = None) -> E | None:
        """The first entity of ``query``. When it locks (``locked``, by default
        ``lock_on_get``) and there is none, a lock on ``key`` is taken and the query sent
        again: a create-or-update of the key waits for a concurrent one to commit, then
        finds its row (as on memory, where one unit of work runs at a time) instead of
        clashing with it on insert."""
        found = self._first_of(query)
        if found is None and (self.lock_on_get if locked is None else locked):
            self._scope.enqueue(ADVISORY_LOCK, {"lock": f"{self.table.name}:{self._tid}:{key}"})
            found = self._first_of(query)
        return found

    def _rows_of(self, query: Query) -> list[E]:
        """The entities of a prebuilt query's rows."""
        return self._entities(self._scope.rows(*query))

    def _first_of(self, query: Query) -> E | None:
        return next(iter(self._rows_of(query)), None)

    def _upsert(self, entity: E) -> None:
        """Insert ``entity``'s row or replace the stored one (for rows without a version)."""
        check_tenant(self._scope, self.tenant_of(entity))
        self._scope.write(upsert_statement(self.table), self.to_row(entity))

    def _delete(self, key: Any) -> None:
        """Delete the row with ``key``, if there is one."""
        self._scope.write(delete_statement(self.table), self._params(key))

    def _remove(self, key: Any) -> None:
        """Delete the row with ``key`` at once; ``NotFound`` if there is none."""
        before = self._before(key) if self.audited else None
        statement = cast(Executable, delete_statement(self.table).source)
        deleted = self._scope.execute(statement, self._params(key))
        if deleted.rowcount == 0:
            raise NotFound(self.entity, key)
        if self.audited:
            self._changed(key, before, None)

    def _changed(self, key: Any, before: E | None, after: E | None) -> None:
        """Report a write to the audit log (``masked_fields`` masked)."""
        if self.masked_fields:
            before, after = (
                None if e is None else masked(e, *self.masked_fields) for e in (before, after)
            )
        self._scope.changed(self.entity, key, before, after)

    def _before(self, key: Any) -> E | None:
        """The stored entity with ``key`` before a write: rebuilt from the row this unit
        of work read (read now if it read none); ``None`` if there is no row or this unit
        of work wrote it already (its change then starts earlier)."""
        known = self._stored.get(key)
        if isinstance(known, dict):
            return None
        if known is not None:
            return self.to_entity(known)
        return self._find(key)

    def _query(self, statement: Statement, **params: Any) -> Query:
        """A prebuilt query of this tenant (``tid`` is added)."""
        return statement, {"tid": self._tid, **params}

    def _select(self, *where: ColumnElement[bool]) -> Select[Any]:
        return select(self.table).where(self.table.c.tenant_id == self._tid, *where)

    def _all(self, query: Select[Any]) -> list[E]:
        return self._entities(self._scope.execute(query).all())

    def _first(self, query: Select[Any]) -> E | None:
        return next(iter(self._all(query.limit(1))), None)

    # -- internals -------------------------------------------------------------------------

    @property
    def _keys(self) -> frozenset[str]:
        return _unchanging(self.table)

    def _key(self, row: Any) -> Any:
        """The key of a row: its one key column's value, or a tuple of several."""
        names = key_columns(self.table)
        get = row.__getitem__ if isinstance(row, dict) else row.__getattribute__
        return get(names[0]) if len(names) == 1 else tuple(map(get, names))

    def _params(self, key: Any) -> dict[str, Any]:
        names = key_columns(self.table)
        values = (key,) if len(names) == 1 else key
        return {"tid": self._tid, **dict(zip(names, values, strict=True))}


UNKNOWN = object()


@functools.cache
def _unchanging(table: Table) -> frozenset[str]:
    """The columns a save never sets: the tenant, the key and the version."""
    return frozenset({"tenant_id", "version", *key_columns(table)})


def _as_mapping(row: Any) -> Mapping[str, Any] | None:
    """A row by column name: a dict, a named tuple or a SQLAlchemy row."""
    if row is None or isinstance(row, dict):
        return row
    return cast(Mapping[str, Any], row._asdict())
