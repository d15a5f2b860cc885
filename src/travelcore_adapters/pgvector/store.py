"""The vector store on PostgreSQL + pgvector (0.8+), over a caller-built SQLAlchemy engine.

One table per embedding dimension (default ``tc_vectors``), keyed by ``(namespace, id)``:
namespaces separate tenants and kinds exactly as in Pinecone. Queries run in one transaction
with ``SET LOCAL`` (via ``set_config(..., true)``) iterative-scan settings, so the HNSW index
keeps scanning until ``top_k`` rows pass the filter; if it still comes back short, the same
query is answered exactly (index scans off), so fewer than ``top_k`` rows means fewer match.

SQL text only ever contains the table name (a validated identifier, hence the S608 waivers);
every value, the query vector and the compiled jsonpath are bound parameters.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import psycopg
from pgvector.sqlalchemy import Vector
from sqlalchemy import (
    Column,
    Connection,
    Engine,
    MetaData,
    Table,
    Text,
    bindparam,
    delete,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, ProgrammingError

from travelcore.kernel.errors import (
    NotFound,
    TravelcoreError,
    ValidationFailed,
    VectorStoreUnavailable,
)
from travelcore.vectors.filters import parse_delete_filter, parse_filter
from travelcore.vectors.ports import FilterInput
from travelcore.vectors.records import (
    FetchResult,
    IdPage,
    QueryMatch,
    Stats,
    UpsertItem,
    UpsertResult,
    VectorRecord,
    batches,
    check_ascii_name,
    check_batch,
    check_delete_selector,
    check_fetch_ids,
    check_list_limit,
    check_list_page,
    check_top_k,
    check_vector,
    rank,
)
from travelcore_adapters.pgvector.jsonpath import compile_filter

T = TypeVar("T")
_TABLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,40}")


def check_table_name(name: str) -> str:
    if not _TABLE_NAME.fullmatch(name):
        raise ValidationFailed("table", "identifier", "table names match [a-z_][a-z0-9_]{0,40}")
    return name


def translate(exc: DBAPIError) -> TravelcoreError:
    if isinstance(exc, DataError | IntegrityError | ProgrammingError):
        return ValidationFailed("request", "refused_by_database", str(exc.orig))
    return VectorStoreUnavailable(f"PostgreSQL vector store unavailable: {exc.orig}")


def vectors_table(name: str, dimension: int, metadata: MetaData | None = None) -> Table:
    return Table(
        check_table_name(name),
        metadata or MetaData(),
        Column("namespace", Text, primary_key=True),
        Column("id", Text, primary_key=True),
        Column("embedding", Vector(dimension), nullable=False),
        Column("metadata", JSONB, nullable=False),
    )


def create_schema(engine: Engine, dimension: int, table: str = "tc_vectors") -> None:
    """Create the extension, the table, its HNSW (cosine) and GIN (jsonb_path_ops) indexes.

    Idempotent. ``table`` is a validated identifier (one table per embedding dimension).
    """
    name = check_table_name(table)
    if isinstance(dimension, bool) or not 1 <= int(dimension) <= 16_000:
        raise ValidationFailed("dimension", "range", "dimension must be from 1 to 16,000")
    statements = [
        "CREATE EXTENSION IF NOT EXISTS vector",
        f"CREATE TABLE IF NOT EXISTS {name} ("
        " namespace text NOT NULL,"
        " id text NOT NULL,"
        f" embedding vector({int(dimension)}) NOT NULL,"
        " metadata jsonb NOT NULL DEFAULT '{}',"
        " PRIMARY KEY (namespace, id))",
        f"CREATE INDEX IF NOT EXISTS {name}_embedding_hnsw ON {name}"
        " USING hnsw (embedding vector_cosine_ops)",
        f"CREATE INDEX IF NOT EXISTS {name}_metadata_gin ON {name}"
        " USING gin (metadata jsonb_path_ops)",
    ]
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


def _vector_literal(values: Sequence[float]) -> str:
    return "[" + ",".join(repr(float(v)) for v in values) + "]"


class PgVectorStore:
    """Cosine similarity search on one pgvector table; score = 1 - cosine distance."""

    metric = "cosine"

    def __init__(
        self,
        engine: Engine,
        dimension: int,
        *,
        table: str = "tc_vectors",
        ef_search: int = 100,
        max_scan_tuples: int = 50_000,
    ) -> None:
        self._engine = engine
        self.dimension = dimension
        self._table = vectors_table(table, dimension)
        self._ef_search = ef_search
        self._max_scan_tuples = max_scan_tuples
        self.exact_fallbacks = 0
        """How many queries the index answered short and were re-run exactly."""
        flags = (False, True)
        self._query_sql = {
            (f, v, m): self._build_query_sql(f, v, m) for f in flags for v in flags for m in flags
        }

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        try:
            with self._engine.begin() as conn:
                yield conn
        except DBAPIError as exc:
            raise translate(exc) from exc

    def _execute(self, statement: Any) -> None:
        with self._begin() as conn:
            conn.execute(statement)

    def _run(self, action: Callable[[Connection], T]) -> T:
        with self._begin() as conn:
            return action(conn)

    # ---- writes ----------------------------------------------------------------------

    def upsert(self, namespace: str, records: Sequence[VectorRecord]) -> UpsertResult:
        """One multi-row ``INSERT ... ON CONFLICT`` per chunk, each in its own transaction."""
        check_ascii_name(namespace, "namespace")
        check_batch(records, self.dimension)
        items: list[UpsertItem] = []
        requests = 0
        for batch in batches(records):
            requests += 1
            rows = [
                {
                    "namespace": namespace,
                    "id": r.id,
                    "embedding": list(r.values),
                    "metadata": r.metadata,
                }
                for r in batch
            ]
            statement = insert(self._table).values(rows)
            statement = statement.on_conflict_do_update(
                index_elements=["namespace", "id"],
                set_={
                    "embedding": statement.excluded.embedding,
                    "metadata": statement.excluded.metadata,
                },
            )
            try:
                self._execute(statement)
            except VectorStoreUnavailable as exc:
                items.extend(UpsertItem(r.id, ok=False, error=exc.code) for r in batch)
            else:
                items.extend(UpsertItem(r.id, ok=True) for r in batch)
        return UpsertResult(tuple(items), requests)

    def bulk_load(self, namespace: str, records: Sequence[VectorRecord]) -> int:
        """Load many records with ``COPY`` into a temporary table, then one upsert from it."""
        check_ascii_name(namespace, "namespace")
        check_batch(records, self.dimension)
        name = self._table.name
        buffer = io.StringIO()
        for r in records:
            fields = (namespace, r.id, _vector_literal(r.values), json.dumps(r.metadata))
            buffer.write("\t".join(_copy_escape(f) for f in fields) + "\n")
        with self._begin() as conn:
            conn.execute(
                text(f"CREATE TEMP TABLE tc_load (LIKE {name} INCLUDING DEFAULTS) ON COMMIT DROP")
            )
            cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            with cursor.copy("COPY tc_load (namespace, id, embedding, metadata) FROM STDIN") as cp:
                cp.write(buffer.getvalue())
            conn.execute(
                text(
                    f"INSERT INTO {name} SELECT * FROM tc_load"  # noqa: S608
                    " ON CONFLICT (namespace, id) DO UPDATE"
                    " SET embedding = excluded.embedding, metadata = excluded.metadata"
                )
            )
        return len(records)

    def delete(
        self,
        namespace: str,
        *,
        ids: Sequence[str] | None = None,
        filter: FilterInput = None,
        prefix: str | None = None,
    ) -> None:
        check_ascii_name(namespace, "namespace")
        check_delete_selector(ids, filter, prefix)
        t = self._table
        statement: Any = delete(t).where(t.c.namespace == namespace)
        if filter is not None:
            statement = text(
                f"DELETE FROM {t.name} WHERE namespace = :ns"  # noqa: S608
                " AND metadata @? CAST(:path AS jsonpath)"
            ).bindparams(ns=namespace, path=compile_filter(parse_delete_filter(filter)))
        elif prefix is not None:
            statement = statement.where(func.starts_with(t.c.id, prefix))
        else:
            assert ids is not None
            statement = statement.where(t.c.id.in_(list(ids)))
        self._execute(statement)

    # ---- reads -----------------------------------------------------------------------

    def query(
        self,
        namespace: str,
        *,
        vector: Sequence[float] | None = None,
        id: str | None = None,
        top_k: int = 10,
        filter: FilterInput = None,
        include_values: bool = False,
        include_metadata: bool = False,
    ) -> list[QueryMatch]:
        check_ascii_name(namespace, "namespace")
        check_top_k(top_k)
        node = parse_filter(filter)
        if (vector is None) == (id is None):
            raise ValidationFailed("query", "vector_or_id", "give exactly one of vector and id")
        if id is not None:
            found = self.fetch(namespace, [id])
            if id not in found.records:
                raise NotFound("vector", id)
            vector = found.records[id].values
        assert vector is not None
        check_vector(vector, self.dimension, "vector")
        params: dict[str, Any] = {"q": _vector_literal(vector), "ns": namespace, "k": top_k}
        if node is not None:
            params["path"] = compile_filter(node)
        sql = self._query_sql[node is not None, include_values, include_metadata]
        tune = {
            "ef": str(min(1000, max(self._ef_search, top_k))),
            "tuples": str(max(self._max_scan_tuples, top_k * 4)),
        }
        rows = self._search(sql, tune, params, top_k)
        by_id = {row[0]: row for row in rows}
        return [
            QueryMatch(
                id=rid,
                score=score,
                values=tuple(json.loads(by_id[rid][2])) if include_values else None,
                metadata=dict(by_id[rid][-1]) if include_metadata else None,
            )
            for rid, score in rank([(row[0], float(row[1])) for row in rows], top_k)
        ]

    def _search(
        self, sql: str, tune: dict[str, str], params: dict[str, Any], top_k: int
    ) -> list[tuple[Any, ...]]:
        """The hot path on the pooled driver connection (no SQL compilation per query):
        ``SET LOCAL`` the HNSW settings, search, and re-run exactly if the index came back
        short."""
        try:
            with self._engine.connect() as conn:
                driver: Any = conn.connection.dbapi_connection
                try:
                    with driver.cursor() as cur:
                        cur.execute(_TUNE_SQL, tune)
                        cur.execute(sql, params)
                        rows: list[tuple[Any, ...]] = cur.fetchall()
                        if len(rows) < top_k:
                            self.exact_fallbacks += 1
                            cur.execute(_EXACT_SQL)
                            cur.execute(sql, params)
                            rows = cur.fetchall()
                finally:
                    driver.rollback()
                return rows
        except DBAPIError as exc:
            raise translate(exc) from exc
        except psycopg.Error as exc:
            raise _translate_driver(exc) from exc

    def _build_query_sql(self, filtered: bool, values: bool, metadata: bool) -> str:
        columns = "id, 1 - (embedding <=> CAST(%(q)s AS vector)) AS score"
        if values:
            columns += ", embedding::text AS embedding"
        if metadata:
            columns += ", metadata"
        where = " AND metadata @? CAST(%(path)s AS jsonpath)" if filtered else ""
        return (
            f"SELECT {columns} FROM {self._table.name}"  # noqa: S608
            f" WHERE namespace = %(ns)s{where}"
            " ORDER BY embedding <=> CAST(%(q)s AS vector), id LIMIT %(k)s"
        )

    def fetch(self, namespace: str, ids: Sequence[str]) -> FetchResult:
        check_ascii_name(namespace, "namespace")
        wanted = check_fetch_ids(ids)
        if not wanted:
            return FetchResult({}, ())
        t = self._table
        statement = select(t.c.id, t.c.embedding, t.c.metadata).where(
            t.c.namespace == namespace, t.c.id.in_(wanted)
        )
        rows = self._run(lambda conn: list(conn.execute(statement)))
        records = {
            row.id: VectorRecord(row.id, tuple(float(v) for v in row.embedding), row.metadata)
            for row in rows
        }
        return FetchResult(records, tuple(rid for rid in wanted if rid not in records))

    def list_ids(
        self, namespace: str, *, prefix: str = "", limit: int = 100, page_token: str | None = None
    ) -> IdPage:
        check_ascii_name(namespace, "namespace")
        check_list_limit(limit)
        check_list_page(prefix, page_token)
        sql = text(
            f"SELECT id FROM {self._table.name} WHERE namespace = :ns"  # noqa: S608
            " AND starts_with(id, :prefix) AND (CAST(:token AS text) IS NULL"
            ' OR id COLLATE "C" > :token) ORDER BY id COLLATE "C" LIMIT :n'
        ).bindparams(bindparam("token", type_=Text))
        params = {"ns": namespace, "prefix": prefix, "token": page_token, "n": limit + 1}
        ids = self._run(lambda conn: [row.id for row in conn.execute(sql, params)])
        page = ids[:limit]
        return IdPage(tuple(page), page[-1] if len(ids) > limit else None)

    def stats(self) -> Stats:
        t = self._table
        statement = select(t.c.namespace, func.count()).group_by(t.c.namespace)
        rows = self._run(lambda conn: list(conn.execute(statement)))
        return Stats(self.dimension, self.metric, {ns: int(n) for ns, n in rows})


_TUNE_SQL = (
    "SELECT set_config('hnsw.iterative_scan', 'strict_order', true),"
    " set_config('hnsw.ef_search', %(ef)s, true),"
    " set_config('hnsw.max_scan_tuples', %(tuples)s, true)"
)
_EXACT_SQL = "SELECT set_config('enable_indexscan', 'off', true)"


def _translate_driver(exc: psycopg.Error) -> TravelcoreError:
    if isinstance(exc, psycopg.DataError | psycopg.IntegrityError | psycopg.ProgrammingError):
        return ValidationFailed("request", "refused_by_database", str(exc))
    return VectorStoreUnavailable(f"PostgreSQL vector store unavailable: {exc}")


def _copy_escape(value: str) -> str:
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )
