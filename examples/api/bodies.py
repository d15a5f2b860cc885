"""Request bodies derived from the library's attrs commands, so the OpenAPI schema and the
commands cannot drift: :func:`body_of` makes a pydantic model of a command's fields (the
ones the request does not supply from elsewhere), :func:`command` turns a body back into
the command through the library's one serialization path."""

from __future__ import annotations

import functools
import types
import typing
from datetime import time
from typing import Annotated, Any, TypeVar

import attrs
import cattrs
from pydantic import BaseModel, ConfigDict, Field, create_model

from travelcore.kernel import ValidationFailed, from_data, to_data

T = TypeVar("T")


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    """A response: the library's result as its converter serializes it."""


@functools.cache
def body_of(
    cls: type, omit: frozenset[str] = frozenset(), name: str | None = None, base: type = Body
) -> type[BaseModel]:
    """A pydantic model of the attrs class ``cls`` without the fields in ``omit``; nested
    attrs classes become nested models."""
    hints = typing.get_type_hints(cls)
    fields: dict[str, Any] = {}
    for field in attrs.fields(cls):
        if field.name in omit or not field.init:
            continue
        kind = _model_type(hints[field.name], base)
        if field.default is attrs.NOTHING:
            fields[field.name] = (kind, ...)
        elif isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
            fields[field.name] = (kind, None)
        else:
            fields[field.name] = (kind, field.default)
    suffix = "" if base is Body else "Out"
    return create_model(name or f"{cls.__name__}{suffix}", __base__=base, **fields)


def out(cls: type) -> type[BaseModel]:
    """The response model of the library's result class ``cls``."""
    return body_of(cls, base=Out)


LocalTime = Annotated[
    str,
    Field(
        pattern=r"^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$",
        description="A wall-clock time in the zone the record names (no offset)",
    ),
]


def _model_type(hint: Any, base: type) -> Any:
    if hint is time and base is Out:
        return LocalTime  # JSON Schema's "time" format needs an offset, which these lack
    if attrs.has(hint):
        return body_of(hint, base=base)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is None or not args:
        return hint
    converted = tuple(_model_type(arg, base) for arg in args)
    if origin in (typing.Union, types.UnionType):
        return typing.Union[converted]  # noqa: UP007 (built from a tuple)
    return origin[converted if len(converted) > 1 else converted[0]]


def command(cls: type[T], body: Body | None, **context: Any) -> T:
    """The command ``cls`` of ``body``'s fields and ``context`` (tenant, actor ids, key)."""
    data = {} if body is None else body.model_dump(mode="json", exclude_none=True)
    try:
        return from_data({**data, **{k: to_data(v) for k, v in context.items()}}, cls)
    except cattrs.BaseValidationError as error:
        raise ValidationFailed("body", "structure", str(error)) from None
