"""pgvector through travelcore: bulk loads against two baselines, then HNSW search against
exact search and against the same raw SQL.

    python -m bench.vectors                      # quick: 20,000 x 128
    python -m bench.vectors --n 100000 --dim 384

Data: ``--clusters`` Gaussian clusters (embedding-like, not uniform noise), float32, seeded.
Metadata: ``category`` (one of 5 values), ``rank`` (an integer 0-99) and ``n`` (the row).
Filters, as a product team writes them: equality on the category plus a range on the rank,
matching 10 % (``rank < 50``) and 1 % (``rank < 5``) of the rows.

Loads: the same rows, in slices taken in turn by each loader (so machine noise hits them
alike), each into a table of its own with the same schema (declared fields, GIN index, HNSW
deferred): travelcore's ``bulk_load_arrays`` (numpy, binary ``COPY``) and ``bulk_load``
(records), the previous text path (``repr`` of every float, ``COPY`` into a temporary table,
one upsert) and a hand-written binary ``COPY`` (psycopg ``write_row`` with pgvector's
dumper, straight into the table). The records for the two record paths are built before
timing. Then the HNSW index is built on travelcore's table.

Search: ground truth is exact cosine top-10 with numpy over the same filtered rows; recall@10,
queries/s (single client, sequential), short results (fewer than 10 rows), queries ranked
exactly from the start (few expected matches) and exact re-runs (index came back short),
for travelcore with the two fields declared, the identical statements on a raw psycopg
connection, and travelcore without declarations (every filter through JSONB), timed
interleaved.

PostgreSQL: ``TRAVELCORE_BENCH_DATABASE_URL`` (a superuser ``postgresql://`` URL) or an
embedded server.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import time
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
from pgvector.psycopg import register_vector
from sqlalchemy import Engine, create_engine, make_url, text

from travelcore.vectors import VectorRecord, parse_filter
from travelcore.vectors.records import check_ascii_name, check_batch
from travelcore_adapters.pgvector import PgVectorStore, create_schema, create_vector_index
from travelcore_adapters.pgvector.where import compile_bound, compile_where
from travelcore_adapters.postgres.provision import embedded_server

TABLE = "bench_vectors"
NS = "bench:activities"
FIELDS: dict[str, Any] = {"category": "string", "rank": "number"}
FILTERS: dict[str, dict[str, Any] | None] = {
    "unfiltered": None,
    "10% filter": {"category": "c1", "rank": {"$lt": 50}},
    "1% filter": {"category": "c1", "rank": {"$lt": 5}},
}


@contextlib.contextmanager
def database_url(pgdata: str | None) -> Iterator[str]:
    url = os.environ.get("TRAVELCORE_BENCH_DATABASE_URL")
    if url:
        yield url
        return
    with embedded_server(Path(pgdata) if pgdata else None) as url:
        yield url


def make_data(n: int, dim: int, clusters: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Vectors (float32) and ``(category, rank)`` per row."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(clusters, dim)).astype(np.float32)
    labels = rng.integers(0, clusters, size=n)
    data = centres[labels] + 0.6 * rng.normal(size=(n, dim)).astype(np.float32)
    attributes = np.stack([rng.integers(0, 5, size=n), rng.integers(0, 100, size=n)], axis=1)
    return data, attributes


def ids(start: int, stop: int) -> list[str]:
    return [f"v{i:07d}" for i in range(start, stop)]


def metadata(attributes: np.ndarray, start: int, stop: int) -> list[dict[str, Any]]:
    return [
        {"category": f"c{attributes[i, 0]}", "rank": int(attributes[i, 1]), "n": i}
        for i in range(start, stop)
    ]


def masks(attributes: np.ndarray) -> dict[str, np.ndarray | None]:
    c1 = attributes[:, 0] == 1
    return {
        "unfiltered": None,
        "10% filter": c1 & (attributes[:, 1] < 50),
        "1% filter": c1 & (attributes[:, 1] < 5),
    }


def queries_for(data: np.ndarray, count: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed + 1)
    picked = np.take(data, rng.integers(0, len(data), size=count), axis=0)  # a copy
    picked += 0.3 * rng.normal(size=picked.shape).astype(np.float32)
    return picked


def exact_top10(normed: np.ndarray, mask: np.ndarray | None, query: np.ndarray) -> set[str]:
    scores = normed @ (query / np.linalg.norm(query))
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    best = np.argpartition(-scores, 10)[:10]
    return {f"v{i:07d}" for i in best}


def recall(found: Sequence[set[str]], truth: Sequence[set[str]]) -> float:
    return float(np.mean([len(f & t) / 10 for f, t in zip(found, truth, strict=True)]))


def libpq_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def fresh_table(engine: Engine, name: str, dim: int) -> None:
    with engine.begin() as conn:
        conn.execute(text(f"DROP TABLE IF EXISTS {name}, {name}_load"))
    create_schema(engine, dim, name, fields=FIELDS, defer_index=True)


# ---- loaders ---------------------------------------------------------------------------


def text_path_load(engine: Engine, table: str, dim: int, records: Sequence[VectorRecord]) -> None:
    """The previous ``PgVectorStore.bulk_load``: per-record validation, ``repr`` of every
    float, text ``COPY`` into a temporary table, one upsert from it."""
    check_ascii_name(NS, "namespace")
    check_batch(records, dim)

    def escape(value: str) -> str:
        return (
            value.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )

    buffer = io.StringIO()
    for r in records:
        vector = "[" + ",".join(repr(float(v)) for v in r.values) + "]"
        fields = (NS, r.id, vector, json.dumps(r.metadata))
        buffer.write("\t".join(escape(f) for f in fields) + "\n")
    with engine.begin() as conn:
        conn.execute(
            text(f"CREATE TEMP TABLE tc_load (LIKE {table} INCLUDING DEFAULTS) ON COMMIT DROP")
        )
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy("COPY tc_load (namespace, id, embedding, metadata) FROM STDIN") as cp:
            cp.write(buffer.getvalue())
        conn.execute(
            text(
                f"INSERT INTO {table} (namespace, id, embedding, metadata)"
                " SELECT namespace, id, embedding, metadata FROM tc_load"
                " ON CONFLICT (namespace, id) DO UPDATE"
                " SET embedding = excluded.embedding, metadata = excluded.metadata"
            )
        )


def hand_written_load(
    conn: psycopg.Connection[Any], table: str, rows: list[str], data: np.ndarray, metas: list[Any]
) -> None:
    """Binary ``COPY`` as pgvector's README shows it, straight into the table."""
    with (
        conn.cursor() as cur,
        cur.copy(
            f"COPY {table} (namespace, id, embedding, metadata) FROM STDIN WITH (FORMAT BINARY)"
        ) as copy,
    ):
        copy.set_types(["text", "text", "vector", "jsonb"])
        for rid, vector, meta in zip(rows, data, metas, strict=True):
            copy.write_row((NS, rid, vector, meta))
    conn.commit()


