"""Searches of a whole back end for text: every memory table, every PostgreSQL table."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs
import psycopg

from travelcore.kernel import TenantId
from travelcore_adapters.postgres.tables import metadata


def _leaves(value: Any) -> Iterator[str]:
    if attrs.has(type(value)):
        value = attrs.asdict(value, recurse=False)
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(k)
            yield from _leaves(v)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _leaves(item)
    else:
        yield str(value)


def memory_hits(tables: dict[str, dict[Any, Any]], terms: tuple[str, ...]) -> list[str]:
    """``table: term`` for every row of every memory table whose keys or values (dates as
    ISO text) contain one of ``terms``."""
    hits = []
    for name, rows in tables.items():
        for key, row in rows.items():
            text = " ".join([*_leaves(key), *_leaves(row)]).lower()
            hits += [f"{name}: {t}" for t in terms if t.lower() in text]
    return hits


TABLES = """
SELECT c.relname, EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid
                          AND a.attname = 'tenant_id' AND NOT a.attisdropped)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname
"""


def postgres_hits(
    superuser: psycopg.Connection[Any], tenant: TenantId, terms: tuple[str, ...]
) -> list[str]:
    """``table: term`` for every row of ``tenant``, in every travelcore table of the schema,
    whose columns cast to text contain one of ``terms``.

    Every travelcore table must carry a tenant key; tables other tests create in the same
    database (vector stores, queues) are not travelcore's and are left out."""
    ours = set(metadata.tables)
    tables = [(name, t) for name, t in superuser.execute(TABLES).fetchall() if name in ours]
    assert {name for name, _ in tables} == ours
    assert [name for name, tenanted in tables if not tenanted] == []
    hits = []
    for table, _ in tables:
        for term in terms:
            query = (
                f'SELECT count(*) FROM "{table}" t '
                "WHERE t.tenant_id = %s AND strpos(lower(t::text), lower(%s)) > 0"
            )
            row = superuser.execute(query, (tenant, term)).fetchone()
            if row and row[0]:
                hits.append(f"{table}: {term}")
    return hits
