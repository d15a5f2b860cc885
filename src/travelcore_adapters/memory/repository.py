"""A dict-backed repository base: tenant-scoped rows, copies in and out, optimistic saves."""

from __future__ import annotations

import copy
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from travelcore.kernel import Aggregate, AlreadyExists, NotFound, StaleVersion

if TYPE_CHECKING:
    from travelcore_adapters.memory.uow import MemoryUnitOfWork


class Versioned(Protocol):
    @property
    def id(self) -> Any: ...

    version: int


E = TypeVar("E", bound=Versioned)


class MemoryRepository(Generic[E]):
    """Rows keyed ``(tenant_id, id)`` in one table of the unit of work's transaction."""

    table: str
    entity: str

    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow

    def _key(self, entity_id: Hashable) -> tuple[Hashable, Hashable]:
        return (self._uow.tenant_id, entity_id)

    def _stored(self, entity: E) -> E:
        stored = copy.copy(entity)
        events: object = stored
        if isinstance(events, Aggregate):
            events._pending_events = []
        return stored

    def _rows(self, where: Callable[[E], bool] | None = None) -> list[E]:
        """The tenant's rows matching ``where`` (only those are copied out)."""
        tenant = self._uow.tenant_id

        def match(key: Hashable, row: Any) -> bool:
            return isinstance(key, tuple) and key[0] == tenant and (where is None or where(row))

        return [row for _, row in self._uow.tx.scan(self.table, match)]

    def add(self, entity: E) -> None:
        if self._uow.tx.contains(self.table, self._key(entity.id)):
            raise AlreadyExists(f"{self.entity} {entity.id} exists", entity=self.entity)
        self._check_unique(entity)
        self._uow.tx.put(self.table, self._key(entity.id), self._stored(entity))

    def get(self, entity_id: Any) -> E:
        row: E | None = self._uow.tx.get(self.table, self._key(entity_id))
        if row is None:
            raise NotFound(self.entity, entity_id)
        return row

    def save(self, entity: E) -> None:
        current: E | None = self._uow.tx.get(self.table, self._key(entity.id))
        if current is None:
            raise NotFound(self.entity, entity.id)
        if current.version != entity.version:
            raise StaleVersion(
                f"{self.entity} {entity.id} changed since it was read",
                entity=self.entity,
                expected=entity.version,
                stored=current.version,
            )
        self._check_unique(entity)
        entity.version += 1
        self._uow.tx.put(self.table, self._key(entity.id), self._stored(entity))

    def _check_unique(self, entity: E) -> None:
        """Refuse ``entity`` if it clashes with another row on a unique key."""

    def _clash(self, entity: E, same: Callable[[E], bool], what: str) -> None:
        if self._rows(lambda row: row.id != entity.id and same(row)):
            raise AlreadyExists(
                f"{self.entity} with this {what} exists", entity=self.entity, key=what
            )
