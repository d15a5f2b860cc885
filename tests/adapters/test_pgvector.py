"""The pgvector adapter against PostgreSQL 18 + pgvector 0.8."""

from __future__ import annotations

import random
import uuid

import pytest
from sqlalchemy import Engine, text

from tests.adapters.vector_servers import pgvector_engine  # noqa: F401  (fixture)
from travelcore.testing import TextSearchContract, VectorStoreContract
from travelcore.testing.vectors import DIMENSION, unit
from travelcore.vectors import VectorRecord, parse_delete_filter
from travelcore_adapters.memory.vectors import MemoryVectorStore
from travelcore_adapters.pgvector import (
    FieldType,
    PgTextSearch,
    PgVectorStore,
    compile_filter,
    create_schema,
    create_text_schema,
)


@pytest.fixture
def pg_table(pgvector_engine: Engine) -> str:  # noqa: F811
    return f"t_{uuid.uuid4().hex[:12]}"


GOLDEN_DECLARATIONS: list[dict[str, FieldType]] = [
    {},
    # every golden field declared, each holding other types (and lists) in some records
    {
        "genre": "string",
        "year": "number",
        "rating": "number",
        "kid": "boolean",
        "code": "number",
        "tags": "string",
    },
    {"code": "string", "tags": "string", "genre": "number", "year": "boolean", "kid": "string"},
]


class TestPgVectorStore(VectorStoreContract):
    @pytest.fixture(params=GOLDEN_DECLARATIONS, ids=["jsonb", "declared", "declared_other_types"])
    def vector_store(
        self,
        request: pytest.FixtureRequest,
        pgvector_engine: Engine,  # noqa: F811
        pg_table: str,
    ) -> object:
        create_schema(pgvector_engine, DIMENSION, pg_table, fields=request.param)
        yield PgVectorStore(pgvector_engine, DIMENSION, table=pg_table, fields=request.param)
        _drop(pgvector_engine, pg_table)


def _drop(engine: Engine, table: str) -> None:
    with engine.begin() as conn:
        conn.execute(text(f"DROP TABLE {table}, {table}_load"))


@pytest.fixture
def pg_store(pgvector_engine: Engine, pg_table: str) -> object:  # noqa: F811
    create_schema(pgvector_engine, DIMENSION, pg_table)
    yield PgVectorStore(pgvector_engine, DIMENSION, table=pg_table, ef_search=10)
    _drop(pgvector_engine, pg_table)


def _records(n: int) -> list[VectorRecord]:
    rng = random.Random(7)
    return [
        VectorRecord(
            f"v{i:05d}",
            tuple(rng.gauss(0, 1) for _ in range(DIMENSION)),
            {"sel": i % 100 == 0, "tenth": i % 10 == 0, "n": i},
        )
        for i in range(n)
    ]


def test_a_one_percent_filter_still_returns_k_exact_rows(pg_store: PgVectorStore) -> None:
    records = _records(3_000)
    assert pg_store.bulk_load("ns", records) == 3_000
    reference = MemoryVectorStore(DIMENSION)
    reference.upsert("ns", records)
    query = tuple(random.Random(1).gauss(0, 1) for _ in range(DIMENSION))
    for flt in ({"sel": True}, {"tenth": True}, {"n": {"$lt": 25}}):
        got = pg_store.query("ns", vector=query, top_k=20, filter=flt)
        want = reference.query("ns", vector=query, top_k=20, filter=flt)
        assert len(got) == 20
        assert [m.id for m in got] == [m.id for m in want]
        assert [m.score for m in got] == pytest.approx([m.score for m in want], abs=1e-5)
    assert pg_store.exact_fallbacks == 0  # the iterative index scan found them on its own


def test_bulk_load_upserts(pg_store: PgVectorStore) -> None:
    pg_store.upsert("ns", [VectorRecord("v00001", unit(1), {"old": True})])
    pg_store.bulk_load("ns", _records(5))
    assert pg_store.fetch("ns", ["v00001"]).records["v00001"].metadata["n"] == 1
    assert pg_store.stats().namespaces["ns"] == 5


def test_filter_values_never_reach_sql_text(pg_store: PgVectorStore) -> None:
    nasty = "x') OR true; DROP TABLE tc_vectors; --\"\\ $ @"
    pg_store.upsert("ns", [VectorRecord("a", unit(1), {"s": nasty}), VectorRecord("b", unit(2))])
    assert [m.id for m in pg_store.query("ns", vector=unit(1), filter={"s": nasty})] == ["a"]
    assert [m.id for m in pg_store.query("ns", vector=unit(1), filter={"s": nasty[:-1]})] == []
    assert compile_filter(parse_delete_filter({"s": nasty})).count('"') == 4 + nasty.count('"')


def test_jsonpath_filters_can_use_the_gin_index(
    pg_store: PgVectorStore,
    pgvector_engine: Engine,  # noqa: F811
    pg_table: str,
) -> None:
    pg_store.upsert("ns", _records(200))
    path = compile_filter(parse_delete_filter({"n": 5}))
    with pgvector_engine.begin() as conn:
        conn.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(
            row[0]
            for row in conn.execute(
                text(f"EXPLAIN SELECT id FROM {pg_table} WHERE metadata @? CAST(:p AS jsonpath)"),
                {"p": path},
            )
        )
    assert f"{pg_table}_metadata_gin" in plan


class TestPgTextSearch(TextSearchContract):
    @pytest.fixture
    def text_search(self, pgvector_engine: Engine, pg_table: str) -> object:  # noqa: F811
        create_text_schema(pgvector_engine, pg_table)
        yield PgTextSearch(pgvector_engine, pg_table)
        with pgvector_engine.begin() as conn:
            conn.execute(text(f"DROP TABLE {pg_table}"))


def test_unfiltered_queries_are_served_by_the_hnsw_index(
    pg_store: PgVectorStore,
    pgvector_engine: Engine,  # noqa: F811
    pg_table: str,
) -> None:
    pg_store.bulk_load("ns", _records(3_000))
    params = {"q": "[" + ",".join(["0.5"] * DIMENSION) + "]", "ns": "ns", "k": 10}
    raw = pgvector_engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(f"ANALYZE {pg_table}")
        cursor.execute("EXPLAIN " + pg_store._query_sql[False, False], params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        assert f"Index Scan using {pg_table}_embedding_hnsw" in plan
    finally:
        raw.close()