def compare_loads(
    engine: Engine, url: str, data: np.ndarray, attributes: np.ndarray, slice_rows: int
) -> dict[str, float]:
    """Rows/s per loader over the same rows; travelcore's array path fills ``TABLE``."""
    dim = data.shape[1]
    tables = {
        "travelcore bulk_load_arrays (numpy)": TABLE,
        "travelcore bulk_load (records)": f"{TABLE}_records",
        "previous text path (records)": f"{TABLE}_text",
        "hand-written binary COPY": f"{TABLE}_copy",
    }
    for table in tables.values():
        fresh_table(engine, table, dim)
    stores = {
        table: PgVectorStore(engine, dim, table=table, fields=FIELDS) for table in tables.values()
    }
    raw = psycopg.connect(libpq_url(url))
    register_vector(raw)
    seconds = dict.fromkeys(tables, 0.0)
    for number, start in enumerate(range(0, len(data), slice_rows)):
        stop = min(start + slice_rows, len(data))
        rows, metas = ids(start, stop), metadata(attributes, start, stop)
        records = [
            VectorRecord(rid, tuple(v.tolist()), m)
            for rid, v, m in zip(rows, data[start:stop], metas, strict=True)
        ]
        chunk = data[start:stop]
        loaders: dict[str, Callable[[], object]] = {
            "travelcore bulk_load_arrays (numpy)": partial(
                stores[TABLE].bulk_load_arrays, NS, rows, chunk, metas
            ),
            "travelcore bulk_load (records)": partial(
                stores[f"{TABLE}_records"].bulk_load, NS, records
            ),
            "previous text path (records)": partial(
                text_path_load, engine, f"{TABLE}_text", dim, records
            ),
            "hand-written binary COPY": partial(
                hand_written_load, raw, f"{TABLE}_copy", rows, chunk, metas
            ),
        }
        order = list(loaders)
        shift = number % len(order)
        for name in order[shift:] + order[:shift]:
            started = time.perf_counter()
            loaders[name]()
            seconds[name] += time.perf_counter() - started
    raw.close()
    with engine.begin() as conn:
        for table in list(tables.values())[1:]:
            conn.execute(text(f"DROP TABLE {table}, {table}_load"))
    return {name: len(data) / s for name, s in seconds.items()}


