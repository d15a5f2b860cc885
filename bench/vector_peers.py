"""pgvector through travelcore and through the stores a team would otherwise pick, on one
server and the same data: langchain-postgres ``PGVector`` and ``PGVectorStore`` and
llama-index's ``PGVectorStore``.

    nox -s bench_peers                                  # 20,000 x 384, 100 queries
    nox -s bench_peers -- --n 50000 --queries 200

Runs in an environment of its own (the peers pin older SQLAlchemy and pgvector). Data,
filters and ground truth are ``bench.vectors``'s: clustered vectors, ``category`` equality
plus a ``rank`` range matching 10 % and 1 % of the rows, exact numpy top-10 over the same
filtered rows. Each store loads the rows in slices of 5,000 through its own API, and gets
the indexes its documentation offers for this: an HNSW cosine index (m = 16,
ef_construction = 64, built after the load where the API allows, else created with the
table) and its way of indexing the two fields (travelcore: declared fields; langchain
``PGVectorStore``: metadata columns; llama-index: ``indexed_metadata_keys``; langchain
``PGVector``: none beyond its JSONB column). ``hnsw.ef_search`` is 100 for everyone (set on
the database). Queries run one at a time, interleaved store by store, rotating who goes
first. Printed per case: recall@10, queries/s and short results (queries that returned
fewer than 10 rows although at least 10 match).
"""

from __future__ import annotations

import argparse
import time
import uuid
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
from sqlalchemy import URL, create_engine, make_url, text

from bench.vectors import (
    FILTERS,
    NS,
    database_url,
    exact_top10,
    ids,
    make_data,
    masks,
    metadata,
    queries_for,
    recall,
)
from travelcore_adapters.pgvector import PgVectorStore, create_schema, create_vector_index

DATABASE = "bench_peers"
SLICE = 5_000
Search = Callable[[np.ndarray, dict[str, Any] | None], list[str]]
Loader = Callable[[int, int], None]


class Peer:
    """One store under test: ``load(start, stop)`` for a slice of rows, ``finish()`` after
    the last slice, ``search(query, filter)`` returning ids."""

    def __init__(self, name: str, load: Loader, finish: Callable[[], None], search: Search):
        self.name, self.load, self.finish, self.search = name, load, finish, search


def _sqlalchemy_url(url: str, driver: str) -> URL:
    return make_url(url).set(drivername=f"postgresql+{driver}", database=DATABASE)


def travelcore_peer(url: str, data: np.ndarray, attributes: np.ndarray) -> Peer:
    engine = create_engine(_sqlalchemy_url(url, "psycopg"))
    fields: dict[str, Any] = {"category": "string", "rank": "number"}
    dim = data.shape[1]
    create_schema(engine, dim, "tc_peers", fields=fields, defer_index=True)
    store = PgVectorStore(engine, dim, table="tc_peers", fields=fields, ef_search=100)

    def load(start: int, stop: int) -> None:
        store.bulk_load_arrays(
            NS, ids(start, stop), data[start:stop], metadata(attributes, start, stop)
        )

    def search(query: np.ndarray, flt: dict[str, Any] | None) -> list[str]:
        return [m.id for m in store.query(NS, vector=tuple(query.tolist()), top_k=10, filter=flt)]

    return Peer(
        "travelcore PgVectorStore", load, partial(create_vector_index, engine, "tc_peers"), search
    )


def _given_vectors() -> Any:
    """langchain's stores want an embedding model; the benchmark passes its vectors."""
    from langchain_core.embeddings import Embeddings

    class GivenVectors(Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            raise RuntimeError("the benchmark passes its vectors; nothing to embed")

        def embed_query(self, text: str) -> list[float]:
            raise RuntimeError("the benchmark passes its vectors; nothing to embed")

    return GivenVectors()


def _langchain_filter(flt: dict[str, Any] | None) -> dict[str, Any] | None:
    if flt is None:
        return None
    return {"category": {"$eq": flt["category"]}, "rank": flt["rank"]}


def langchain_pgvector_peer(url: str, data: np.ndarray, attributes: np.ndarray) -> Peer:
    from langchain_postgres import PGVector

    embeddings = _given_vectors()
    engine = create_engine(_sqlalchemy_url(url, "psycopg"))
    store = PGVector(
        embeddings,
        connection=engine,
        embedding_length=data.shape[1],
        collection_name="peers",
        use_jsonb=True,
        create_extension=False,
    )

    def load(start: int, stop: int) -> None:
        store.add_embeddings(
            texts=[""] * (stop - start),
            embeddings=data[start:stop].tolist(),
            metadatas=metadata(attributes, start, stop),
            ids=ids(start, stop),
        )

    def finish() -> None:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "CREATE INDEX ON langchain_pg_embedding"
                    " USING hnsw (embedding vector_cosine_ops)"
                )
            )
            conn.execute(text("ANALYZE langchain_pg_embedding"))

    def search(query: np.ndarray, flt: dict[str, Any] | None) -> list[str]:
        found = store.similarity_search_by_vector(
            query.tolist(), k=10, filter=_langchain_filter(flt)
        )
        return [str(doc.id) for doc in found]

    return Peer("langchain-postgres PGVector", load, finish, search)


