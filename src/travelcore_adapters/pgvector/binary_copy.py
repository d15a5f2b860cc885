"""PostgreSQL's binary ``COPY`` stream of ``(namespace, id, embedding, metadata)`` rows.

The vectors go out as pgvector's binary format (``uint16`` dimension, ``uint16`` zero, then
big-endian ``float4`` values), converted from the numpy array in one step rather than row by
row; ids and metadata (already-encoded JSON) are copied as they are. Rows go out in chunks,
so a large load never holds a second copy of the whole array.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0)
TRAILER = struct.pack("!h", -1)
_INT = struct.Struct("!i")
_JSONB_VERSION = b"\x01"


def copy_chunks(
    namespace: str,
    ids: Sequence[str],
    vectors: np.ndarray[Any, Any],
    metadata_json: Sequence[str],
    rows_per_chunk: int = 2_000,
) -> Iterator[bytes]:
    """The whole stream (signature, rows, trailer) in chunks of ``rows_per_chunk`` rows."""
    count, dimension = vectors.shape
    encoded_namespace = namespace.encode()
    row_start = struct.pack("!h", 4) + _INT.pack(len(encoded_namespace)) + encoded_namespace
    vector_head = _INT.pack(4 + 4 * dimension) + struct.pack("!HH", dimension, 0)
    width = 4 * dimension
    yield SIGNATURE
    for start in range(0, count, rows_per_chunk):
        stop = min(start + rows_per_chunk, count)
        values = memoryview(np.ascontiguousarray(vectors[start:stop], dtype=">f4").tobytes())
        parts: list[bytes | memoryview] = []
        for offset, (rid, meta) in enumerate(
            zip(ids[start:stop], metadata_json[start:stop], strict=True)
        ):
            encoded_id, encoded_meta = rid.encode(), meta.encode()
            parts += (
                row_start,
                _INT.pack(len(encoded_id)),
                encoded_id,
                vector_head,
                values[offset * width : (offset + 1) * width],
                _INT.pack(len(encoded_meta) + 1),
                _JSONB_VERSION,
                encoded_meta,
            )
        yield b"".join(parts)
    yield TRAILER
