"""The contract every vector-store adapter honours, with the golden filter table.

Subclass :class:`VectorStoreContract` and provide the fixture ``vector_store``: a fresh,
empty store for vectors of dimension :data:`DIMENSION` (8).
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from travelcore.kernel.errors import InvalidFilter, NotFound, ValidationFailed
from travelcore.vectors.filters import parse_filter
from travelcore.vectors.ports import TextSearch, VectorStore
from travelcore.vectors.records import VectorRecord, batches

DIMENSION = 8
NS = "contract:activities"
QUERY = (1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


def golden_vector(index: int) -> tuple[float, ...]:
    """Cosine with QUERY is 1/sqrt(1 + (index/10)^2): distinct and decreasing with index."""
    return (1.0, index / 10, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


GOLDEN_METADATA: list[dict[str, Any]] = [
    {"genre": "drama", "year": 2020, "rating": 4.5, "tags": ["a", "b"], "kid": True, "code": "7"},
    {"genre": "comedy", "year": 2019, "rating": 3.0, "tags": ["b"], "kid": False, "code": 7},
    {"genre": "drama", "year": 2021.0, "tags": [], "kid": False},
    {"genre": "action", "year": 2020.0, "rating": 5, "tags": ["c"], "code": 7.0},
    {},
    {"genre": "Drama", "year": 1999, "kid": True, "tags": ["a"]},
    {"genre": "comedy", "rating": 2.5, "kid": True, "code": "x"},
    {"year": 2020, "tags": ["drama", "c"], "kid": False},
    {"genre": "doc", "year": 2018, "rating": 4.0, "tags": ["a", "c"], "code": 1},
    {"genre": "drama", "year": 2022, "rating": 0, "kid": True, "code": True},
    {"genre": "7", "year": -5, "rating": -1.5, "tags": ["7"]},
    {"genre": "comedy", "year": 2020, "rating": 4.5, "tags": ["b", "c"], "kid": False, "code": 0},
    {"kid": True, "code": False},
    {"genre": "", "year": 0, "tags": ["a", "b", "c"]},
    {"genre": "action", "year": 2023, "rating": 3.5, "kid": False, "tags": ["true"]},
]
ALL = list(range(len(GOLDEN_METADATA)))

# (filter, expected record indexes); ids are f"r{index:02d}", expected order = index order.
GOLDEN_CASES: list[tuple[dict[str, Any], list[int]]] = [
    ({}, ALL),
    ({"genre": "drama"}, [0, 2, 9]),
    ({"genre": {"$eq": "drama"}}, [0, 2, 9]),
    ({"genre": "Drama"}, [5]),
    ({"genre": {"$ne": "drama"}}, [1, 3, 5, 6, 8, 10, 11, 13, 14]),
    ({"year": 2020}, [0, 3, 7, 11]),
    ({"year": 2020.0}, [0, 3, 7, 11]),
    ({"year": {"$ne": 2020}}, [1, 2, 5, 8, 9, 10, 13, 14]),
    ({"code": 7}, [1, 3]),
    ({"code": "7"}, [0]),
    ({"code": 1}, [8]),
    ({"code": True}, [9]),
    ({"code": 0}, [11]),
    ({"code": False}, [12]),
    ({"kid": True}, [0, 5, 6, 9, 12]),
    ({"kid": False}, [1, 2, 7, 11, 14]),
    ({"kid": {"$ne": True}}, [1, 2, 7, 11, 14]),
    ({"kid": {"$exists": False}}, [3, 4, 8, 10, 13]),
    ({"kid": {"$exists": True}}, [0, 1, 2, 5, 6, 7, 9, 11, 12, 14]),
    ({"tags": "a"}, [0, 5, 8, 13]),
    ({"tags": "c"}, [3, 7, 8, 11, 13]),
    ({"tags": {"$ne": "a"}}, [1, 2, 3, 7, 10, 11, 14]),
    ({"tags": {"$in": ["a", "c"]}}, [0, 3, 5, 7, 8, 11, 13]),
    ({"tags": {"$nin": ["a", "c"]}}, [1, 2, 10, 14]),
    ({"tags": "7"}, [10]),
    ({"tags": 7}, []),
    ({"tags": "drama"}, [7]),
    ({"tags": {"$exists": True}}, [0, 1, 2, 3, 5, 7, 8, 10, 11, 13, 14]),
    ({"tags": {"$gt": 0}}, []),
    ({"tags": "true"}, [14]),
    ({"tags": True}, []),
    ({"year": {"$gt": 2020}}, [2, 9, 14]),
    ({"year": {"$gte": 2020}}, [0, 2, 3, 7, 9, 11, 14]),
    ({"year": {"$lt": 2000}}, [5, 10, 13]),
    ({"year": {"$lte": 0}}, [10, 13]),
    ({"year": {"$gte": 2019, "$lte": 2020}}, [0, 1, 3, 7, 11]),
    ({"rating": {"$gt": 4.0}}, [0, 3, 11]),
    ({"rating": {"$gte": 4}}, [0, 3, 8, 11]),
    ({"rating": {"$lt": 0}}, [10]),
    ({"rating": {"$lte": 0}}, [9, 10]),
    ({"genre": {"$gt": 5}}, []),
    ({"code": {"$gte": 1}}, [1, 3, 8]),
    ({"code": {"$lt": 1}}, [11]),
    ({"kid": {"$gt": 0}}, []),
    ({"genre": {"$in": ["drama", "comedy"]}}, [0, 1, 2, 6, 9, 11]),
    ({"genre": {"$nin": ["drama", "comedy"]}}, [3, 5, 8, 10, 13, 14]),
    ({"code": {"$in": [7]}}, [1, 3]),
    ({"code": {"$in": [7.0, "x"]}}, [1, 3, 6]),
    ({"code": {"$in": ["7"]}}, [0]),
    ({"code": {"$nin": [7, 1]}}, [0, 6, 9, 11, 12]),
    ({"code": {"$in": [1, 0]}}, [8, 11]),
    ({"genre": {"$exists": False}}, [4, 7, 12]),
    ({"nothere": {"$exists": False}}, ALL),
    ({"nothere": {"$ne": "x"}}, []),
    ({"nothere": {"$nin": ["x"]}}, []),
    ({"nothere": "x"}, []),
    ({"genre": "drama", "kid": True}, [0, 9]),
    ({"$and": [{"genre": "drama"}, {"year": {"$gte": 2021}}]}, [2, 9]),
    ({"$or": [{"genre": "action"}, {"tags": "a"}]}, [0, 3, 5, 8, 13, 14]),
    ({"$or": [{"kid": {"$exists": False}}, {"kid": False}]}, [1, 2, 3, 4, 7, 8, 10, 11, 13, 14]),
    (
        {"$and": [{"$or": [{"genre": "drama"}, {"genre": "comedy"}]}, {"tags": {"$in": ["b"]}}]},
        [0, 1, 11],
    ),
    (
        {
            "$or": [
                {"$and": [{"year": {"$gt": 2019}}, {"year": {"$lt": 2022}}]},
                {"rating": {"$lte": 2.5}},
            ]
        },
        [0, 2, 3, 6, 7, 9, 10, 11],
    ),
    ({"genre": ""}, [13]),
    ({"genre": {"$ne": ""}}, [0, 1, 2, 3, 5, 6, 8, 9, 10, 11, 14]),
    ({"year": -5}, [10]),
    ({"year": {"$in": [2020, 1999]}}, [0, 3, 5, 7, 11]),
    ({"year": {"$nin": [2020]}}, [1, 2, 5, 8, 9, 10, 13, 14]),
    ({"rating": 0}, [9]),
    ({"rating": 0.0}, [9]),
    ({"genre": "7"}, [10]),
    ({"genre": 7}, []),
    ({"$and": [{"kid": {"$exists": True}}, {"kid": {"$ne": False}}]}, [0, 5, 6, 9, 12]),
    ({"tags": {"$nin": ["zzz"]}}, [0, 1, 2, 3, 5, 7, 8, 10, 11, 13, 14]),
    ({"tags": {"$in": ["zzz"]}}, []),
    ({"code": {"$ne": 7}}, [0, 6, 8, 9, 11, 12]),
    ({"$or": [{"code": True}, {"code": 0}]}, [9, 11]),
    ({"year": {"$gt": 2019.5, "$lt": 2020.5}}, [0, 3, 7, 11]),
    ({"rating": {"$gt": 4.5}}, [3]),
    ({"rating": {"$gte": 4.5}}, [0, 3, 11]),
]

INVALID_FILTERS: list[Any] = [
    {"genre": {"$not": "drama"}},
    {"genre": {"$like": "d%"}},
    {"year": {"$between": [1, 2]}},
    {"$not": {"genre": "x"}},
    {"$nor": [{"genre": "x"}]},
    {"genre": None},
    {"genre": {"$eq": None}},
    {"genre": {"$ne": None}},
    {"genre": {"$in": []}},
    {"genre": {"$nin": []}},
    {"genre": {"$in": "drama"}},
    {"genre": {"$in": [None]}},
    {"genre": {"$in": [True]}},
    {"genre": {"$in": [["a"]]}},
    {"year": {"$gt": True}},
    {"year": {"$gt": "5"}},
    {"year": {"$lt": None}},
    {"year": {"$gte": float("nan")}},
    {"year": {"$gt": 2**60}},
    {"kid": {"$exists": 1}},
    {"kid": {"$exists": "yes"}},
    {"genre": {"sub": 1}},
    {"genre": {}},
    {"genre": ["a"]},
    {"genre": {"$eq": {"a": 1}}},
    {"genre": {"$eq": ["a"]}},
    {"bad-key": 1},
    {"1abc": 1},
    {"": 1},
    {"$and": []},
    {"$or": "x"},
    {"$and": [{}]},
    {"$or": [1]},
    ["genre"],
]


def golden_records() -> list[VectorRecord]:
    return [
        VectorRecord(f"r{i:02d}", golden_vector(i), metadata)
        for i, metadata in enumerate(GOLDEN_METADATA)
    ]


def unit(index: int, dim: int = DIMENSION) -> tuple[float, ...]:
    """A distinct, non-zero vector per index."""
    return tuple(math.cos(index * 0.37 + k) + 1.5 for k in range(dim))


class VectorStoreContract:
    """Subclass and provide ``vector_store``: a fresh, empty store of dimension 8."""

    def test_golden_filters_return_exactly_the_expected_ids_in_order(
        self, vector_store: VectorStore
    ) -> None:
        assert vector_store.upsert(NS, golden_records()).ok
        wrong = []
        for flt, expected in GOLDEN_CASES:
            matches = vector_store.query(NS, vector=QUERY, top_k=100, filter=flt)
            got = [m.id for m in matches]
            if got != [f"r{i:02d}" for i in expected]:
                wrong.append((flt, expected, got))
            scores = [m.score for m in matches]
            assert scores == sorted(scores, reverse=True)
        assert wrong == [], wrong
        assert len(GOLDEN_CASES) >= 60

    def test_golden_top_k_cuts_in_score_order(self, vector_store: VectorStore) -> None:
        vector_store.upsert(NS, golden_records())
        got = vector_store.query(NS, vector=QUERY, top_k=3, filter={"tags": {"$exists": True}})
        assert [m.id for m in got] == ["r00", "r01", "r02"]
        assert got[0].score == pytest.approx(1.0, abs=1e-6)
        assert got[1].score == pytest.approx(1 / math.sqrt(1.01), abs=1e-6)

    @pytest.mark.parametrize("flt", INVALID_FILTERS, ids=repr)
    def test_invalid_filters_are_refused(self, vector_store: VectorStore, flt: Any) -> None:
        with pytest.raises(InvalidFilter) as query_error:
            vector_store.query(NS, vector=QUERY, filter=flt)
        assert query_error.value.field
        assert query_error.value.rule
        with pytest.raises(InvalidFilter):
            vector_store.delete(NS, filter=flt)

    def test_delete_refuses_the_empty_filter(self, vector_store: VectorStore) -> None:
        vector_store.upsert(NS, golden_records())
        with pytest.raises(InvalidFilter):
            vector_store.delete(NS, filter={})
        assert vector_store.stats().namespaces[NS] == len(GOLDEN_METADATA)

    def test_fetch_round_trips_and_reports_missing_ids(self, vector_store: VectorStore) -> None:
        vector_store.upsert(NS, golden_records())
        result = vector_store.fetch(NS, ["r00", "nope", "r02", "r04"])
        assert result.missing == ("nope",)
        assert set(result.records) == {"r00", "r02", "r04"}
        r00 = result.records["r00"]
        assert r00.metadata == GOLDEN_METADATA[0]
        assert r00.values == pytest.approx(golden_vector(0))
        assert result.records["r02"].metadata["year"] == 2021
        assert result.records["r04"].metadata == {}

    def test_returned_records_do_not_alias_the_store(self, vector_store: VectorStore) -> None:
        record = VectorRecord("a", unit(1), {"tags": ["x"]})
        vector_store.upsert(NS, [record])
        record.metadata["tags"].append("mutated")
        fetched = vector_store.fetch(NS, ["a"]).records["a"]
        fetched.metadata["tags"].append("mutated")
        assert vector_store.fetch(NS, ["a"]).records["a"].metadata == {"tags": ["x"]}
        match = vector_store.query(NS, vector=unit(1), top_k=1, include_metadata=True)[0]
        assert match.metadata == {"tags": ["x"]}

    def test_fetch_takes_up_to_1000_ids(self, vector_store: VectorStore) -> None:
        ids = [f"id-{i:04d}-" + "x" * 200 for i in range(1_000)]
        vector_store.upsert(NS, [VectorRecord(rid, unit(i)) for i, rid in enumerate(ids[:300])])
        result = vector_store.fetch(NS, ids)
        assert sorted(result.records) == ids[:300]
        assert result.missing == tuple(ids[300:])
        with pytest.raises(ValidationFailed):
            vector_store.fetch(NS, [*ids, "one-more"])

    def test_upsert_replaces_a_record(self, vector_store: VectorStore) -> None:
        vector_store.upsert(NS, [VectorRecord("a", unit(1), {"v": 1})])
        vector_store.upsert(NS, [VectorRecord("a", unit(2), {"v": 2})])
        record = vector_store.fetch(NS, ["a"]).records["a"]
        assert record.metadata == {"v": 2}
        assert record.values == pytest.approx(unit(2))
        assert vector_store.stats().namespaces[NS] == 1

    def test_query_by_id_and_include_flags(self, vector_store: VectorStore) -> None:
        vector_store.upsert(NS, golden_records())
        plain = vector_store.query(NS, id="r00", top_k=2)
        assert [m.id for m in plain] == ["r00", "r01"]
        assert plain[0].values is None
        assert plain[0].metadata is None
        full = vector_store.query(
            NS, vector=QUERY, top_k=1, include_values=True, include_metadata=True
        )
        assert full[0].values == pytest.approx(golden_vector(0))
        assert full[0].metadata == GOLDEN_METADATA[0]
        with pytest.raises(NotFound):
            vector_store.query(NS, id="missing", top_k=1)

    def test_ties_are_broken_by_id(self, vector_store: VectorStore) -> None:
        same = unit(3)
        vector_store.upsert(NS, [VectorRecord(i, same) for i in ("c", "a", "b")])
        assert [m.id for m in vector_store.query(NS, vector=same, top_k=3)] == ["a", "b", "c"]

    @pytest.mark.parametrize("top_k", [0, 10_001, -1])
    def test_top_k_out_of_range_is_refused(self, vector_store: VectorStore, top_k: int) -> None:
        with pytest.raises(ValidationFailed) as error:
            vector_store.query(NS, vector=QUERY, top_k=top_k)
        assert error.value.field == "top_k"

    def test_dimension_and_zero_vector_are_checked_on_write(
        self, vector_store: VectorStore
    ) -> None:
        with pytest.raises(ValidationFailed) as error:
            vector_store.upsert(NS, [VectorRecord("ok", unit(1)), VectorRecord("bad", (1.0, 2.0))])
        assert error.value.rule == "dimension"
        with pytest.raises(ValidationFailed) as error:
            vector_store.upsert(NS, [VectorRecord("zero", (0.0,) * DIMENSION)])
        assert error.value.rule == "non_zero"
        with pytest.raises(ValidationFailed):
            vector_store.query(NS, vector=(1.0, 0.0), top_k=1)
        assert vector_store.fetch(NS, ["ok"]).missing == ("ok",)

    def test_duplicate_ids_in_one_upsert_are_refused(self, vector_store: VectorStore) -> None:
        with pytest.raises(ValidationFailed) as error:
            vector_store.upsert(NS, [VectorRecord("a", unit(1)), VectorRecord("a", unit(2))])
        assert error.value.rule == "unique"

    @pytest.mark.parametrize(
        ("metadata", "rule"),
        [
            ({"a": None}, "not_null"),
            ({"a": {"b": 1}}, "flat_value"),
            ({"a": [1, 2]}, "list_of_strings"),
            ({"bad-key": 1}, "key_pattern"),
            ({"a": float("inf")}, "finite_number"),
            ({"a": "x" * 40_001}, "max_size"),
        ],
    )
    def test_metadata_rules(self, metadata: dict[str, Any], rule: str) -> None:
        with pytest.raises(ValidationFailed) as error:
            VectorRecord("a", unit(1), metadata)
        assert error.value.rule == rule

    @pytest.mark.parametrize(("rid", "rule"), [("", "non_empty_string"), ("é", "ascii")])
    def test_id_rules(self, rid: str, rule: str) -> None:
        with pytest.raises(ValidationFailed) as error:
            VectorRecord(rid, unit(1))
        assert error.value.rule == rule
        with pytest.raises(ValidationFailed):
            VectorRecord("x" * 513, unit(1))

    def test_delete_by_ids_filter_and_prefix(self, vector_store: VectorStore) -> None:
        vector_store.upsert(NS, golden_records())
        vector_store.upsert(NS, [VectorRecord(f"p-{i}", unit(i), {"g": "p"}) for i in range(5)])
        vector_store.delete(NS, ids=["r00", "r01", "nope", "r00"])
        vector_store.delete(NS, filter={"genre": "drama"})
        vector_store.delete(NS, prefix="p-")
        left = [m.id for m in vector_store.query(NS, vector=QUERY, top_k=100)]
        assert left == [f"r{i:02d}" for i in ALL if i not in (0, 1, 2, 9)]
        with pytest.raises(ValidationFailed):
            vector_store.delete(NS)

    def test_list_ids_pages_through_a_prefix(self, vector_store: VectorStore) -> None:
        ids = [f"doc-{i:03d}" for i in range(25)] + [f"other-{i}" for i in range(5)]
        vector_store.upsert(NS, [VectorRecord(rid, unit(i)) for i, rid in enumerate(ids)])
        seen: list[str] = []
        token: str | None = None
        pages = 0
        while True:
            page = vector_store.list_ids(NS, prefix="doc-", limit=10, page_token=token)
            assert len(page.ids) <= 10
            seen.extend(page.ids)
            pages += 1
            token = page.next_token
            if token is None:
                break
        assert sorted(seen) == ids[:25]
        assert len(seen) == 25
        assert pages >= 3

    def test_namespaces_are_isolated_and_counted(self, vector_store: VectorStore) -> None:
        vector_store.upsert("t1:activities", [VectorRecord("a", unit(1))])
        vector_store.upsert(
            "t2:activities", [VectorRecord("a", unit(2)), VectorRecord("b", unit(3))]
        )
        stats = vector_store.stats()
        assert stats.dimension == DIMENSION
        assert stats.metric == "cosine"
        assert stats.namespaces["t1:activities"] == 1
        assert stats.namespaces["t2:activities"] == 2
        assert [m.id for m in vector_store.query("t1:activities", vector=unit(2))] == ["a"]
        assert vector_store.query("t3:activities", vector=unit(2)) == []

    def test_a_large_upsert_is_split_by_count(self, vector_store: VectorStore) -> None:
        records = [VectorRecord(f"n{i:05d}", unit(i), {"i": i}) for i in range(2_500)]
        result = vector_store.upsert(NS, records)
        assert result.requests == 3
        assert result.ok
        assert result.upserted_count == 2_500
        assert vector_store.stats().namespaces[NS] == 2_500
        assert vector_store.query(NS, vector=unit(7), top_k=1, filter={"i": 2_499})[0].id == (
            "n02499"
        )

    def test_a_large_upsert_is_split_by_size(self, vector_store: VectorStore) -> None:
        text = "x" * 30_000
        records = [VectorRecord(f"big{i:03d}", unit(i), {"text": text}) for i in range(100)]
        chunks = list(batches(records))
        assert all(len(chunk) < 1_000 for chunk in chunks)
        assert all(sum(r.wire_size() for r in chunk) < 2_000_000 for chunk in chunks)
        result = vector_store.upsert(NS, records)
        assert result.requests == len(chunks) >= 2
        assert [item.id for item in result.items] == [r.id for r in records]
        assert vector_store.stats().namespaces[NS] == 100


class TextSearchContract:
    """Subclass and provide ``text_search``: a fresh, empty full-text search adapter."""

    def _load(self, text_search: TextSearch) -> None:
        text_search.put(NS, "swim", "Swimming lessons for kids", {"age": 5, "tags": ["water"]})
        text_search.put(NS, "chess", "Chess club for kids and parents", {"age": 8})
        text_search.put(NS, "art", "Painting and drawing", {"age": 5})
        text_search.put("other:activities", "swim2", "swimming", {})

    def test_any_word_matches_and_best_match_comes_first(self, text_search: TextSearch) -> None:
        self._load(text_search)
        found = [m.id for m in text_search.search(NS, "chess for kids", top_k=10)]
        assert found[0] == "chess"
        assert set(found) == {"chess", "swim"}
        assert text_search.search(NS, "opera", top_k=10) == []

    def test_filters_and_namespaces_apply(self, text_search: TextSearch) -> None:
        self._load(text_search)
        kids = text_search.search(NS, "kids", filter=parse_filter({"age": {"$lt": 6}}))
        assert [m.id for m in kids] == ["swim"]
        assert kids[0].metadata == {"age": 5, "tags": ["water"]}
        assert [m.id for m in text_search.search(NS, "swimming")] == ["swim"]

    def test_put_replaces_and_remove_forgets(self, text_search: TextSearch) -> None:
        self._load(text_search)
        text_search.put(NS, "art", "Pottery", {"age": 5})
        assert text_search.search(NS, "painting") == []
        text_search.remove(NS, ["swim", "nope"])
        assert text_search.search(NS, "swimming") == []
