"""The Pinecone adapter against a needledb server (or a real index when configured)."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from tests.adapters.vector_servers import (  # noqa: F401  (fixtures)
    NeedleServer,
    needledb_server,
    pinecone_store_factory,
)
from travelcore.kernel import ManualClock, VectorStoreUnavailable
from travelcore.testing import VectorStoreContract
from travelcore.testing.vectors import DIMENSION, unit
from travelcore.vectors import VectorRecord
from travelcore.vectors.embedder import HashingEmbedder
from travelcore.vectors.search import SemanticSearch
from travelcore_adapters.memory.text_search import MemoryTextSearch
from travelcore_adapters.pinecone import PineconeVectorStore
from travelcore_adapters.pinecone.testing import needledb_server as start_needledb


class TestPineconeVectorStore(VectorStoreContract):
    @pytest.fixture
    def vector_store(
        self,
        pinecone_store_factory: Callable[..., Any],  # noqa: F811
    ) -> PineconeVectorStore:
        store: PineconeVectorStore = pinecone_store_factory(DIMENSION)
        return store


def test_negations_are_sent_with_an_exists_guard() -> None:
    from travelcore.vectors import parse_filter, to_pinecone

    node = parse_filter({"genre": {"$ne": "x"}, "tags": {"$nin": ["a"]}})
    assert to_pinecone(node) == {
        "$and": [
            {"genre": {"$exists": True, "$ne": "x"}},
            {"tags": {"$exists": True, "$nin": ["a"]}},
        ]
    }


def test_the_adapter_survives_the_server_going_away(
    needledb_server: NeedleServer,  # noqa: F811
    clock: ManualClock,
) -> None:
    embedder = HashingEmbedder(DIMENSION * 8)
    index = needledb_server.create_index(embedder.dimension)
    store = needledb_server.store(index, embedder.dimension, clock=clock, failure_threshold=3)
    text = MemoryTextSearch()
    docs = {"swim": "swimming lessons for kids", "chess": "chess club", "art": "art and painting"}
    vectors = embedder.embed(list(docs.values()))
    store.upsert("t:activities", [VectorRecord(k, v) for k, v in zip(docs, vectors, strict=True)])
    for key, body in docs.items():
        text.put("t:activities", key, body, {})
    search = SemanticSearch(store, embedder, text)

    healthy = search.search("t:activities", "swimming for kids", top_k=1)
    assert not healthy.degraded
    assert healthy.matches[0].id == "swim"

    needledb_server.stop()
    try:
        for _ in range(3):
            result = search.search("t:activities", "chess club", top_k=1)
            assert result.degraded
            assert result.matches[0].id == "chess"
        assert store.breaker.state == "open"
        with pytest.raises(VectorStoreUnavailable, match="circuit open"):
            store.query("t:activities", vector=vectors[0], top_k=1)
        failed = store.upsert("t:activities", [VectorRecord("new", vectors[1])])
        assert failed.failed_ids == ("new",)
    finally:
        needledb_server.start()

    assert store.breaker.state == "open"
    clock.advance(timedelta(seconds=31))
    assert store.breaker.state == "half_open"
    recovered = search.search("t:activities", "art and painting", top_k=1)
    assert not recovered.degraded
    assert recovered.matches[0].id == "art"
    assert store.breaker.state == "closed"
    needledb_server.drop_index(index)


def test_sdk_errors_are_translated() -> None:
    from pinecone.errors import ApiError, PineconeConnectionError, PineconeValueError

    from travelcore.kernel import AccessDenied, ValidationFailed
    from travelcore_adapters.pinecone import translate

    assert isinstance(translate(PineconeConnectionError("refused")), VectorStoreUnavailable)
    assert isinstance(translate(PineconeValueError("bad")), ValidationFailed)
    assert isinstance(translate(ApiError("x", status_code=503)), VectorStoreUnavailable)
    assert isinstance(translate(ApiError("x", status_code=429)), VectorStoreUnavailable)
    assert isinstance(translate(ApiError("x", status_code=401)), AccessDenied)
    assert isinstance(translate(ApiError("x", status_code=400)), ValidationFailed)


def test_the_public_needledb_server_serves_stores_and_stops_on_exit() -> None:
    with start_needledb() as server:
        store = server.create_store(DIMENSION)
        store.upsert("t:activities", [VectorRecord("a", unit(1), {"k": 1})])
        assert store.stats().namespaces == {"t:activities": 1}
        assert [m.id for m in store.query("t:activities", vector=unit(1), filter={"k": 1})] == ["a"]
        health = f"{server.url}/health"
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(health, timeout=1)
