"""pgvector HNSW search through travelcore vs exact search and vs the same raw SQL.

    python -m bench.vectors                      # quick: 20,000 x 128
    python -m bench.vectors --n 100000 --dim 384

Data: ``--clusters`` Gaussian clusters (embedding-like, not uniform noise), float32, seeded.
Metadata: ``sel10`` true on a random 10 %, ``sel1`` on a random 1 %. Ground truth: exact
cosine top-10 with numpy over the same filtered rows. Reports recall@10 and QPS (single
client, sequential) unfiltered and at 10 % / 1 % selectivity, and the QPS ratio of
``PgVectorStore.query`` to the identical hand-written SQL on a raw psycopg connection.

PostgreSQL: ``TRAVELCORE_BENCH_DATABASE_URL`` (a ``postgresql://`` URL) or an embedded server.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
from sqlalchemy import create_engine, make_url, text

from travelcore.vectors import VectorRecord
from travelcore_adapters.pgvector import PgVectorStore, create_schema
from travelcore_adapters.postgres.provision import embedded_server

TABLE = "bench_vectors"
NS = "bench:activities"
FILTERS: dict[str, dict[str, Any] | None] = {
    "unfiltered": None,
    "10% filter": {"sel10": True},
    "1% filter": {"sel1": True},
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
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(clusters, dim)).astype(np.float32)
    labels = rng.integers(0, clusters, size=n)
    data = centres[labels] + 0.6 * rng.normal(size=(n, dim)).astype(np.float32)
    flags = rng.random(n)
    return data, flags


def load(store: PgVectorStore, engine: Any, data: np.ndarray, flags: np.ndarray) -> float:
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text(f"DROP INDEX IF EXISTS {TABLE}_embedding_hnsw"))
    step = 5_000
    for start in range(0, len(data), step):
        records = [
            VectorRecord(
                f"v{i:07d}",
                tuple(data[i].tolist()),
                {"sel10": bool(flags[i] < 0.10), "sel1": bool(flags[i] < 0.01), "n": i},
            )
            for i in range(start, min(start + step, len(data)))
        ]
        store.bulk_load(NS, records)
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL maintenance_work_mem = '1GB'"))
        conn.execute(text("SET LOCAL max_parallel_maintenance_workers = 1"))
        conn.execute(
            text(
                f"CREATE INDEX {TABLE}_embedding_hnsw ON {TABLE}"
                " USING hnsw (embedding vector_cosine_ops)"
            )
        )
        conn.execute(text(f"ANALYZE {TABLE}"))
    return time.perf_counter() - started


def loaded(engine: Any, n: int, dim: int) -> bool:
    """The table from an earlier run with the same --n/--dim (same seed gives same data)."""
    with engine.begin() as conn:
        if conn.execute(text(f"SELECT to_regclass('{TABLE}_embedding_hnsw')")).scalar() is None:
            return False
        count = conn.execute(text(f"SELECT count(*) FROM {TABLE}")).scalar()
        width = conn.execute(text(f"SELECT vector_dims(embedding) FROM {TABLE} LIMIT 1")).scalar()
    return bool(count == n and width == dim)


def exact_top10(normed: np.ndarray, mask: np.ndarray | None, query: np.ndarray) -> set[str]:
    scores = normed @ (query / np.linalg.norm(query))
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    best = np.argpartition(-scores, 10)[:10]
    return {f"v{i:07d}" for i in best}


def raw_sql_runner(url: str, store: PgVectorStore) -> Any:
    """The same statements PgVectorStore sends, on a raw psycopg connection."""
    conn = psycopg.connect(url, autocommit=False)

    sql_plain = store._query_sql[False, False, False]
    sql_filtered = store._query_sql[True, False, False]

    def run(query: np.ndarray, path: str | None) -> list[str]:
        vector = "[" + ",".join(repr(float(v)) for v in query) + "]"
        with conn.cursor() as cur:
            cur.execute(
                "SELECT set_config('hnsw.iterative_scan', 'strict_order', true),"
                " set_config('hnsw.ef_search', %s, true),"
                " set_config('hnsw.max_scan_tuples', %s, true)",
                (str(store_ef), str(store_mst)),
            )
            params = {"q": vector, "ns": NS, "path": path, "k": 10}
            cur.execute(sql_filtered if path else sql_plain, params)
            ids = [row[0] for row in cur.fetchall()]
        conn.rollback()
        return ids

    store_ef = store._ef_search
    store_mst = store._max_scan_tuples
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--clusters", type=int, default=100)
    parser.add_argument("--ef-search", type=int, default=100)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--pgdata", help="embedded PostgreSQL data directory to keep (reuses a loaded table)"
    )
    args = parser.parse_args()

    from travelcore.vectors import parse_filter
    from travelcore_adapters.pgvector.jsonpath import compile_filter

    data, flags = make_data(args.n, args.dim, args.clusters, args.seed)
    normed = data / np.linalg.norm(data, axis=1, keepdims=True)
    rng = np.random.default_rng(args.seed + 1)
    queries = data[rng.integers(0, args.n, size=args.queries)] + 0.3 * rng.normal(
        size=(args.queries, args.dim)
    ).astype(np.float32)
    masks = {"unfiltered": None, "10% filter": flags < 0.10, "1% filter": flags < 0.01}

    with database_url(args.pgdata) as url:
        sa_url = make_url(url).set(drivername="postgresql+psycopg")
        engine = create_engine(sa_url)
        store = PgVectorStore(engine, args.dim, table=TABLE, ef_search=args.ef_search)
        if loaded(engine, args.n, args.dim):
            load_seconds = 0.0
        else:
            with engine.begin() as conn:
                conn.execute(text(f"DROP TABLE IF EXISTS {TABLE}"))
            create_schema(engine, args.dim, TABLE)
            load_seconds = load(store, engine, data, flags)
        raw = raw_sql_runner(make_url(url).render_as_string(hide_password=False), store)
        print(
            f"n={args.n} dim={args.dim} clusters={args.clusters} queries={args.queries}"
            f" ef_search={args.ef_search}; load + HNSW build {load_seconds:.0f} s"
        )
        print(
            f"{'case':<12} {'recall@10':>9} {'travelcore QPS':>15} {'raw SQL QPS':>12}"
            f" {'ratio':>6} {'exact reruns':>12}"
        )
        for name, flt in FILTERS.items():
            mask = masks[name]
            truth = [exact_top10(normed, mask, q) for q in queries]
            path = compile_filter(parse_filter(flt)) if flt else None  # type: ignore[arg-type]
            for q in queries[:10]:  # warm-up
                store.query(NS, vector=tuple(q.tolist()), top_k=10, filter=flt)
                raw(q, path)
            before = store.exact_fallbacks
            found, tc_time, raw_time = [], 0.0, 0.0
            # Interleaved, and alternating who goes first (the second run of a query finds
            # its pages cached), so machine noise and caching hit both sides alike.
            for number, q in enumerate(queries):
                vector = tuple(q.tolist())
                for side in ("tc", "raw") if number % 2 else ("raw", "tc"):
                    started = time.perf_counter()
                    if side == "tc":
                        matches = store.query(NS, vector=vector, top_k=10, filter=flt)
                        tc_time += time.perf_counter() - started
                    else:
                        raw(q, path)
                        raw_time += time.perf_counter() - started
                found.append({m.id for m in matches})
            tc_qps, raw_qps = len(queries) / tc_time, len(queries) / raw_time
            reruns = store.exact_fallbacks - before
            recall = float(np.mean([len(f & t) / 10 for f, t in zip(found, truth, strict=True)]))
            print(
                f"{name:<12} {recall:>9.3f} {tc_qps:>15.1f} {raw_qps:>12.1f}"
                f" {tc_qps / raw_qps:>6.2f} {reruns:>12d}"
            )
        engine.dispose()


if __name__ == "__main__":
    main()