# ---- search ----------------------------------------------------------------------------


Compiled = tuple[str, dict[str, Any], str | None]
"""A query's SQL, its filter parameters, and the column bound the store estimates."""


def raw_sql_runner(url: str, store: PgVectorStore) -> Callable[[np.ndarray, Compiled], list[str]]:
    """The statements PgVectorStore sends, on a raw psycopg connection: the planner's
    estimate for filters on declared fields, then an exact ranking or the HNSW search."""
    conn = psycopg.connect(libpq_url(url), autocommit=False)
    tune = (str(store._ef_search), str(store._max_scan_tuples))

    def run(query: np.ndarray, compiled: Compiled) -> list[str]:
        sql, filter_params, bound = compiled
        vector = "[" + ",".join(repr(float(v)) for v in query) + "]"
        params = {"q": vector, "ns": NS, "k": 10, **filter_params}
        with conn.cursor() as cur:
            exact = False
            if bound is not None:
                cur.execute(
                    f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {TABLE} WHERE namespace = %(ns)s"
                    f" AND {bound}",
                    params,
                )
                plan = cur.fetchone()
                if plan is None:
                    raise RuntimeError("EXPLAIN returned no plan")
                exact = plan[0][0]["Plan"]["Plan Rows"] <= store._exact_rows
            if exact:
                cur.execute("SELECT set_config('enable_indexscan', 'off', true)")
            else:
                cur.execute(
                    "SELECT set_config('hnsw.iterative_scan', 'strict_order', true),"
                    " set_config('hnsw.ef_search', %s, true),"
                    " set_config('hnsw.max_scan_tuples', %s, true)",
                    tune,
                )
            cur.execute(sql, params)
            found = [row[0] for row in cur.fetchall()]
        conn.rollback()
        return found

    return run


def statement(store: PgVectorStore, flt: dict[str, Any] | None) -> Compiled:
    node = parse_filter(flt)
    if node is None:
        return store._query_sql[False, False], {}, None
    where, params = compile_where(node, FIELDS)
    bound = compile_bound(node, FIELDS)
    if bound is not None:
        params.update(bound[1])
    return store._build_query_sql(False, False, f" AND {where}"), params, bound and bound[0]


