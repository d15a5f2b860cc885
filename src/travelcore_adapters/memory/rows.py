"""A tenant-scoped, versioned table over the memory transaction, shared by the repositories."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, cast

from travelcore.kernel import AccessDenied, AlreadyExists, NotFound, StaleVersion

if TYPE_CHECKING:
    from travelcore_adapters.memory.uow import MemoryUnitOfWork


class Versioned(Protocol):
    @property
    def version(self) -> int: ...


T = TypeVar("T")


class Rows(Generic[T]):
    """Rows of ``table`` owned by the unit of work's tenant, keyed by ``(tenant_id, key)``."""

    def __init__(self, uow: MemoryUnitOfWork, table: str, entity: str) -> None:
        self._uow = uow
        self._table = table
        self._entity = entity

    def _row(self, key: Hashable) -> tuple[Hashable, Hashable]:
        return (self._uow.tenant_id, key)

    def _own(self, value: Any) -> None:
        if getattr(value, "tenant_id", self._uow.tenant_id) != self._uow.tenant_id:
            raise AccessDenied(f"{self._entity} belongs to another tenant")

    def add(self, key: Hashable, value: T) -> None:
        self._own(value)
        if self._uow.tx.contains(self._table, self._row(key)):
            raise AlreadyExists(f"{self._entity} {key} exists", entity=self._entity)
        self._uow.tx.put(self._table, self._row(key), value)

    def find(self, key: Hashable) -> T | None:
        value: T | None = self._uow.tx.get(self._table, self._row(key))
        return value

    def get(self, key: Hashable) -> T:
        value = self.find(key)
        if value is None:
            raise NotFound(self._entity, key)
        return value

    def save(self, key: Hashable, value: T) -> None:
        """Replace a row whose stored version is exactly one below ``value.version``."""
        self._own(value)
        stored = self.get(key)
        if cast(Versioned, stored).version != cast(Versioned, value).version - 1:
            raise StaleVersion(f"{self._entity} {key} changed since it was read", key=str(key))
        self._uow.tx.put(self._table, self._row(key), value)

    def put(self, key: Hashable, value: T) -> None:
        self._own(value)
        self._uow.tx.put(self._table, self._row(key), value)

    def remove(self, key: Hashable) -> None:
        self.get(key)
        self._uow.tx.delete(self._table, self._row(key))

    def all(self, where: Callable[[T], bool] | None = None) -> list[T]:
        tenant = self._uow.tenant_id
        return [
            value
            for row, value in self._uow.tx.scan(self._table)
            if isinstance(row, tuple) and row[0] == tenant and (where is None or where(value))
        ]
