"""ONNX sentence embeddings (the ``embeddings`` extra: onnxruntime + tokenizers)."""

from travelcore_adapters.onnx.embedder import (
    MINILM_MODEL,
    MINILM_SHA256,
    OnnxEmbedder,
    all_minilm_l6_v2,
)

__all__ = ["MINILM_MODEL", "MINILM_SHA256", "OnnxEmbedder", "all_minilm_l6_v2"]
