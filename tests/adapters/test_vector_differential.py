"""Differential test: random records and filters give the same ids on memory, pgvector (with
and without declared fields) and needledb (via the Pinecone adapter); random invalid filters
are refused by all of them."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import Engine, text

from tests.adapters.vector_servers import (  # noqa: F401  (fixtures)
    needledb_server,
    pgvector_engine,
    pinecone_store_factory,
)
from travelcore.kernel import InvalidFilter
from travelcore.testing.vectors import DIMENSION, unit
from travelcore.vectors import VectorRecord, VectorStore
from travelcore_adapters.memory.vectors import MemoryVectorStore
from travelcore_adapters.pgvector import FieldType, PgVectorStore, create_schema

KEYS = ["a", "b", "tags"]
DECLARED: dict[str, FieldType] = {"a": "number", "b": "boolean", "tags": "string"}
"""pgvector with every key in a typed column (the other types and lists still occur)."""
strings = st.sampled_from(["x", "y", "7", ""])
numbers = st.one_of(st.integers(-3, 3), st.sampled_from([0.5, 2.0, -1.5, 7.0]))
scalars = st.one_of(strings, numbers, st.booleans())
metadata_values = st.one_of(scalars, st.lists(st.sampled_from(["x", "y", "7"]), max_size=3))
metadata = st.dictionaries(st.sampled_from(KEYS), metadata_values, max_size=3)
set_values = st.lists(st.one_of(strings, numbers), min_size=1, max_size=3)


def _leaf(key: str) -> st.SearchStrategy[dict[str, Any]]:
    conditions = st.one_of(
        scalars,
        st.builds(lambda v: {"$eq": v}, scalars),
        st.builds(lambda v: {"$ne": v}, scalars),
        st.builds(lambda op, v: {op: v}, st.sampled_from(["$gt", "$gte", "$lt", "$lte"]), numbers),
        st.builds(lambda op, v: {op: v}, st.sampled_from(["$in", "$nin"]), set_values),
        st.builds(lambda v: {"$exists": v}, st.booleans()),
    )
    return conditions.map(lambda c: {key: c})


leaves = st.sampled_from([*KEYS, "missing"]).flatmap(_leaf)
filters = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.builds(lambda items: {"$and": items}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda items: {"$or": items}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda x, y: {**x, **y}, leaves, leaves),
    ),
    max_leaves=5,
)
invalid_filters = st.one_of(
    st.builds(
        lambda k, op: {k: {op: 1}},
        st.sampled_from(KEYS),
        st.sampled_from(["$not", "$like", "$between", "$regex", "$size", "$all", "$elemMatch"]),
    ),
    st.builds(lambda k: {k: None}, st.sampled_from(KEYS)),
    st.builds(lambda k, op: {k: {op: []}}, st.sampled_from(KEYS), st.sampled_from(["$in", "$nin"])),
    st.builds(
        lambda k, op, v: {k: {op: v}},
        st.sampled_from(KEYS),
        st.sampled_from(["$gt", "$gte", "$lt", "$lte"]),
        st.one_of(st.booleans(), strings, st.none(), st.lists(numbers, min_size=1)),
    ),
    st.builds(
        lambda k, v: {k: {"$exists": v}},
        st.sampled_from(KEYS),
        st.one_of(st.integers(), strings, st.none()),
    ),
    st.builds(lambda k: {k: 1}, st.sampled_from(["bad-key", "1a", "", "a.b", "$x"])),
    st.builds(lambda k, v: {k: {"nested": v}}, st.sampled_from(KEYS), scalars),
    st.builds(lambda op: {op: []}, st.sampled_from(["$and", "$or"])),
)


@pytest.fixture
def stores(
    pgvector_engine: Engine,  # noqa: F811
    pinecone_store_factory: Callable[..., Any],  # noqa: F811
) -> Iterator[dict[str, VectorStore]]:
    table, declared = f"d_{uuid.uuid4().hex[:12]}", f"d_{uuid.uuid4().hex[:12]}"
    create_schema(pgvector_engine, DIMENSION, table)
    create_schema(pgvector_engine, DIMENSION, declared, fields=DECLARED)
    yield {
        "memory": MemoryVectorStore(DIMENSION),
        "pgvector": PgVectorStore(pgvector_engine, DIMENSION, table=table),
        "pgvector_declared": PgVectorStore(
            pgvector_engine, DIMENSION, table=declared, fields=DECLARED
        ),
        "pinecone": pinecone_store_factory(DIMENSION),
    }
    with pgvector_engine.begin() as conn:
        for name in (table, declared):
            conn.execute(text(f"DROP TABLE {name}, {name}_load"))


@settings(max_examples=60)
@given(
    records=st.lists(metadata, min_size=1, max_size=12),
    flts=st.lists(filters, min_size=3, max_size=3),
)
def test_all_adapters_return_the_same_ids(
    stores: dict[str, VectorStore], records: list[dict[str, Any]], flts: list[dict[str, Any]]
) -> None:
    namespace = f"diff-{uuid.uuid4().hex[:8]}"
    batch = [VectorRecord(f"r{i:02d}", unit(i), m) for i, m in enumerate(records)]
    for store in stores.values():
        assert store.upsert(namespace, batch).ok
    for flt in flts:
        results = {
            name: sorted(
                m.id for m in store.query(namespace, vector=unit(0), top_k=100, filter=flt)
            )
            for name, store in stores.items()
        }
        assert results["pgvector"] == results["memory"], (flt, records)
        assert results["pgvector_declared"] == results["memory"], (flt, records)
        assert results["pinecone"] == results["memory"], (flt, records)


@settings(max_examples=40)
@given(flt=invalid_filters)
def test_all_adapters_refuse_the_same_invalid_filters(
    stores: dict[str, VectorStore], flt: dict[str, Any]
) -> None:
    for store in stores.values():
        with pytest.raises(InvalidFilter):
            store.query("diff", vector=unit(0), filter=flt)
        with pytest.raises(InvalidFilter):
            store.delete("diff", filter=flt)


IDS = [f"r{i:02d}" for i in range(16)]


def test_adapters_stay_equal_through_writes_and_deletes(stores: dict[str, VectorStore]) -> None:
    """Stateful: random upserts and deletes (by ids, filter, prefix) keep every adapter's
    contents, listings, counts and query results identical."""

    class Machine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.namespace = f"sm-{uuid.uuid4().hex[:8]}"

        @rule(
            ids=st.lists(st.sampled_from(IDS), min_size=1, max_size=5, unique=True),
            meta=metadata,
        )
        def upsert(self, ids: list[str], meta: dict[str, Any]) -> None:
            batch = [VectorRecord(rid, unit(IDS.index(rid) + len(meta)), meta) for rid in ids]
            for store in stores.values():
                assert store.upsert(self.namespace, batch).ok

        @rule(ids=st.lists(st.sampled_from(IDS), min_size=1, max_size=4))
        def delete_ids(self, ids: list[str]) -> None:
            for store in stores.values():
                store.delete(self.namespace, ids=ids)

        @rule(flt=filters)
        def delete_filter(self, flt: dict[str, Any]) -> None:
            for store in stores.values():
                store.delete(self.namespace, filter=flt)

        @rule(prefix=st.sampled_from(["r0", "r1", "r01", "r1x"]))
        def delete_prefix(self, prefix: str) -> None:
            for store in stores.values():
                store.delete(self.namespace, prefix=prefix)

        @invariant()
        def same_contents(self) -> None:
            seen = {}
            for name, store in stores.items():
                listed: list[str] = []
                token = None
                while True:
                    page = store.list_ids(self.namespace, limit=5, page_token=token)
                    listed.extend(page.ids)
                    token = page.next_token
                    if token is None:
                        break
                fetched = store.fetch(self.namespace, IDS).records
                seen[name] = (
                    sorted(listed),
                    {rid: record.metadata for rid, record in fetched.items()},
                    store.stats().namespaces.get(self.namespace, 0),
                    sorted(
                        m.id
                        for m in store.query(
                            self.namespace,
                            vector=unit(0),
                            top_k=50,
                            filter={"a": {"$exists": True}},
                        )
                    ),
                )
            assert seen["pgvector"] == seen["memory"]
            assert seen["pgvector_declared"] == seen["memory"]
            assert seen["pinecone"] == seen["memory"]

    run_state_machine_as_test(
        Machine, settings=settings(max_examples=10, stateful_step_count=8, deadline=None)
    )
