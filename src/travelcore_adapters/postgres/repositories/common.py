"""Helpers shared by the repositories: tenant ownership, versioned updates, Money columns."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Table, literal, select, update
from sqlalchemy.dialects.postgresql import insert

from travelcore.kernel import AccessDenied, AlreadyExists, Money, NotFound, StaleVersion, TenantId

if TYPE_CHECKING:
    from travelcore_adapters.postgres.uow import PostgresUnitOfWork


class Repository:
    """Base of the repositories that hang off a :class:`PostgresUnitOfWork`."""

    def __init__(self, uow: PostgresUnitOfWork) -> None:
        self._uow = uow

    @property
    def _tid(self) -> TenantId:
        return self._uow.tenant_id


def own(uow: PostgresUnitOfWork, tenant_id: TenantId, entity: str) -> None:
    """Refuse an entity of another tenant before the database's policy has to."""
    if tenant_id != uow.tenant_id:
        raise AccessDenied(f"{entity} belongs to another tenant")


def save_versioned(
    uow: PostgresUnitOfWork,
    table: Table,
    where: list[ColumnElement[bool]],
    version: int,
    values: Mapping[str, Any],
    entity: str,
    key: object,
) -> None:
    """``UPDATE ... SET version = :version WHERE <key> AND version = :version - 1``; no row
    updated means ``NotFound`` (no such row) or ``StaleVersion`` (someone saved first)."""
    where = [table.c.tenant_id == uow.tenant_id, *where]
    result = uow.execute(
        update(table)
        .where(*where, table.c.version == version - 1)
        .values(version=version, **values)
    )
    if result.rowcount == 0:
        if uow.execute(select(literal(1)).select_from(table).where(*where)).first() is None:
            raise NotFound(entity, key)
        raise StaleVersion(f"{entity} {key} changed since it was read", key=str(key))


def money(amount: Decimal | None, currency: str | None) -> Money | None:
    """A Money from its numeric and currency columns (``None`` when unset)."""
    if amount is None or currency is None:
        return None
    return Money(amount, currency)


def amount(value: Money | None) -> Decimal | None:
    return None if value is None else value.amount


def insert_new(
    uow: PostgresUnitOfWork,
    table: Table,
    values: Mapping[str, Any],
    entity: str,
    primary_key_only: bool = False,
) -> None:
    """Insert a row; ``AlreadyExists`` if its primary key (or, unless ``primary_key_only``,
    a unique key) is taken. ``ON CONFLICT DO NOTHING`` keeps the transaction usable after
    the refusal, as with the memory adapter."""
    key = list(table.primary_key.columns) if primary_key_only else None
    stmt = insert(table).values(values).on_conflict_do_nothing(index_elements=key)
    if uow.execute(stmt.returning(literal(1))).first() is None:
        raise AlreadyExists(f"{entity} exists", entity=entity)
