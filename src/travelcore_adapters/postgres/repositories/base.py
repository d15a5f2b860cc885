"""A table-backed repository base for versioned entities: explicit row <-> entity mapping,
tenant-scoped queries and optimistic saves.

``add`` is ``INSERT ... ON CONFLICT DO NOTHING``: a duplicate on any unique key (partial
unique indexes included) reports ``AlreadyExists`` without aborting the transaction.
``save`` is ``UPDATE ... SET version = version + 1 WHERE tenant_id = :tid AND id = :id AND
version = :v``; no row updated means ``StaleVersion`` (or ``NotFound``).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar

from sqlalchemy import ColumnElement, Select, Table, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert

from travelcore.kernel import AlreadyExists, NotFound, StaleVersion, TenantId, ValidationFailed
from travelcore_adapters.postgres.repositories.common import Repository

if TYPE_CHECKING:
    pass


class Versioned(Protocol):
    @property
    def id(self) -> Any: ...

    @property
    def tenant_id(self) -> TenantId: ...

    version: int


E = TypeVar("E", bound=Versioned)


@functools.cache
def _get_statement(table: Table, lock: bool) -> Select[Any]:
    """``get``'s query, built once per table (no statement construction per call)."""
    query = select(table).where(
        table.c.tenant_id == bindparam("tid"), table.c.id == bindparam("id")
    )
    return query.with_for_update(key_share=True) if lock else query


class TableRepository(Repository, Generic[E]):
    """Subclasses set ``table`` and ``entity`` and implement ``to_row`` / ``to_entity``."""

    table: ClassVar[Table]
    entity: ClassVar[str]
    lock_on_get: ClassVar[bool] = False
    """``get`` takes a ``FOR NO KEY UPDATE`` row lock (entities that are read to change)."""

    def to_row(self, entity: E) -> dict[str, Any]:
        raise NotImplementedError

    def to_entity(self, row: Any) -> E:
        raise NotImplementedError

    # -- the port --------------------------------------------------------------------------

    def add(self, entity: E) -> None:
        self._check(entity)
        stmt = insert(self.table).values(self.to_row(entity)).on_conflict_do_nothing()
        if self._uow.execute(stmt.returning(self.table.c.id)).first() is None:
            raise AlreadyExists(f"{self.entity} {entity.id} or one of its keys exists")

    def get(self, entity_id: Any) -> E:
        row = self._uow.execute(
            _get_statement(self.table, self.lock_on_get), {"tid": self._tid, "id": entity_id}
        ).one_or_none()
        if row is None:
            raise NotFound(self.entity, entity_id)
        return self.to_entity(row)

    def save(self, entity: E) -> None:
        self._check(entity)
        values = self.to_row(entity)
        for key in ("tenant_id", "id", "version"):
            values.pop(key)
        t = self.table
        result = self._uow.execute(
            update(t)
            .where(t.c.tenant_id == self._tid, t.c.id == entity.id, t.c.version == entity.version)
            .values(version=t.c.version + 1, **values)
        )
        if result.rowcount == 0:
            self._stale(entity)
        entity.version += 1

    # -- helpers ---------------------------------------------------------------------------

    def _check(self, entity: E) -> None:
        if entity.tenant_id != self._tid:
            raise ValidationFailed("tenant_id", "matches_unit_of_work")

    def _stale(self, entity: E) -> None:
        t = self.table
        exists = self._uow.execute(
            select(t.c.version).where(t.c.tenant_id == self._tid, t.c.id == entity.id)
        ).first()
        if exists is None:
            raise NotFound(self.entity, entity.id)
        raise StaleVersion(
            f"{self.entity} {entity.id} changed since it was read",
            entity=self.entity,
            expected=entity.version,
            stored=exists.version,
        )

    def _select(self, *where: ColumnElement[bool]) -> Select[Any]:
        return select(self.table).where(self.table.c.tenant_id == self._tid, *where)

    def _all(self, query: Select[Any]) -> list[E]:
        return [self.to_entity(row) for row in self._uow.execute(query)]

    def _first(self, query: Select[Any]) -> E | None:
        row = self._uow.execute(query.limit(1)).first()
        return None if row is None else self.to_entity(row)
