"""The shared ``MetaData`` (with a naming convention, so constraint names are stable and
can be mapped to domain errors) and the helper that declares tenant-owned tables."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, MetaData, Table
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.sql.schema import SchemaItem

metadata = MetaData(
    naming_convention={
        "pk": "pk_%(table_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    }
)


def tenant_table(name: str, *items: SchemaItem, **kwargs: Any) -> Table:
    """A tenant-owned table: ``tenant_id`` comes first and must lead the primary key and be
    part of every unique and foreign key (the Citus layout); row-level security applies."""
    return Table(
        name,
        metadata,
        Column("tenant_id", UUID(as_uuid=True), nullable=False),
        *items,
        info={"tenant_owned": True},
        **kwargs,
    )


def one_of(column: str, values: list[str]) -> str:
    """A CHECK expression: ``column`` is one of ``values``."""
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def tenant_tables() -> list[Table]:
    return [t for t in metadata.sorted_tables if t.info.get("tenant_owned")]
