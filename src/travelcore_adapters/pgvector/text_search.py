"""PostgreSQL full-text search (tsvector + GIN): the fallback when the vector store is down.

Documents are matched on any query word (``simple`` configuration, no stemming, so results
do not depend on a language), ranked by ``ts_rank``, ties by id; filters are the vector
store's, compiled to the same jsonpath.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from travelcore.vectors.filters import Filter
from travelcore.vectors.records import (
    QueryMatch,
    check_ascii_name,
    check_document_text,
    check_metadata,
    check_query_text,
    check_top_k,
)
from travelcore_adapters.pgvector.errors import translate
from travelcore_adapters.pgvector.jsonpath import compile_filter
from travelcore_adapters.pgvector.schema import check_table_name


def create_text_schema(engine: Engine, table: str = "tc_text_documents") -> None:
    """The documents table with a generated ``tsvector`` column and its GIN indexes."""
    name = check_table_name(table)
    statements = [
        f"CREATE TABLE IF NOT EXISTS {name} ("
        " namespace text NOT NULL,"
        " id text NOT NULL,"
        " content text NOT NULL,"
        " metadata jsonb NOT NULL DEFAULT '{}',"
        " tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', content)) STORED,"
        " PRIMARY KEY (namespace, id))",
        f"CREATE INDEX IF NOT EXISTS {name}_tsv_gin ON {name} USING gin (tsv)",
        f"CREATE INDEX IF NOT EXISTS {name}_metadata_gin ON {name}"
        " USING gin (metadata jsonb_path_ops)",
    ]
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


class PgTextSearch:
    def __init__(self, engine: Engine, table: str = "tc_text_documents") -> None:
        self._engine = engine
        self._table = check_table_name(table)

    def _execute(self, sql: str, params: dict[str, Any]) -> list[Any]:
        try:
            with self._engine.begin() as conn:
                result = conn.execute(text(sql), params)
                return list(result) if result.returns_rows else []
        except DBAPIError as exc:
            raise translate(exc) from exc

    def put(self, namespace: str, id: str, text: str, metadata: Mapping[str, Any]) -> None:
        check_ascii_name(namespace, "namespace")
        check_ascii_name(id, "id")
        check_document_text(text)
        metadata = check_metadata(metadata)
        self._execute(
            f"INSERT INTO {self._table} (namespace, id, content, metadata)"  # noqa: S608
            " VALUES (:ns, :id, :content, CAST(:metadata AS jsonb))"
            " ON CONFLICT (namespace, id) DO UPDATE"
            " SET content = excluded.content, metadata = excluded.metadata",
            {"ns": namespace, "id": id, "content": text, "metadata": json.dumps(dict(metadata))},
        )

    def remove(self, namespace: str, ids: Sequence[str]) -> None:
        self._execute(
            f"DELETE FROM {self._table} WHERE namespace = :ns AND id = ANY(:ids)",  # noqa: S608
            {"ns": namespace, "ids": list(ids)},
        )

    def search(
        self, namespace: str, text: str, *, top_k: int = 10, filter: Filter | None = None
    ) -> list[QueryMatch]:
        check_top_k(top_k)
        check_query_text(text)
        params: dict[str, Any] = {"ns": namespace, "q": text, "k": top_k}
        where = ""
        if filter is not None:
            where = " AND metadata @? CAST(:path AS jsonpath)"
            params["path"] = compile_filter(filter)
        rows = self._execute(
            "WITH q AS (SELECT CAST(replace(CAST(plainto_tsquery('simple', :q) AS text),"  # noqa: S608
            " '&', '|') AS tsquery) AS query)"
            f" SELECT id, ts_rank(tsv, q.query) AS score, metadata FROM {self._table}, q"
            f" WHERE namespace = :ns AND tsv @@ q.query{where}"
            " ORDER BY score DESC, id LIMIT :k",
            params,
        )
        return [QueryMatch(row.id, float(row.score), metadata=dict(row.metadata)) for row in rows]
