"""The pgvector adapter against PostgreSQL 18 + pgvector 0.8."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from sqlalchemy import URL, Engine, create_engine, make_url, text

from tests.adapters.vector_servers import pgvector_engine  # noqa: F401  (fixture)
from travelcore.kernel import AccessDenied, ValidationFailed
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
    create_vector_index,
)
from travelcore_adapters.pgvector.where import compile_where
from travelcore_adapters.postgres.provision import ProvisionedDatabase, admin_connection


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


FIELDS: dict[str, FieldType] = {"category": "string", "rank": "number", "kid": "boolean"}


def test_declared_fields_are_decided_on_their_columns() -> None:
    flt = {"category": "c3", "rank": {"$gte": 10, "$lt": 20}, "kid": True, "other": 1}
    where, params = compile_where(parse_delete_filter(flt), FIELDS)
    for test in ('"f_category" = ', '"f_rank" >= ', '"f_rank" < ', '"f_kid" = '):
        assert test in where
    assert where.count("metadata @?") == 2  # the lists of category, and the undeclared field
    assert "c3" not in where
    assert "c3" in params.values()
    in_sets, _ = compile_where(parse_delete_filter({"rank": {"$in": [1, 2.5]}}), FIELDS)
    assert '"f_rank" = ANY(' in in_sets
    for jsonb_only in (
        {"category": {"$ne": "c3"}},
        {"category": {"$nin": ["c3"]}},
        {"rank": "7"},
        {"rank": {"$in": [1, "7"]}},
        {"kid": 1},
        {"rank": {"$exists": True}},
        {"category": {"$gt": 1}},
    ):
        where, _ = compile_where(parse_delete_filter(jsonb_only), FIELDS)
        assert '"f_' not in where, jsonb_only


def test_equality_and_ranges_on_declared_fields_are_served_by_btree_indexes(
    pgvector_engine: Engine,  # noqa: F811
    pg_table: str,
) -> None:
    create_schema(pgvector_engine, DIMENSION, pg_table, fields=FIELDS)
    store = PgVectorStore(pgvector_engine, DIMENSION, table=pg_table, fields=FIELDS)
    records = [
        VectorRecord(r.id, r.values, {"category": f"c{i % 10}", "rank": i % 100, "kid": i % 2 == 0})
        for i, r in enumerate(_records(3_000))
    ]
    store.bulk_load("ns", records)
    flt = {"category": "c3", "rank": {"$lt": 10}}
    where, params = compile_where(parse_delete_filter(flt), FIELDS)
    raw = pgvector_engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(f"ANALYZE {pg_table}")
        raw.commit()  # the statistics the planner's estimates come from
        cursor.execute(
            f"EXPLAIN SELECT id FROM {pg_table} WHERE namespace = 'ns' AND {where}", params
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    finally:
        raw.close()
    assert f"{pg_table}_f_category" in plan or f"{pg_table}_f_rank" in plan, plan
    assert "metadata_gin" not in plan
    reference = MemoryVectorStore(DIMENSION)
    reference.upsert("ns", records)
    query = records[5].values
    want = [m.id for m in reference.query("ns", vector=query, filter=flt)]
    assert [m.id for m in store.query("ns", vector=query, top_k=10, filter=flt)] == want
    assert store.exact_searches == 1  # about 30 rows expected: ranked exactly
    graph = PgVectorStore(pgvector_engine, DIMENSION, table=pg_table, fields=FIELDS, exact_rows=0)
    assert [m.id for m in graph.query("ns", vector=query, top_k=10, filter=flt)] == want
    assert graph.exact_searches == 0
    wide = {"category": {"$in": [f"c{i}" for i in range(8)]}}
    assert len(store.query("ns", vector=query, top_k=10, filter=wide)) == 10
    assert store.exact_searches == 1  # 2,400 rows expected: the HNSW index
    _drop(pgvector_engine, pg_table)


def test_bulk_load_arrays_takes_numpy_rows_and_matches_upsert(
    pg_store: PgVectorStore,
) -> None:
    records = _records(300)
    vectors = np.array([r.values for r in records], dtype=np.float64)
    ids = [r.id for r in records]
    assert pg_store.bulk_load_arrays("arrays", ids, vectors, [r.metadata for r in records]) == 300
    pg_store.upsert("upserted", records)
    fetched = pg_store.fetch("arrays", ids[:3]).records
    for rid, row in zip(ids[:3], vectors[:3], strict=True):
        assert fetched[rid].values == pytest.approx(tuple(row.tolist()), rel=1e-6)
    query = records[0].values
    for flt in (None, {"tenth": True}, {"n": {"$gte": 100, "$lt": 130}}):
        by_arrays = pg_store.query("arrays", vector=query, top_k=15, filter=flt)
        by_upsert = pg_store.query("upserted", vector=query, top_k=15, filter=flt)
        assert [m.id for m in by_arrays] == [m.id for m in by_upsert]
    assert pg_store.bulk_load_arrays("arrays", ids[:2], vectors[:2] * -1) == 2  # replaces
    assert pg_store.fetch("arrays", ids[:1]).records[ids[0]].metadata == {}
    assert pg_store.stats().namespaces["arrays"] == 300


@pytest.mark.parametrize(
    ("ids", "vectors", "metadata", "field", "rule"),
    [
        (["a"], np.ones((1, DIMENSION + 1)), None, "vectors", "dimension"),
        (["a"], np.ones(DIMENSION), None, "vectors", "dimension"),
        (["a", "b"], np.ones((1, DIMENSION)), None, "ids", "same_length"),
        (
            ["a", "b"],
            np.array([[1.0] * DIMENSION, [np.nan] * DIMENSION]),
            None,
            "vectors[1]",
            "finite_numbers",
        ),
        (
            ["a", "b"],
            np.array([[1.0] * DIMENSION, [0.0] * DIMENSION]),
            None,
            "vectors[1]",
            "non_zero",
        ),
        (["a", "a"], np.ones((2, DIMENSION)), None, "ids[1]", "unique"),
        (["é"], np.ones((1, DIMENSION)), None, "id", "ascii"),
        (["a"], np.ones((1, DIMENSION)), [{"x": None}], "metadata.x", "not_null"),
    ],
)
def test_bulk_load_arrays_refuses_bad_rows_before_writing(
    pg_store: PgVectorStore,
    ids: list[str],
    vectors: Any,
    metadata: Any,
    field: str,
    rule: str,
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        pg_store.bulk_load_arrays("ns", ids, vectors, metadata)
    assert (caught.value.field, caught.value.rule) == (field, rule)
    assert pg_store.stats().namespaces == {}


def test_bulk_load_refuses_a_wrong_dimension_and_the_zero_vector(pg_store: PgVectorStore) -> None:
    with pytest.raises(ValidationFailed) as caught:
        pg_store.bulk_load("ns", [VectorRecord("a", unit(1)), VectorRecord("b", (1.0, 2.0))])
    assert (caught.value.field, caught.value.rule) == ("records[1].values", "dimension")
    with pytest.raises(ValidationFailed) as caught:
        pg_store.bulk_load("ns", [VectorRecord("a", (0.0,) * DIMENSION)])
    assert (caught.value.field, caught.value.rule) == ("records[0]", "non_zero")
    assert pg_store.bulk_load("ns", []) == 0


def _engine(url: URL) -> Engine:
    return create_engine(url.set(drivername="postgresql+psycopg"), pool_size=2)


@pytest.fixture
def roles(postgres_test_database: ProvisionedDatabase) -> Iterator[tuple[Engine, Engine, str]]:
    """Engines as the documented owner and application roles, and the application role."""
    owner = _engine(postgres_test_database.owner_url)
    app = _engine(postgres_test_database.app_url)
    yield owner, app, postgres_test_database.app_role
    owner.dispose()
    app.dispose()


def test_the_documented_roles_create_load_index_and_query(
    roles: tuple[Engine, Engine, str], pg_table: str
) -> None:
    owner, app, app_role = roles
    create_schema(owner, DIMENSION, pg_table, fields=FIELDS, app_role=app_role, defer_index=True)
    create_schema(owner, DIMENSION, pg_table, fields=FIELDS, app_role=app_role, defer_index=True)
    store = PgVectorStore(app, DIMENSION, table=pg_table, fields=FIELDS)
    records = _records(2_000)
    assert store.bulk_load("ns", records[:1_500]) == 1_500  # new ids: straight into the table
    assert store.bulk_load("ns", records[1_000:]) == 1_000  # some exist: through staging
    assert store.stats().namespaces == {"ns": 2_000}
    with pytest.raises(AccessDenied):
        create_vector_index(app, pg_table)  # only the owner may build an index
    create_vector_index(owner, pg_table)
    with owner.connect() as conn:
        assert conn.execute(text(f"SELECT to_regclass('{pg_table}_embedding_hnsw')")).scalar()
        left = conn.execute(text(f"SELECT count(*) FROM {pg_table}_load")).scalar()
    assert left == 0
    got = store.query("ns", vector=records[7].values, top_k=5, filter={"tenth": True})
    assert len(got) == 5
    assert store.exact_fallbacks == 0
    _drop(owner, pg_table)


def test_loads_without_the_grants_say_which_are_needed(
    roles: tuple[Engine, Engine, str], pg_table: str
) -> None:
    owner, app, app_role = roles
    create_schema(owner, DIMENSION, pg_table)
    store = PgVectorStore(app, DIMENSION, table=pg_table)
    with pytest.raises(AccessDenied):
        store.bulk_load("ns", _records(3))
    with owner.begin() as conn:
        conn.execute(text(f'GRANT SELECT, INSERT, UPDATE ON {pg_table} TO "{app_role}"'))
    assert store.bulk_load("ns", _records(3)) == 3
    with pytest.raises(AccessDenied, match=r"create_schema\(\.\.\., app_role=\.\.\.\)"):
        store.bulk_load("ns", _records(3))  # existing ids need the staging table
    with owner.begin() as conn:
        conn.execute(text(f"DROP TABLE {pg_table}_load"))
    with pytest.raises(ValidationFailed) as caught:
        PgVectorStore(owner, DIMENSION, table=pg_table).bulk_load("ns", _records(3))
    assert caught.value.rule == "staging_table"
    with owner.begin() as conn:
        conn.execute(text(f"DROP TABLE {pg_table}"))


def test_create_schema_without_the_extension_says_who_must_install_it(
    postgres_superuser_url: str,
) -> None:
    suffix = uuid.uuid4().hex[:8]
    name, role = f"tc_noext_{suffix}", f"tc_noext_{suffix}"
    with admin_connection(postgres_superuser_url) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN NOSUPERUSER PASSWORD 'pw'")
        conn.execute(f"CREATE DATABASE {name} OWNER {role}")
    url = make_url(postgres_superuser_url).set(database=name, username=role, password="pw")
    engine = _engine(url)
    try:
        with pytest.raises(AccessDenied, match="CREATE EXTENSION vector"):
            create_schema(engine, DIMENSION, "tc_vectors")
    finally:
        engine.dispose()
        with admin_connection(postgres_superuser_url) as conn:
            conn.execute(f"DROP DATABASE {name}")
            conn.execute(f"DROP ROLE {role}")


@pytest.mark.parametrize(
    ("call", "field", "rule"),
    [
        (lambda e: create_schema(e, 8, "Bad-Name"), "table", "identifier"),
        (lambda e: create_schema(e, 0, "t_ok"), "dimension", "range"),
        (lambda e: create_schema(e, 8, "t_ok", fields={"a-b": "string"}), "fields", "key_pattern"),
        (lambda e: create_schema(e, 8, "t_ok", fields={"a": "date"}), "fields.a", "field_type"),
        (lambda e: create_schema(e, 8, "t_ok", app_role="x; DROP"), "app_role", "identifier"),
        (
            lambda e: create_vector_index(e, "t_ok", maintenance_work_mem="1 GB;"),
            "maintenance_work_mem",
            "size",
        ),
        (lambda e: PgVectorStore(e, 8, fields={"a": "list"}), "fields.a", "field_type"),
    ],
)
def test_schema_arguments_are_refused_before_any_statement(
    pgvector_engine: Engine,  # noqa: F811
    call: Any,
    field: str,
    rule: str,
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        call(pgvector_engine)
    assert (caught.value.field, caught.value.rule) == (field, rule)
    with pgvector_engine.connect() as conn:
        assert conn.execute(text("SELECT to_regclass('t_ok')")).scalar() is None