def langchain_pgvectorstore_peer(url: str, data: np.ndarray, attributes: np.ndarray) -> Peer:
    from langchain_postgres import Column, PGEngine, PGVectorStore
    from langchain_postgres.v2.indexes import HNSWIndex, HNSWQueryOptions

    embeddings = _given_vectors()
    engine = PGEngine.from_connection_string(
        _sqlalchemy_url(url, "asyncpg").render_as_string(hide_password=False)
    )
    engine.init_vectorstore_table(
        "lc_peers",
        data.shape[1],
        metadata_columns=[Column("category", "TEXT"), Column("rank", "INTEGER")],
    )
    store = PGVectorStore.create_sync(
        engine,
        embeddings,
        "lc_peers",
        metadata_columns=["category", "rank"],
        index_query_options=HNSWQueryOptions(ef_search=100),
    )
    to_row: dict[str, str] = {}

    def load(start: int, stop: int) -> None:
        rows = ids(start, stop)
        keys = [str(uuid.uuid5(uuid.NAMESPACE_OID, rid)) for rid in rows]
        to_row.update(zip(keys, rows, strict=True))
        store.add_embeddings(
            texts=[""] * (stop - start),
            embeddings=data[start:stop].tolist(),
            metadatas=metadata(attributes, start, stop),
            ids=keys,
        )

    def finish() -> None:
        store.apply_vector_index(HNSWIndex())

    def search(query: np.ndarray, flt: dict[str, Any] | None) -> list[str]:
        found = store.similarity_search_by_vector(
            query.tolist(), k=10, filter=_langchain_filter(flt)
        )
        return [to_row[str(doc.id)] for doc in found]

    return Peer("langchain-postgres PGVectorStore", load, finish, search)


def llama_index_peer(url: str, data: np.ndarray, attributes: np.ndarray) -> Peer:
    from llama_index.core.schema import TextNode
    from llama_index.core.vector_stores.types import (
        FilterOperator,
        MetadataFilter,
        MetadataFilters,
        VectorStoreQuery,
    )
    from llama_index.vector_stores.postgres import PGVectorStore

    store = PGVectorStore.from_params(
        connection_string=_sqlalchemy_url(url, "psycopg2"),
        async_connection_string=_sqlalchemy_url(url, "asyncpg"),
        table_name="peers",
        embed_dim=data.shape[1],
        use_jsonb=True,
        hnsw_kwargs={
            "hnsw_m": 16,
            "hnsw_ef_construction": 64,
            "hnsw_ef_search": 100,
            "hnsw_dist_method": "vector_cosine_ops",
        },
        indexed_metadata_keys={("category", "text"), ("rank", "int")},
    )

    def load(start: int, stop: int) -> None:
        store.add(
            [
                TextNode(id_=rid, text="", embedding=vector.tolist(), metadata=meta)
                for rid, vector, meta in zip(
                    ids(start, stop),
                    data[start:stop],
                    metadata(attributes, start, stop),
                    strict=True,
                )
            ]
        )

    def search(query: np.ndarray, flt: dict[str, Any] | None) -> list[str]:
        filters = None
        if flt is not None:
            filters = MetadataFilters(
                filters=[
                    MetadataFilter(key="category", value=flt["category"]),
                    MetadataFilter(
                        key="rank", value=flt["rank"]["$lt"], operator=FilterOperator.LT
                    ),
                ]
            )
        found = store.query(
            VectorStoreQuery(query_embedding=query.tolist(), similarity_top_k=10, filters=filters)
        )
        return list(found.ids or [])

    return Peer("llama-index PGVectorStore", load, lambda: None, search)


PEERS = [travelcore_peer, langchain_pgvector_peer, langchain_pgvectorstore_peer, llama_index_peer]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--clusters", type=int, default=100)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--pgdata", help="embedded PostgreSQL data directory to keep")
    args = parser.parse_args()

    data, attributes = make_data(args.n, args.dim, args.clusters, args.seed)
    normed = data / np.linalg.norm(data, axis=1, keepdims=True)
    queries = queries_for(data, args.queries, args.seed)
    row_masks = masks(attributes)

    with database_url(args.pgdata) as url:
        admin = create_engine(
            make_url(url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
            conn.execute(text(f"CREATE DATABASE {DATABASE}"))
            conn.execute(text(f"ALTER DATABASE {DATABASE} SET hnsw.ef_search = 100"))
        with create_engine(_sqlalchemy_url(url, "psycopg")).begin() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS vector"))
        peers = [make(url, data, attributes) for make in PEERS]
        print(f"n={args.n} dim={args.dim} clusters={args.clusters} queries={args.queries}")
        print(f"{'store':<34} {'load rows/s':>11} {'index s':>8}")
        for peer in peers:
            started = time.perf_counter()
            for start in range(0, args.n, SLICE):
                peer.load(start, min(start + SLICE, args.n))
            loaded = time.perf_counter()
            peer.finish()
            index_seconds = time.perf_counter() - loaded
            print(f"{peer.name:<34} {args.n / (loaded - started):>11.0f} {index_seconds:>8.1f}")
        print(f"{'case':<12} {'store':<34} {'recall@10':>9} {'QPS':>7} {'short':>5}")
        for case, flt in FILTERS.items():
            truth = [exact_top10(normed, row_masks[case], q) for q in queries]
            for peer in peers:  # warm-up
                for q in queries[:5]:
                    peer.search(q, flt)
            found: dict[str, list[set[str]]] = {peer.name: [] for peer in peers}
            seconds = dict.fromkeys(found, 0.0)
            short = dict.fromkeys(found, 0)
            for number, q in enumerate(queries):
                shift = number % len(peers)
                for peer in peers[shift:] + peers[:shift]:
                    started = time.perf_counter()
                    got = peer.search(q, flt)
                    seconds[peer.name] += time.perf_counter() - started
                    found[peer.name].append(set(got))
                    short[peer.name] += len(got) < 10
            for peer in peers:
                print(
                    f"{case:<12} {peer.name:<34} {recall(found[peer.name], truth):>9.3f}"
                    f" {len(queries) / seconds[peer.name]:>7.1f} {short[peer.name]:>5d}"
                )


if __name__ == "__main__":
    main()
