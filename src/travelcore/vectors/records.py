"""Vector records and query results, validated on construction, and the upsert batching rule.

A :class:`VectorRecord` that exists is valid (id, finite values, flat metadata within
limits); the dimension and the zero-vector rule are checked by the store on write, since
they depend on the namespace.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import attrs

from travelcore.kernel.errors import ValidationFailed
from travelcore.kernel.ids import TenantId
from travelcore.vectors.filters import KEY_PATTERN, MAX_SAFE_INT, is_number

MAX_ID_LENGTH = 512
MAX_METADATA_BYTES = 40_000
MAX_TOP_K = 10_000
MAX_FETCH_IDS = 1_000
MAX_LIST_LIMIT = 100
MAX_BATCH_RECORDS = 1_000
MAX_BATCH_BYTES = 2_000_000
"""Upsert requests stay under 2 MB (estimated JSON body) and 1,000 records."""
MAX_DIMENSION = 20_000
MAX_DOCUMENT_LENGTH = 100_000
"""Characters of a document's text (what is embedded and indexed for full-text search)."""
MAX_QUERY_LENGTH = 1_000
MAX_QUERY_WORDS = 64
"""A search text has at most 1,000 characters and 64 words."""

KINDS = ("activities", "child_preferences", "search_queries", "user_memory")


def check_ascii_name(value: object, field: str) -> str:
    """Ids and namespaces: non-empty ASCII strings of at most 512 characters."""
    if not isinstance(value, str) or not value:
        raise ValidationFailed(field, "non_empty_string", f"{field} must be a non-empty string")
    if not value.isascii():
        raise ValidationFailed(field, "ascii", f"{field} must be ASCII")
    if "\x00" in value:
        raise ValidationFailed(field, "no_nul", f"{field} must not contain NUL characters")
    if len(value) > MAX_ID_LENGTH:
        raise ValidationFailed(field, "max_length", f"{field} must be at most 512 characters")
    return value


