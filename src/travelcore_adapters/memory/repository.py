"""The memory repository base: tenant-scoped rows of one table, copies in and out, the
kernel's version and tenant rules.

A repository depends on a :class:`MemoryScope` (the tenant, the transaction and the record
of what it loaded), not on the whole unit of work.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Hashable
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from travelcore.audit import masked
from travelcore.kernel import (
    Aggregate,
    AlreadyExists,
    NotFound,
    RepositoryScope,
    check_tenant,
    check_version,
    saved,
)
from travelcore_adapters.memory.store import MemoryTransaction


class MemoryScope(RepositoryScope, Protocol):
    """What a memory repository needs of its unit of work."""

    @property
    def tx(self) -> MemoryTransaction: ...


E = TypeVar("E")


class MemoryRepository(Generic[E]):
    """Rows of ``table`` keyed ``(tenant_id, key_of(entity))``.

    Subclasses set ``table`` and ``entity`` (its name in errors and audit entries), and
    override ``key_of`` (default: ``entity.id``), ``tenant_of`` (default:
    ``entity.tenant_id``) and ``_check_unique`` (unique keys besides the primary one) where
    they differ. Every write is reported to the scope's ``changed`` unless ``audited`` is
    false (technical records: idempotency results, sync states).
    """

    table: ClassVar[str]
    entity: ClassVar[str]
    audited: ClassVar[bool] = True
    masked_fields: ClassVar[tuple[str, ...]] = ()
    """Fields of free text that may name a person: the audit log shows them masked."""

    def __init__(self, scope: MemoryScope) -> None:
        self._scope = scope

    def key_of(self, entity: E) -> Hashable:
        key: Hashable = entity.id  # type: ignore[attr-defined]
        return key

    def tenant_of(self, entity: E) -> object:
        return entity.tenant_id  # type: ignore[attr-defined]

    # -- the port --------------------------------------------------------------------------

    def add(self, entity: E) -> None:
        check_tenant(self._scope, self.tenant_of(entity))
        key = self.key_of(entity)
        if self._scope.tx.contains(self.table, self._row_key(key)):
            raise AlreadyExists(f"{self.entity} {key} exists", entity=self.entity)
        self._check_unique(entity)
        self._write(entity)
        self._scope.seen(entity)
        if self.audited:
            self._changed(key, None, entity)

    def get(self, key: Any) -> E:
        found = self._find(key)
        if found is None:
            raise NotFound(self.entity, key)
        return found

    def get_for_update(self, key: Any) -> E:
        """``get`` for a caller about to change the entity. A memory unit of work holds the
        store's lock from begin to end, so no other one can change the entity meanwhile:
        the same outcome as PostgreSQL's row lock."""
        return self.get(key)

    def save(self, entity: E) -> None:
        check_tenant(self._scope, self.tenant_of(entity))
        key = self.key_of(entity)
        stored: Any = self._scope.tx.get(self.table, self._row_key(key))
        check_version(
            self.entity,
            key,
            stored=None if stored is None else stored.version,
            loaded=entity.version,  # type: ignore[attr-defined]
        )
        self._check_stored(stored, entity)
        self._check_unique(entity)
        saved(entity)  # type: ignore[arg-type]
        self._write(entity)
        self._scope.seen(entity)
        if self.audited:
            self._changed(key, stored, entity)

    # -- for subclasses --------------------------------------------------------------------

    def _remove(self, key: Any) -> None:
        stored = self._scope.tx.get(self.table, self._row_key(key))
        if stored is None:
            raise NotFound(self.entity, key)
        self._scope.tx.delete(self.table, self._row_key(key))
        if self.audited:
            self._changed(key, stored, None)

    def _changed(self, key: Any, before: E | None, after: E | None) -> None:
        """Report a write to the audit log (``masked_fields`` masked)."""
        if self.masked_fields:
            before, after = (
                None if e is None else masked(e, *self.masked_fields) for e in (before, after)
            )
        self._scope.changed(self.entity, key, before, after)

    def _check_stored(self, stored: E, entity: E) -> None:
        """Refuse a save that changes what may not change (called after the version
        check)."""

    def _check_unique(self, entity: E) -> None:
        """Refuse ``entity`` if it clashes with another row on a unique key."""

    def _clash(self, entity: E, same: Callable[[E], bool], what: str) -> None:
        key = self.key_of(entity)
        if self._scan(lambda row: self.key_of(row) != key and same(row)):
            raise AlreadyExists(
                f"{self.entity} with this {what} exists", entity=self.entity, key=what
            )

    def _find(self, key: Any) -> E | None:
        """The row stored under ``key`` (a copy, recorded as seen), if any."""
        found: E | None = self._scope.tx.get(self.table, self._row_key(key))
        if found is not None:
            self._scope.seen(found)
        return found

    def _rows(self, where: Callable[[E], bool] | None = None) -> list[E]:
        """The tenant's rows matching ``where`` (copies, recorded as seen)."""
        rows = self._scan(where)
        self._scope.seen(*rows)
        return rows

    def _first(self, where: Callable[[E], bool]) -> E | None:
        return next(iter(self._rows(where)), None)

    def _write(self, entity: E) -> None:
        """Store ``entity`` under its key, whatever is stored (no checks)."""
        self._scope.tx.put(self.table, self._row_key(self.key_of(entity)), _kept(entity))

    def _scan(self, where: Callable[[E], bool] | None) -> list[E]:
        tenant = self._scope.tenant_id

        def match(key: Hashable, row: Any) -> bool:
            return isinstance(key, tuple) and key[0] == tenant and (where is None or where(row))

        return [row for _, row in self._scope.tx.scan(self.table, match)]

    def _row_key(self, key: Hashable) -> tuple[Hashable, Hashable]:
        return (self._scope.tenant_id, key)


def _kept(entity: Any) -> Any:
    """``entity`` as stored: without pending events (they belong to the caller's unit of
    work; the transaction copies it deeply)."""
    if not isinstance(entity, Aggregate):
        return entity
    kept = copy.copy(entity)
    kept._pending_events = []
    return kept
