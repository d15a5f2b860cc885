"""The vector store on PostgreSQL + pgvector (0.8+), over a caller-built SQLAlchemy engine.

One table per embedding dimension (default ``tc_vectors``, see ``schema.py``), keyed by
``(namespace, id)``: namespaces separate tenants and kinds exactly as in Pinecone. Queries run
in one transaction with ``SET LOCAL`` (via ``set_config(..., true)``) iterative-scan settings,
so the HNSW index keeps scanning until ``top_k`` rows pass the filter; if it still comes back
short, the same query is answered exactly (index scans off), so fewer than ``top_k`` rows
means fewer match. Filters on declared fields use their indexed columns (``where.py``).

SQL text only ever contains the table name and declared field names (validated identifiers,
hence the S608 waivers); every value, the query vector and the compiled jsonpath are bound
parameters.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import numpy as np
import psycopg
from pgvector.sqlalchemy import Vector
from psycopg import errors as pg_errors
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
from sqlalchemy.exc import DBAPIError

from travelcore.kernel.errors import (
    AccessDenied,
    NotFound,
    ValidationFailed,
    VectorStoreUnavailable,
)
from travelcore.kernel.telemetry import VECTOR_QUERY, span
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
    encode_metadata,
    rank,
)
from travelcore_adapters.pgvector.binary_copy import copy_chunks
from travelcore_adapters.pgvector.errors import translate, translate_driver
from travelcore_adapters.pgvector.schema import (
    Fields,
    check_fields,
    check_table_name,
    staging_table,
)
from travelcore_adapters.pgvector.where import compile_bound, compile_where

T = TypeVar("T")
_COPY_COLUMNS = "(namespace, id, embedding, metadata)"
_Rows = tuple[str, list[str], "np.ndarray[Any, Any]", list[str]]
"""namespace, ids, float32 vectors, metadata as JSON text"""


def vectors_table(name: str, dimension: int, metadata: MetaData | None = None) -> Table:
    return Table(
        check_table_name(name),
        metadata or MetaData(),
        Column("namespace", Text, primary_key=True),
        Column("id", Text, primary_key=True),
        Column("embedding", Vector(dimension), nullable=False),
        Column("metadata", JSONB, nullable=False),
    )


def _vector_literal(values: Sequence[float]) -> str:
    return "[" + ",".join(repr(float(v)) for v in values) + "]"


def _first(flags: Any) -> int:
    return int(np.flatnonzero(flags)[0])


class PgVectorStore:
    """Cosine similarity search on one pgvector table; score = 1 - cosine distance.

    ``fields`` names the table's declared metadata fields (the mapping given to
    ``create_schema``); filters on them are served by their B-tree indexes. When the planner
    expects such a filter to match at most ``exact_rows`` rows, the query skips the HNSW
    index and ranks those rows exactly (index scans on the fields, then a sort), which is
    both faster and exact where a filtered graph search would visit many rejected rows.
    ``ef_search`` and ``max_scan_tuples`` tune the HNSW iterative scan.
    """

    metric = "cosine"

    def __init__(
        self,
        engine: Engine,
        dimension: int,
        *,
        table: str = "tc_vectors",
        fields: Fields | None = None,
        ef_search: int = 100,
        max_scan_tuples: int = 50_000,
        exact_rows: int = 2_000,
    ) -> None:
        self._engine = engine
        self.dimension = dimension
        self._table = vectors_table(table, dimension)
        self._fields = check_fields(fields)
        self._ef_search = ef_search
        self._max_scan_tuples = max_scan_tuples
        self._exact_rows = exact_rows
        self.exact_fallbacks = 0
        """How many queries the index answered short and were re-run exactly."""
        self.exact_searches = 0
        """How many filtered queries were answered exactly from the start (few matches)."""
        flags = (False, True)
        self._query_sql = {(v, m): self._build_query_sql(v, m, "") for v in flags for m in flags}

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        try:
            with self._engine.begin() as conn:
                yield conn
        except DBAPIError as exc:
            raise translate(exc) from exc

    @contextmanager
    def _driver(self) -> Iterator[Any]:
        """The pooled psycopg connection, in a transaction the caller commits; rolled back
        on the way out (a no-op after a commit). Driver errors become travelcore errors."""
        try:
            with self._engine.connect() as conn:
                driver: Any = conn.connection.dbapi_connection
                try:
                    yield driver
                finally:
                    driver.rollback()
        except DBAPIError as exc:
            raise translate(exc) from exc
        except psycopg.Error as exc:
            raise translate_driver(exc) from exc

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
        """Load many records in one transaction over binary ``COPY``; upserts (see
        :meth:`bulk_load_arrays`). Returns the number of records."""
        check_ascii_name(namespace, "namespace")
        for index, record in enumerate(records):
            if not isinstance(record, VectorRecord):
                raise ValidationFailed(
                    f"records[{index}]", "vector_record", "expected VectorRecord"
                )
            if len(record.values) != self.dimension:
                check_vector(record.values, self.dimension, f"records[{index}].values")
        vectors = np.array([r.values for r in records], dtype=np.float32)
        return self._load(
            namespace,
            [r.id for r in records],
            vectors.reshape(len(records), self.dimension),
            [_compact(r.metadata) for r in records],
            "records",
        )

    def bulk_load_arrays(
        self,
        namespace: str,
        ids: Sequence[str],
        vectors: Any,
        metadata: Sequence[Mapping[str, Any]] | None = None,
    ) -> int:
        """Load ``ids[i]`` with ``vectors[i]`` (a 2-D array-like of shape ``(n, dimension)``,
        such as a numpy array, sent as float32 without a Python loop over its values) and
        ``metadata[i]``, in one transaction; existing ids are replaced.

        The rows are copied straight into the table; if an id already exists, that copy is
        rolled back and the rows go through the unlogged staging table (``<table>_load``) and
        one upsert instead, so the application role needs no ``TEMP`` privilege (re-loading
        existing ids costs a second copy). Returns the number of records.
        """
        check_ascii_name(namespace, "namespace")
        array = np.asarray(vectors, dtype=np.float32)
        if array.ndim != 2 or array.shape[1] != self.dimension:
            raise ValidationFailed(
                "vectors", "dimension", f"vectors must have shape (n, {self.dimension})"
            )
        metas = [{}] * len(array) if metadata is None else list(metadata)
        if len(ids) != len(array) or len(metas) != len(array):
            raise ValidationFailed(
                "ids", "same_length", "ids, vectors and metadata differ in length"
            )
        encoded = [encode_metadata(m)[1] for m in metas]
        return self._load(namespace, list(ids), array, encoded, "vectors")

    def _load(
        self,
        namespace: str,
        ids: list[str],
        vectors: np.ndarray[Any, Any],
        metadata_json: list[str],
        field: str,
    ) -> int:
        if not np.isfinite(vectors).all():
            row = _first(~np.isfinite(vectors).all(axis=1))
            raise ValidationFailed(f"{field}[{row}]", "finite_numbers", "values must be finite")
        zero = ~vectors.any(axis=1)
        if zero.any():
            raise ValidationFailed(
                f"{field}[{_first(zero)}]", "non_zero", "the zero vector is refused (cosine)"
            )
        for rid in ids:
            check_ascii_name(rid, "id")
        if len(set(ids)) != len(ids):
            seen: set[str] = set()
            for index, rid in enumerate(ids):
                if rid in seen:
                    raise ValidationFailed(f"ids[{index}]", "unique", f"duplicate id {rid!r}")
                seen.add(rid)
        if not ids:
            return 0
        name = self._table.name
        rows = (namespace, ids, vectors, metadata_json)
        with self._driver() as driver, driver.cursor() as cur:
            try:
                with driver.transaction():  # new ids: straight into the table
                    _copy(cur, name, rows)
            except pg_errors.UniqueViolation:  # some ids exist: upsert through staging
                self._upsert_through_staging(cur, rows)
                driver.commit()
        return len(ids)

    def _upsert_through_staging(self, cur: Any, rows: _Rows) -> None:
        name = self._table.name
        staging = staging_table(name)
        try:
            _copy(cur, staging, rows)
            cur.execute(
                f"INSERT INTO {name} {_COPY_COLUMNS}"  # noqa: S608
                f" SELECT namespace, id, embedding, metadata FROM {staging}"
                " ON CONFLICT (namespace, id) DO UPDATE"
                " SET embedding = excluded.embedding, metadata = excluded.metadata"
            )
            cur.execute(f"DELETE FROM {staging}")  # noqa: S608  (only this transaction's rows)
        except pg_errors.UndefinedTable as exc:
            raise ValidationFailed(
                "table",
                "staging_table",
                f"{staging} is missing: run create_schema as the table's owner to create it",
            ) from exc
        except pg_errors.InsufficientPrivilege as exc:
            raise AccessDenied(
                f"bulk_load needs SELECT, INSERT, DELETE on {staging} and INSERT, UPDATE on"
                f" {name}: create_schema(..., app_role=...) grants them",
                needs=f"SELECT, INSERT, DELETE on {staging}",
            ) from exc

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
        if filter is not None:
            where, params = compile_where(parse_delete_filter(filter), self._fields)
            with self._driver() as driver:
                driver.execute(
                    f"DELETE FROM {t.name} WHERE namespace = %(ns)s AND {where}",  # noqa: S608
                    {"ns": namespace, **params},
                )
                driver.commit()
            return
        statement: Any = delete(t).where(t.c.namespace == namespace)
        if prefix is not None:
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
        bound = None
        if node is None:
            sql = self._query_sql[include_values, include_metadata]
        else:
            where, where_params = compile_where(node, self._fields)
            params.update(where_params)
            sql = self._build_query_sql(include_values, include_metadata, f" AND {where}")
            bound = compile_bound(node, self._fields)
            if bound is not None:
                params.update(bound[1])
        tune = {
            "ef": str(min(1000, max(self._ef_search, top_k))),
            "tuples": str(max(self._max_scan_tuples, top_k * 4)),
        }
        with span(VECTOR_QUERY, {"travelcore.vector.store": "pgvector", "top_k": top_k}):
            rows = self._search(sql, tune, params, top_k, bound[0] if bound else None)
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
        self,
        sql: str,
        tune: dict[str, str],
        params: dict[str, Any],
        top_k: int,
        bound: str | None,
    ) -> list[tuple[Any, ...]]:
        """The hot path on the pooled driver connection (no SQL compilation per query).

        With a ``bound`` on declared columns whose estimated rows are few, rank exactly.
        Otherwise ``SET LOCAL`` the HNSW settings, search, and re-run exactly if the index
        came back short."""
        with self._driver() as driver, driver.cursor() as cur:
            if bound is not None and self._estimate(cur, bound, params) <= self._exact_rows:
                self.exact_searches += 1
                cur.execute(_EXACT_SQL)
                cur.execute(sql, params)
                exact: list[tuple[Any, ...]] = cur.fetchall()
                return exact
            cur.execute(_TUNE_SQL, tune)
            cur.execute(sql, params)
            rows: list[tuple[Any, ...]] = cur.fetchall()
            if len(rows) < top_k:
                self.exact_fallbacks += 1
                cur.execute(_EXACT_SQL)
                cur.execute(sql, params)
                rows = cur.fetchall()
            return rows

    def _estimate(self, cur: Any, bound: str, params: dict[str, Any]) -> float:
        """The planner's row estimate for ``bound`` in the namespace (no execution)."""
        cur.execute(
            f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {self._table.name}"  # noqa: S608
            f" WHERE namespace = %(ns)s AND {bound}",
            params,
        )
        plan: Any = cur.fetchone()[0]
        return float(plan[0]["Plan"]["Plan Rows"])

    def _build_query_sql(self, values: bool, metadata: bool, where: str) -> str:
        columns = "id, 1 - (embedding <=> CAST(%(q)s AS vector)) AS score"
        if values:
            columns += ", embedding::text AS embedding"
        if metadata:
            columns += ", metadata"
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


def _copy(cur: Any, table: str, rows: _Rows) -> None:
    with cur.copy(f"COPY {table} {_COPY_COLUMNS} FROM STDIN WITH (FORMAT BINARY)") as copy:
        for chunk in copy_chunks(*rows):
            copy.write(chunk)


def _compact(metadata: Mapping[str, Any]) -> str:
    return json.dumps(metadata, separators=(",", ":"), ensure_ascii=False)
