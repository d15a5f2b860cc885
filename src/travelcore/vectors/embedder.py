"""A deterministic local embedder: hashed character n-grams, L2-normalised.

No network and no model download; similar strings share n-grams and so get similar vectors.
Good enough for tests, demos and a degraded mode; production plugs a real model into the
same ``Embedder`` port (the model name and version travel with every vector).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence

from travelcore.kernel.errors import ValidationFailed


class HashingEmbedder:
    model = "travelcore-hashing-ngrams"

    def __init__(self, dimension: int = 384, ngram: tuple[int, int] = (2, 4)) -> None:
        if dimension < 2:
            raise ValidationFailed("dimension", "min", "dimension must be at least 2")
        self.dimension = dimension
        self._ngram = ngram
        self.version = f"1-d{dimension}-n{ngram[0]}{ngram[1]}"

    @property
    def model_version(self) -> str:
        return f"{self.model}@{self.version}"

    def embed(self, texts: Sequence[str]) -> list[tuple[float, ...]]:
        return [self._one(text) for text in texts]

    def _one(self, text: str) -> tuple[float, ...]:
        padded = f" {' '.join(text.lower().split())} "
        vector = [0.0] * self.dimension
        low, high = self._ngram
        for n in range(low, high + 1):
            for start in range(max(len(padded) - n + 1, 0)):
                digest = hashlib.blake2b(padded[start : start + n].encode(), digest_size=8)
                value = int.from_bytes(digest.digest(), "little")
                sign = 1.0 if value & 1 else -1.0
                vector[(value >> 1) % self.dimension] += sign
        length = math.sqrt(math.fsum(v * v for v in vector))
        if length == 0.0:
            vector[0], length = 1.0, 1.0
        return tuple(v / length for v in vector)
