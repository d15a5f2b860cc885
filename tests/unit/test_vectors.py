"""Vectors context: filter parsing, embedder, circuit breaker, sync job and search fallback."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest

from travelcore.kernel import (
    InvalidFilter,
    ManualClock,
    TenantId,
    ValidationFailed,
    VectorStoreUnavailable,
    new_uuid,
)
from travelcore.testing.actors import job
from travelcore.vectors import (
    And,
    Eq,
    Exists,
    In,
    Ne,
    Or,
    VectorRecord,
    matches,
    namespace_for,
    parse_delete_filter,
    parse_filter,
)
from travelcore.vectors.embedder import HashingEmbedder
from travelcore.vectors.records import UpsertResult, batches, cosine
from travelcore.vectors.search import SemanticSearch
from travelcore.vectors.sync import MODEL_KEY, VERSION_KEY, SourceDocument, VectorSync
from travelcore_adapters.breaker import CircuitBreaker
from travelcore_adapters.memory import MemoryDatabase
from travelcore_adapters.memory.text_search import MemoryTextSearch
from travelcore_adapters.memory.vectors import MemoryVectorStore


def test_filters_parse_into_a_frozen_ast() -> None:
    node = parse_filter({"a": "x", "b": {"$ne": 1, "$exists": True}, "$or": [{"c": {"$in": [1]}}]})
    assert node == And((Eq("a", "x"), Ne("b", 1), Exists("b", True), Or((In("c", (1,)),))))
    assert parse_filter({}) is None
    assert parse_filter(node) is node
    with pytest.raises(InvalidFilter) as error:
        parse_filter({"genre": {"$like": "x"}})
    assert (error.value.field, error.value.rule, error.value.code) == (
        "genre",
        "unknown_operator",
        "invalid_filter",
    )
    with pytest.raises(InvalidFilter):
        parse_delete_filter(None)


def test_evaluator_semantics() -> None:
    assert matches(parse_filter({"n": 5}), {"n": 5.0})
    assert not matches(parse_filter({"n": "7"}), {"n": 7})
    assert not matches(parse_filter({"n": 1}), {"n": True})
    assert matches(parse_filter({"t": "a"}), {"t": ["b", "a"]})
    assert not matches(parse_filter({"t": {"$ne": "a"}}), {"t": ["b", "a"]})
    assert not matches(parse_filter({"t": {"$ne": "a"}}), {})
    assert matches(parse_filter({"t": {"$exists": False}}), {})


def test_namespaces_are_per_tenant_and_kind() -> None:
    tenant = TenantId(new_uuid())
    assert namespace_for(tenant, "activities") == f"{tenant}:activities"
    with pytest.raises(ValidationFailed):
        namespace_for(tenant, "everything")


def test_batches_respect_count_and_size() -> None:
    small = [VectorRecord(f"s{i}", (1.0, 2.0)) for i in range(2_001)]
    assert [len(b) for b in batches(small)] == [1000, 1000, 1]
    big = [VectorRecord(f"b{i}", (1.0, 2.0), {"t": "x" * 39_000}) for i in range(120)]
    sizes = [sum(r.wire_size() for r in b) for b in batches(big)]
    assert len(sizes) == 3
    assert max(sizes) < 2_000_000


def test_the_hashing_embedder_is_deterministic_and_normalised() -> None:
    embedder = HashingEmbedder(64)
    one, again, other = embedder.embed(["Swimming lessons", "swimming  LESSONS", "chess club"])
    assert one == again
    assert sum(v * v for v in one) == pytest.approx(1.0)
    assert cosine(one, embedder.embed(["swimming lesson"])[0]) > cosine(one, other)
    assert embedder.version == "1-d64-n24"


def test_the_breaker_opens_half_opens_and_closes(clock: ManualClock) -> None:
    breaker = CircuitBreaker(
        clock, failure_threshold=2, cooldown=timedelta(seconds=10), error=VectorStoreUnavailable
    )
    calls = 0

    def fail() -> None:
        nonlocal calls
        calls += 1
        raise VectorStoreUnavailable("down")

    for _ in range(2):
        with pytest.raises(VectorStoreUnavailable):
            breaker.call(fail)
    assert breaker.state == "open"
    with pytest.raises(VectorStoreUnavailable, match="circuit open"):
        breaker.call(fail)
    assert calls == 2
    clock.advance(timedelta(seconds=10))
    assert breaker.state == "half_open"
    with pytest.raises(VectorStoreUnavailable):
        breaker.call(fail)
    assert breaker.state == "open"
    assert calls == 3
    clock.advance(timedelta(seconds=10))
    assert breaker.call(lambda: 42) == 42
    assert breaker.state == "closed"
    with pytest.raises(KeyError):
        breaker.call(lambda: {}["x"])
    assert breaker.state == "closed"


class FlakyStore(MemoryVectorStore):
    """A memory store that can be switched off."""

    down = False

    def upsert(self, namespace: str, records: Sequence[VectorRecord]) -> UpsertResult:
        if self.down:
            raise VectorStoreUnavailable("down")
        return super().upsert(namespace, records)

    def delete(self, namespace: str, **selector: Any) -> None:
        if self.down:
            raise VectorStoreUnavailable("down")
        super().delete(namespace, **selector)

    def query(self, namespace: str, **kwargs: Any) -> Any:
        if self.down:
            raise VectorStoreUnavailable("down")
        return super().query(namespace, **kwargs)


@pytest.fixture
def setup(clock: ManualClock) -> tuple[VectorSync, FlakyStore, MemoryDatabase, TenantId]:
    database = MemoryDatabase()
    store = FlakyStore(32)
    sync = VectorSync(
        database, clock, store=store, embedder=HashingEmbedder(32), text_search=MemoryTextSearch()
    )
    return sync, store, database, TenantId(new_uuid())


def _docs(**texts: str) -> list[SourceDocument]:
    return [SourceDocument(id=k, text=v, metadata={"age": 5}) for k, v in texts.items()]


def test_sync_embeds_only_what_changed(setup: Any) -> None:
    sync, store, _, tenant = setup
    ns = namespace_for(tenant, "activities")
    first = sync.sync(tenant, "activities", _docs(a="swimming", b="chess"), actor=job(tenant))
    assert first.embedded == ("a", "b")
    record = store.fetch(ns, ["a"]).records["a"]
    assert record.metadata == {
        "age": 5,
        MODEL_KEY: "travelcore-hashing-ngrams",
        VERSION_KEY: "1-d32-n24",
    }
    again = sync.sync(tenant, "activities", _docs(a="swimming", b="chess club"), actor=job(tenant))
    assert again.embedded == ("b",)
    assert again.unchanged == ("a",)


def test_a_new_model_version_re_embeds_everything(setup: Any, clock: ManualClock) -> None:
    sync, store, database, tenant = setup
    sync.sync(tenant, "activities", _docs(a="swimming", b="chess"), actor=job(tenant))
    newer = VectorSync(database, clock, store=store, embedder=HashingEmbedder(32, ngram=(3, 3)))
    assert newer.sync(
        tenant, "activities", _docs(a="swimming", b="chess"), actor=job(tenant)
    ).embedded == ("a", "b")


def test_failures_are_recorded_and_retried(setup: Any) -> None:
    sync, store, database, tenant = setup
    ns = namespace_for(tenant, "activities")
    store.down = True
    report = sync.sync(tenant, "activities", _docs(a="swimming"), actor=job(tenant))
    assert report.failed == ("a",)
    with database(tenant) as uow:
        [state] = uow.vector_sync.pending(ns)
    assert (state.status, state.attempts, state.last_error) == (
        "failed",
        1,
        "vector_store_unavailable",
    )
    store.down = False
    assert sync.sync(tenant, "activities", _docs(a="swimming"), actor=job(tenant)).embedded == (
        "a",
    )
    with database(tenant) as uow:
        assert uow.vector_sync.pending(ns) == []
        state = uow.vector_sync.get(ns, "a")
    assert state is not None
    assert state.status == "synced"


def test_deleting_an_entity_deletes_its_vectors_even_after_an_outage(setup: Any) -> None:
    sync, store, database, tenant = setup
    ns = namespace_for(tenant, "child_preferences")
    sync.sync(
        tenant, "child_preferences", _docs(c1="likes swimming", c2="likes chess"), actor=job(tenant)
    )
    store.down = True
    assert sync.delete(tenant, "child_preferences", ["c1"], actor=job(tenant)).failed == ("c1",)
    store.down = False
    report = sync.sync(tenant, "child_preferences", _docs(c2="likes chess"), actor=job(tenant))
    assert report.deleted == ("c1",)
    assert store.fetch(ns, ["c1", "c2"]).missing == ("c1",)
    with database(tenant) as uow:
        assert uow.vector_sync.get(ns, "c1") is None
    assert sync.delete(tenant, "child_preferences", ["c2"], actor=job(tenant)).deleted == ("c2",)
    assert store.stats().namespaces == {}


def test_search_falls_back_to_text_and_says_so(clock: ManualClock) -> None:
    store, text, tenant = FlakyStore(32), MemoryTextSearch(), TenantId(new_uuid())
    ns = namespace_for(tenant, "activities")
    sync = VectorSync(
        MemoryDatabase(), clock, store=store, embedder=HashingEmbedder(32), text_search=text
    )
    sync.sync(tenant, "activities", _docs(a="swimming for kids", b="chess club"), actor=job(tenant))
    search = SemanticSearch(store, HashingEmbedder(32), text)
    assert search.search(ns, "swimming kids", top_k=1).degraded is False
    store.down = True
    result = search.search(ns, "chess", top_k=5, filter={"age": 5})
    assert result.degraded
    assert [m.id for m in result.matches] == ["b"]
    with pytest.raises(InvalidFilter):
        search.search(ns, "chess", filter={"age": {"$like": 5}})