def loaded(engine: Engine, n: int, dim: int) -> bool:
    """The table from an earlier run with the same --n/--dim (same seed gives same data)."""
    with engine.begin() as conn:
        if conn.execute(text(f"SELECT to_regclass('{TABLE}_embedding_hnsw')")).scalar() is None:
            return False
        count = conn.execute(text(f"SELECT count(*) FROM {TABLE}")).scalar()
        width = conn.execute(text(f"SELECT vector_dims(embedding) FROM {TABLE} LIMIT 1")).scalar()
    return bool(count == n and width == dim)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--clusters", type=int, default=100)
    parser.add_argument("--ef-search", type=int, default=100)
    parser.add_argument("--slice", type=int, default=5_000, help="rows per load slice")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--pgdata", help="embedded PostgreSQL data directory to keep (reuses a loaded table)"
    )
    args = parser.parse_args()

    data, attributes = make_data(args.n, args.dim, args.clusters, args.seed)
    normed = data / np.linalg.norm(data, axis=1, keepdims=True)
    queries = queries_for(data, args.queries, args.seed)
    row_masks = masks(attributes)

    with database_url(args.pgdata) as url:
        engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"))
        print(
            f"n={args.n} dim={args.dim} clusters={args.clusters} queries={args.queries}"
            f" ef_search={args.ef_search}"
        )
        if loaded(engine, args.n, args.dim):
            print("(table and index from an earlier run: no load figures)")
        else:
            rates = compare_loads(engine, url, data, attributes, args.slice)
            started = time.perf_counter()
            create_vector_index(engine, TABLE, maintenance_work_mem="1GB")
            build = time.perf_counter() - started
            text_rate = rates["previous text path (records)"]
            copy_rate = rates["hand-written binary COPY"]
            print(f"{'loader':<36} {'rows/s':>9} {'vs text':>8} {'vs COPY':>8}")
            for name, rate in rates.items():
                print(f"{name:<36} {rate:>9.0f} {rate / text_rate:>8.2f} {rate / copy_rate:>8.2f}")
            print(f"HNSW build after the load: {build:.0f} s")
        declared = PgVectorStore(
            engine, args.dim, table=TABLE, fields=FIELDS, ef_search=args.ef_search
        )
        jsonb = PgVectorStore(engine, args.dim, table=TABLE, ef_search=args.ef_search)
        raw = raw_sql_runner(url, declared)
        print(
            f"{'case':<12} {'recall@10':>9} {'QPS':>7} {'raw SQL QPS':>11} {'ratio':>6}"
            f" {'short':>5} {'exact':>5} {'reruns':>6} | {'JSONB recall':>12} {'JSONB QPS':>9}"
        )
        for name, flt in FILTERS.items():
            truth = [exact_top10(normed, row_masks[name], q) for q in queries]
            compiled = statement(declared, flt)
            for q in queries[:10]:  # warm-up
                declared.query(NS, vector=tuple(q.tolist()), top_k=10, filter=flt)
                jsonb.query(NS, vector=tuple(q.tolist()), top_k=10, filter=flt)
                raw(q, compiled)
            reruns, exact = declared.exact_fallbacks, declared.exact_searches
            found: list[set[str]] = []
            found_jsonb: list[set[str]] = []
            timing = {"tc": 0.0, "raw": 0.0, "jsonb": 0.0}
            short = 0
            # Interleaved, rotating who goes first (a query run again finds its pages
            # cached), so machine noise and caching hit every side alike.
            for number, q in enumerate(queries):
                vector = tuple(q.tolist())
                sides = ["tc", "raw", "jsonb"]
                shift = number % 3
                for side in sides[shift:] + sides[:shift]:
                    started = time.perf_counter()
                    if side == "tc":
                        matches = declared.query(NS, vector=vector, top_k=10, filter=flt)
                    elif side == "raw":
                        raw(q, compiled)
                    else:
                        plain = jsonb.query(NS, vector=vector, top_k=10, filter=flt)
                    timing[side] += time.perf_counter() - started
                found.append({m.id for m in matches})
                found_jsonb.append({m.id for m in plain})
                short += len(matches) < 10
            qps = {side: len(queries) / seconds for side, seconds in timing.items()}
            print(
                f"{name:<12} {recall(found, truth):>9.3f} {qps['tc']:>7.1f} {qps['raw']:>11.1f}"
                f" {qps['tc'] / qps['raw']:>6.2f} {short:>5d}"
                f" {declared.exact_searches - exact:>5d} {declared.exact_fallbacks - reruns:>6d} |"
                f" {recall(found_jsonb, truth):>12.3f} {qps['jsonb']:>9.1f}"
            )
        engine.dispose()


if __name__ == "__main__":
    main()
