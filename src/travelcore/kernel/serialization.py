"""The one serialization path: commands, events, idempotent results and payloads to
JSON-ready data and back. Decimal, UUID, datetimes, zones and enums are handled here once."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum, IntEnum, StrEnum
from typing import Any, TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo

import cattrs

T = TypeVar("T")


def _structure(conv: cattrs.Converter, cls: type[T], parse: Callable[[Any], T]) -> None:
    """Register ``parse`` for ``cls``; values that already are a ``cls`` pass through."""

    def hook(value: Any, _: Any) -> T:
        return value if isinstance(value, cls) else parse(value)

    conv.register_structure_hook(cls, hook)


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=True)
    conv.register_unstructure_hook(Decimal, str)
    conv.register_unstructure_hook(UUID, str)
    conv.register_unstructure_hook(datetime, datetime.isoformat)
    conv.register_unstructure_hook(date, date.isoformat)
    conv.register_unstructure_hook(time, time.isoformat)
    conv.register_unstructure_hook(timedelta, timedelta.total_seconds)
    conv.register_unstructure_hook(ZoneInfo, lambda z: z.key)
    for enum_base in (Enum, StrEnum, IntEnum):
        conv.register_unstructure_hook(enum_base, lambda e: e.value)
    _structure(conv, Decimal, lambda v: Decimal(v if isinstance(v, str | int) else str(v)))
    _structure(conv, UUID, UUID)
    _structure(conv, datetime, datetime.fromisoformat)
    _structure(conv, date, date.fromisoformat)
    _structure(conv, time, time.fromisoformat)
    _structure(conv, timedelta, lambda v: timedelta(seconds=v))
    _structure(conv, ZoneInfo, ZoneInfo)
    return conv


converter = _make_converter()


def to_data(obj: Any) -> Any:
    """``obj`` as JSON-ready data (dicts, lists, strings, numbers)."""
    return converter.unstructure(obj)


def from_data(data: Any, cls: type[T]) -> T:
    """Rebuild a ``cls`` from data produced by :func:`to_data`."""
    return converter.structure(data, cls)


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"))


def dumps(obj: Any) -> str:
    """Canonical JSON (sorted keys, no spaces) of :func:`to_data`'s form of ``obj``:
    equal objects give equal strings. Data that already is JSON-ready is encoded as it
    is (the same string, without the walk through :func:`to_data`)."""
    try:
        return _CANONICAL.encode(obj)
    except TypeError:
        return _CANONICAL.encode(to_data(obj))


def loads(text: str, cls: type[T]) -> T:
    return from_data(json.loads(text), cls)
