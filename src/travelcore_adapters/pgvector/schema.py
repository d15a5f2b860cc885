"""The pgvector table: its DDL, declared metadata fields, staging table and indexes.

A table may declare typed metadata fields (``"number"``, ``"string"``, ``"boolean"``). Each
becomes a stored generated column read from ``metadata`` (NULL when the record holds another
type, a list or nothing) with a B-tree index of its own, so equality and range tests on it
are served by the index, and tests on two fields by a ``BitmapAnd`` of both. (Not an index
on ``(namespace, column)``: the planner never ANDs index scans whose conditions overlap. The
namespace is checked on the rows, or through the primary key where it is the selective part.)
``metadata`` stays the whole record and every other test still goes through JSONB. A string
field also gets a partial index over the records that hold a list there (usually none),
which keeps list matches exact and cheap to rule out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from travelcore.kernel.errors import AccessDenied, ValidationFailed
from travelcore.vectors.filters import KEY_PATTERN
from travelcore_adapters.pgvector.errors import translate

FieldType = Literal["number", "string", "boolean"]
Fields = Mapping[str, FieldType]

_TABLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,40}")
_MAX_FIELD = 19
_SQL_TYPES: dict[str, str] = {
    "number": "double precision",
    "string": "text",
    "boolean": "boolean",
}
_JSON_TYPES = {"number": "number", "string": "string", "boolean": "boolean"}


def check_table_name(name: str) -> str:
    if not isinstance(name, str) or not _TABLE_NAME.fullmatch(name):
        raise ValidationFailed("table", "identifier", "table names match [a-z_][a-z0-9_]{0,40}")
    return name


def check_fields(fields: Fields | None) -> dict[str, FieldType]:
    """Declared fields: keys of the metadata key pattern (at most 19 characters) mapped to
    ``"number"``, ``"string"`` or ``"boolean"``."""
    checked: dict[str, FieldType] = {}
    for key, kind in (fields or {}).items():
        if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key) or len(key) > _MAX_FIELD:
            raise ValidationFailed(
                "fields", "key_pattern", f"declared field {key!r}: [A-Za-z_][A-Za-z0-9_]{{0,18}}"
            )
        if kind not in _SQL_TYPES:
            raise ValidationFailed(
                f"fields.{key}", "field_type", "declared types are number, string and boolean"
            )
        checked[key] = kind
    return checked


def column(key: str) -> str:
    """The quoted column holding a declared field (keys are validated identifiers)."""
    return f'"f_{key}"'


def staging_table(table: str) -> str:
    return f"{table}_load"


def _generated(key: str, kind: FieldType) -> str:
    value = f"(metadata ->> '{key}')" if kind == "string" else f"(metadata -> '{key}')"
    cast = value if kind == "string" else f"CAST({value} AS {_SQL_TYPES[kind]})"
    return (
        f"{column(key)} {_SQL_TYPES[kind]} GENERATED ALWAYS AS (CASE WHEN"
        f" jsonb_typeof(metadata -> '{key}') = '{_JSON_TYPES[kind]}' THEN {cast} END) STORED"
    )


def list_test(key: str) -> str:
    """True where the record holds a list under ``key`` (the partial index's predicate)."""
    return f"jsonb_typeof(metadata -> '{key}') = 'array'"


def schema_statements(
    name: str, dimension: int, fields: Mapping[str, FieldType], *, defer_index: bool
) -> list[str]:
    columns = "".join(f", {_generated(key, kind)}" for key, kind in fields.items())
    statements = [
        f"CREATE TABLE IF NOT EXISTS {name} ("
        " namespace text NOT NULL,"
        " id text NOT NULL,"
        f" embedding vector({dimension}) NOT NULL,"
        f" metadata jsonb NOT NULL DEFAULT '{{}}'{columns},"
        " PRIMARY KEY (namespace, id))",
        f"CREATE UNLOGGED TABLE IF NOT EXISTS {staging_table(name)} ("
        " namespace text NOT NULL,"
        " id text NOT NULL,"
        f" embedding vector({dimension}) NOT NULL,"
        " metadata jsonb NOT NULL)",
        f"CREATE INDEX IF NOT EXISTS {name}_metadata_gin ON {name}"
        " USING gin (metadata jsonb_path_ops)",
    ]
    for key, kind in fields.items():
        statements.append(f'CREATE INDEX IF NOT EXISTS "{name}_f_{key}" ON {name} ({column(key)})')
        if kind == "string":
            statements.append(
                f'CREATE INDEX IF NOT EXISTS "{name}_l_{key}" ON {name} (namespace)'
                f" WHERE {list_test(key)}"
            )
    if not defer_index:
        statements.append(vector_index_statement(name))
    return statements


def vector_index_statement(name: str) -> str:
    return (
        f"CREATE INDEX IF NOT EXISTS {name}_embedding_hnsw ON {name}"
        " USING hnsw (embedding vector_cosine_ops)"
    )


def _ensure_extension(conn: Connection) -> None:
    installed = conn.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'vector'")).scalar()
    if installed:
        return
    try:
        with conn.begin_nested():
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS vector"))
    except DBAPIError as exc:
        raise AccessDenied(
            "the pgvector extension is not installed in this database and this role may not"
            " install it: run CREATE EXTENSION vector as a superuser (provision_database does)",
            needs="superuser: CREATE EXTENSION vector",
        ) from exc


def create_schema(
    engine: Engine,
    dimension: int,
    table: str = "tc_vectors",
    *,
    fields: Fields | None = None,
    app_role: str | None = None,
    defer_index: bool = False,
) -> None:
    """Create the table, its staging table and indexes (idempotent), as the owner role.

    ``fields`` declares typed metadata fields served by B-tree indexes (pass the same mapping
    to :class:`PgVectorStore`). ``app_role`` receives ``SELECT, INSERT, UPDATE, DELETE`` on
    the table and ``SELECT, INSERT, DELETE`` on the staging table that ``bulk_load`` uses.
    ``defer_index=True`` leaves out the HNSW index: load first, then call
    :func:`create_vector_index` (a build is much faster than inserts into the graph).
    The ``vector`` extension must be installed (``provision_database`` installs it); if it is
    not and this role may not install it, :class:`AccessDenied` says so.
    """
    name = check_table_name(table)
    if (
        isinstance(dimension, bool)
        or not isinstance(dimension, int)
        or not 1 <= dimension <= 16_000
    ):
        raise ValidationFailed("dimension", "range", "dimension must be from 1 to 16,000")
    declared = check_fields(fields)
    if app_role is not None and not _TABLE_NAME.fullmatch(app_role.lower()):
        raise ValidationFailed("app_role", "identifier", "role names match [a-z_][a-z0-9_]*")
    statements = schema_statements(name, dimension, declared, defer_index=defer_index)
    if app_role is not None:
        statements += [
            f'GRANT SELECT, INSERT, UPDATE, DELETE ON {name} TO "{app_role}"',
            f'GRANT SELECT, INSERT, DELETE ON {staging_table(name)} TO "{app_role}"',
        ]
    try:
        with engine.begin() as conn:
            _ensure_extension(conn)
            for statement in statements:
                conn.execute(text(statement))
    except DBAPIError as exc:
        raise translate(exc) from exc


def create_vector_index(
    engine: Engine, table: str = "tc_vectors", *, maintenance_work_mem: str = "512MB"
) -> None:
    """Build the HNSW index of a table made with ``defer_index=True`` (idempotent; owner role).

    ``maintenance_work_mem`` should hold the graph (about 1.3 x the vectors' size); a build
    that outgrows it goes on much more slowly.
    """
    name = check_table_name(table)
    if not re.fullmatch(r"[0-9]{1,6}[kMG]B", maintenance_work_mem):
        raise ValidationFailed("maintenance_work_mem", "size", "a size such as 512MB or 1GB")
    try:
        with engine.begin() as conn:
            conn.execute(text(f"SET LOCAL maintenance_work_mem = '{maintenance_work_mem}'"))
            conn.execute(text(vector_index_statement(name)))
            conn.execute(text(f"ANALYZE {name}"))
    except DBAPIError as exc:
        raise translate(exc) from exc
