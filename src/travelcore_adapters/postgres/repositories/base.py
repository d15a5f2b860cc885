"""A table-backed repository base for versioned entities: explicit row <-> entity mapping,
tenant-scoped queries and optimistic saves.

``add`` is ``INSERT ... ON CONFLICT DO NOTHING``: a duplicate on any unique key (partial
unique indexes included) reports ``AlreadyExists`` without aborting the transaction.
``save`` is ``UPDATE ... SET <the columns that changed>, version = version + 1 WHERE
tenant_id = :tid AND id = :id AND version = :v``; no row updated means ``StaleVersion`` (or
``NotFound``). The columns that changed are those whose value differs from the row this unit
of work read or wrote last (all of them for an entity it did not read).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar, cast

from sqlalchemy import ColumnElement, Select, Table, select

from travelcore.kernel import NotFound, StaleVersion, TenantId, ValidationFailed
from travelcore_adapters.postgres.repositories.common import Repository
from travelcore_adapters.postgres.statements import (
    STALE,
    Expect,
    Statement,
    expect_inserted,
    get_statement,
    insert_statement,
    update_statement,
    version_statement,
)
from travelcore_adapters.postgres.wire import Reply

if TYPE_CHECKING:
    from travelcore_adapters.postgres.uow import PostgresUnitOfWork


class Versioned(Protocol):
    @property
    def id(self) -> Any: ...

    @property
    def tenant_id(self) -> TenantId: ...

    version: int


E = TypeVar("E", bound=Versioned)


class TableRepository(Repository, Generic[E]):
    """Subclasses set ``table`` and ``entity`` and implement ``to_row`` / ``to_entity``."""

    table: ClassVar[Table]
    entity: ClassVar[str]
    lock_on_get: ClassVar[bool] = False
    """``get`` takes a ``FOR NO KEY UPDATE`` row lock (entities that are read to change)."""

    def __init__(self, uow: PostgresUnitOfWork) -> None:
        super().__init__(uow)
        self._stored: dict[Any, Any] = {}  # id -> the row as read (or written) last

    def to_row(self, entity: E) -> dict[str, Any]:
        raise NotImplementedError

    def to_entity(self, row: Any) -> E:
        raise NotImplementedError

    # -- the port --------------------------------------------------------------------------

    def add(self, entity: E) -> None:
        self._check(entity)
        expect = expect_inserted(f"{self.entity} {entity.id} or one of its keys exists")
        row = self.to_row(entity)
        self._uow.write(insert_statement(self.table), row, expect)
        self._stored[entity.id] = row

    def get(self, entity_id: Any) -> E:
        rows = self._uow.rows(
            get_statement(self.table, self.lock_on_get), {"tid": self._tid, "id": entity_id}
        )
        if not rows:
            raise NotFound(self.entity, entity_id)
        return self._entity(rows[0])

    def save(self, entity: E) -> None:
        self._check(entity)
        row = self.to_row(entity)
        expected = entity.version
        stored = _as_mapping(self._stored.get(entity.id))
        if stored is None or stored.get("version") != expected:
            stored = {}  # not the row the version check guards: write every column
        changed = {
            name: value
            for name, value in row.items()
            if name not in KEYS and stored.get(name, UNKNOWN) != value
        }

        def updated(reply: Reply) -> None:
            if reply.rowcount == 0:
                self._stale(entity.id, expected)

        expect = Expect(STALE, f"{self.entity} {entity.id} changed since it was read", updated)
        params = changed | {"tid": self._tid, "id": entity.id, "expected_version": expected}
        self._uow.write(update_statement(self.table, tuple(changed)), params, expect)
        entity.version += 1
        self._stored[entity.id] = row | {"version": entity.version}

    # -- helpers ---------------------------------------------------------------------------

    def _check(self, entity: E) -> None:
        if entity.tenant_id != self._tid:
            raise ValidationFailed("tenant_id", "matches_unit_of_work")

    def _stale(self, entity_id: Any, expected: int) -> None:
        """``NotFound`` or ``StaleVersion`` for a save that updated no row."""
        rows = self._uow.rows(version_statement(self.table), {"tid": self._tid, "id": entity_id})
        if not rows:
            raise NotFound(self.entity, entity_id)
        raise StaleVersion(
            f"{self.entity} {entity_id} changed since it was read",
            entity=self.entity,
            expected=expected,
            stored=rows[0].version,
        )

    def _query(self, statement: Statement, **params: Any) -> list[E]:
        """The entities a prebuilt query returns (``tid`` is added)."""
        return [
            self._entity(row) for row in self._uow.rows(statement, {"tid": self._tid, **params})
        ]

    def _query_first(self, statement: Statement, **params: Any) -> E | None:
        """The first entity a prebuilt query returns, if any."""
        return next(iter(self._query(statement, **params)), None)

    def _select(self, *where: ColumnElement[bool]) -> Select[Any]:
        return select(self.table).where(self.table.c.tenant_id == self._tid, *where)

    def _all(self, query: Select[Any]) -> list[E]:
        return [self._entity(row) for row in self._uow.execute(query)]

    def _first(self, query: Select[Any]) -> E | None:
        row = self._uow.execute(query.limit(1)).first()
        return None if row is None else self._entity(row)

    def _entity(self, row: Any) -> E:
        """The entity of a row read (and the row kept, to find what a save changes)."""
        self._stored[row.id] = row
        return self.to_entity(row)


KEYS = frozenset({"tenant_id", "id", "version"})
UNKNOWN = object()


def _as_mapping(row: Any) -> Mapping[str, Any] | None:
    """A kept row by column name: a dict, a named tuple or a SQLAlchemy row."""
    if row is None or isinstance(row, dict):
        return row
    return cast(Mapping[str, Any], row._asdict())