def _storable(value: str, field: str) -> str:
    """A string PostgreSQL and JSON can hold: no NUL, valid Unicode."""
    if "\x00" in value:
        raise ValidationFailed(field, "no_nul", f"{field} must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationFailed(field, "utf8", f"{field} must be valid Unicode") from None
    return value


def check_document_text(text: object, field: str = "text") -> str:
    """A document's text: a storable string of at most 100,000 characters."""
    if not isinstance(text, str):
        raise ValidationFailed(field, "string", f"{field} must be a string")
    if len(text) > MAX_DOCUMENT_LENGTH:
        raise ValidationFailed(field, "max_length", f"{field}: at most 100,000 characters")
    return _storable(text, field)


def check_query_text(text: object, field: str = "text") -> str:
    """A search text: a storable string of at most 1,000 characters and 64 words."""
    if not isinstance(text, str):
        raise ValidationFailed(field, "string", f"{field} must be a string")
    if len(text) > MAX_QUERY_LENGTH:
        raise ValidationFailed(field, "max_length", f"{field}: at most 1,000 characters")
    if len(text.split()) > MAX_QUERY_WORDS:
        raise ValidationFailed(field, "max_words", f"{field}: at most 64 words")
    return _storable(text, field)


def namespace_for(tenant_id: TenantId, kind: str) -> str:
    """The namespace holding one tenant's vectors of one kind: ``"<tenant uuid>:<kind>"``.

    Tenant isolation is by namespace: every query, fetch and delete names exactly one
    namespace, so one tenant's vectors are never scanned for another.
    """
    if kind not in KINDS:
        raise ValidationFailed("kind", "known_kind", f"kind must be one of {', '.join(KINDS)}")
    return f"{tenant_id}:{kind}"


def check_metadata(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """Validated flat metadata (the rules of :class:`VectorRecord`)."""
    return encode_metadata(metadata)[0]


def encode_metadata(metadata: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    """Validated flat metadata and its compact JSON text (whose size the rules limit)."""
    if not isinstance(metadata, Mapping):
        raise ValidationFailed("metadata", "object", "metadata must be an object")
    clean: dict[str, Any] = {}
    for key, value in metadata.items():
        if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
            raise ValidationFailed(
                "metadata", "key_pattern", f"metadata key {key!r} must match [A-Za-z_][A-Za-z0-9_]*"
            )
        if isinstance(value, str):
            clean[key] = _storable(value, f"metadata.{key}")
        elif isinstance(value, bool):
            clean[key] = value
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise _bad_value(key, "finite_number", "must be finite")
            clean[key] = value
        elif isinstance(value, int):
            if abs(value) > MAX_SAFE_INT:
                raise _bad_value(key, "safe_integer", "must be within +/-2**53")
            clean[key] = value
        elif isinstance(value, list | tuple):
            if not all(isinstance(item, str) for item in value):
                raise _bad_value(key, "list_of_strings", "must be a list of strings")
            clean[key] = [_storable(item, f"metadata.{key}") for item in value]
        elif value is None:
            raise _bad_value(key, "not_null", "must not be null")
        else:
            raise _bad_value(key, "flat_value", "must be a string, number, boolean or string list")
    encoded = _COMPACT_JSON.encode(clean)
    size = len(encoded.encode())
    if size > MAX_METADATA_BYTES:
        raise ValidationFailed("metadata", "max_size", f"metadata is {size} bytes (max 40,000)")
    return clean, encoded


_COMPACT_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def _bad_value(key: str, rule: str, message: str) -> ValidationFailed:
    field = f"metadata.{key}"
    return ValidationFailed(field, rule, f"{field} {message}")


def _check_values(values: Sequence[float]) -> tuple[float, ...]:
    if isinstance(values, str | bytes) or not isinstance(values, Sequence) or not values:
        raise ValidationFailed("values", "non_empty_vector", "values must be a non-empty list")
    if len(values) > MAX_DIMENSION:
        raise ValidationFailed("values", "max_dimension", "values: at most 20,000 dimensions")
    out = []
    for value in values:
        if not is_number(value) or not math.isfinite(value):
            raise ValidationFailed("values", "finite_numbers", "values must be finite numbers")
        out.append(float(value))
    return tuple(out)


def _to_metadata(metadata: Mapping[str, Any] | None) -> dict[str, Any]:
    return check_metadata(metadata or {})


@attrs.frozen
class VectorRecord:
    """One vector: ``id`` (ASCII, <= 512), ``values`` and flat ``metadata``."""

    id: str = attrs.field(validator=lambda _i, _a, v: check_ascii_name(v, "id"))
    values: tuple[float, ...] = attrs.field(converter=_check_values)
    metadata: dict[str, Any] = attrs.field(factory=dict, converter=_to_metadata, hash=False)

    def wire_size(self) -> int:
        """Estimated bytes of this record in a JSON upsert request (plus a separator)."""
        body = {"id": self.id, "values": list(self.values), "metadata": self.metadata}
        return len(json.dumps(body, separators=(",", ":")).encode()) + 1


def norm(values: Sequence[float]) -> float:
    return math.sqrt(math.fsum(v * v for v in values))


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine similarity (1 = same direction)."""
    return math.fsum(x * y for x, y in zip(a, b, strict=True)) / (norm(a) * norm(b))


def check_vector(values: Sequence[float], dimension: int, field: str = "values") -> None:
    """The store-side rules: the namespace's dimension, and no zero vector under cosine."""
    if len(values) != dimension:
        raise ValidationFailed(
            field, "dimension", f"{field} has dimension {len(values)}, expected {dimension}"
        )
    if norm(values) == 0.0:
        raise ValidationFailed(field, "non_zero", f"{field} must not be the zero vector (cosine)")


def check_batch(records: Sequence[VectorRecord], dimension: int) -> None:
    """Every record has the right dimension, no zero vector, ids unique in the batch."""
    seen: set[str] = set()
    for index, record in enumerate(records):
        if not isinstance(record, VectorRecord):
            raise ValidationFailed(f"records[{index}]", "vector_record", "expected VectorRecord")
        check_vector(record.values, dimension, f"records[{index}].values")
        if record.id in seen:
            raise ValidationFailed(f"records[{index}].id", "unique", f"duplicate id {record.id!r}")
        seen.add(record.id)


def check_top_k(top_k: int) -> int:
    if isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= MAX_TOP_K:
        raise ValidationFailed("top_k", "range", "top_k must be an integer from 1 to 10,000")
    return top_k


def check_list_limit(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIST_LIMIT:
        raise ValidationFailed("limit", "range", "limit must be an integer from 1 to 100")
    return limit


def check_fetch_ids(ids: Sequence[str]) -> list[str]:
    if isinstance(ids, str) or len(ids) > MAX_FETCH_IDS:
        raise ValidationFailed("ids", "max_count", "fetch takes a list of at most 1,000 ids")
    return [check_ascii_name(rid, "id") for rid in ids]


def check_delete_selector(ids: object, filter: object, prefix: object) -> None:
    """Delete takes exactly one of ids, filter and prefix."""
    if sum(x is not None for x in (ids, filter, prefix)) != 1:
        raise ValidationFailed("delete", "one_selector", "give exactly one of ids, filter, prefix")
    if isinstance(ids, list | tuple):
        for rid in ids:
            check_ascii_name(rid, "id")
    elif ids is not None:
        raise ValidationFailed("ids", "list", "ids must be a list")
    if prefix is not None:
        check_ascii_name(prefix, "prefix")


def batches(
    records: Sequence[VectorRecord],
    max_records: int = MAX_BATCH_RECORDS,
    max_bytes: int = MAX_BATCH_BYTES,
) -> Iterator[list[VectorRecord]]:
    """Split an upsert into requests of at most ``max_records`` and under ``max_bytes``."""
    envelope = 64
    batch: list[VectorRecord] = []
    size = envelope
    for record in records:
        record_size = record.wire_size()
        if batch and (len(batch) >= max_records or size + record_size >= max_bytes):
            yield batch
            batch, size = [], envelope
        batch.append(record)
        size += record_size
    if batch:
        yield batch


@attrs.frozen
class QueryMatch:
    id: str
    score: float
    values: tuple[float, ...] | None = None
    metadata: dict[str, Any] | None = attrs.field(default=None, hash=False)


@attrs.frozen
class FetchResult:
    records: dict[str, VectorRecord] = attrs.field(hash=False)
    missing: tuple[str, ...]


@attrs.frozen
class UpsertItem:
    id: str
    ok: bool
    error: str | None = None


@attrs.frozen
class UpsertResult:
    """Per-item outcome of an upsert and the number of requests (chunks) it took."""

    items: tuple[UpsertItem, ...]
    requests: int

    @property
    def ok(self) -> bool:
        return all(item.ok for item in self.items)

    @property
    def failed_ids(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.items if not item.ok)

    @property
    def upserted_count(self) -> int:
        return sum(1 for item in self.items if item.ok)


@attrs.frozen
class IdPage:
    ids: tuple[str, ...]
    next_token: str | None


@attrs.frozen
class Stats:
    dimension: int
    metric: str
    namespaces: dict[str, int] = attrs.field(hash=False)

    @property
    def total(self) -> int:
        return sum(self.namespaces.values())


def rank(candidates: Sequence[tuple[str, float]], top_k: int) -> list[tuple[str, float]]:
    """Highest score first, ties broken by id ascending."""
    return sorted(candidates, key=lambda pair: (-pair[1], pair[0]))[:top_k]
