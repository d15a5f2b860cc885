"""Checks for the values that cross the public boundary, each raising
``ValidationFailed(field, rule)``.

A check is a callable ``check(value, field)``. :func:`validated` declares the checks of a
command class's fields and :func:`check_command` applies them, which every use case does
first (``run_use_case``, ``run_idempotent``): the same refusal on every adapter, before
anything is read or written.
The rules follow what PostgreSQL can store (no NUL, no lone surrogates, ``int4``/``int8``
ranges) and what the domain means (aware instants, ISO-4217 currencies, IANA zones,
amounts no finer than the currency's minor unit).

Identifiers are ``uuid.UUID`` instances; a string that spells a UUID is refused
(``uuid``), on every adapter alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from travelcore.kernel.errors import ValidationFailed
from travelcore.kernel.money import MINOR_UNITS, Money

__all__ = [
    "INT4_MAX",
    "INT8_MAX",
    "MAX_AMOUNT",
    "Check",
    "boolean",
    "check_all",
    "check_command",
    "currency",
    "day",
    "decimal",
    "entries",
    "ids",
    "instance",
    "instant",
    "integer",
    "items",
    "json_value",
    "member",
    "money",
    "one_of",
    "optional",
    "record",
    "text",
    "time_zone",
    "uuid",
    "validated",
    "wall_time",
]

Check = Callable[[Any, str], None]
C = TypeVar("C", bound=type)

INT4_MAX = 2**31 - 1
INT8_MAX = 2**63 - 1
MAX_AMOUNT = Decimal(10) ** 12
"""Money amounts stay below one trillion of the currency's unit."""


def text(max_length: int, *, min_length: int = 1, strip: bool = True) -> Check:
    """A ``str`` PostgreSQL can store (no NUL, valid UTF-8), not blank (when ``min_length``
    > 0) and at most ``max_length`` characters."""

    def check(value: Any, field: str) -> None:
        if not isinstance(value, str):
            raise ValidationFailed(field, "string", f"{field} must be a string")
        if "\x00" in value:
            raise ValidationFailed(field, "no_nul", f"{field} must not contain NUL characters")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValidationFailed(field, "utf8", f"{field} must be valid Unicode") from None
        if len(value.strip() if strip else value) < min_length:
            raise ValidationFailed(field, "non_empty", f"{field} must not be empty")
        if len(value) > max_length:
            raise ValidationFailed(
                field, f"max_length_{max_length}", f"{field} is longer than {max_length}"
            )

    return check


def integer(minimum: int = 0, maximum: int = INT4_MAX, *, rule: str | None = None) -> Check:
    """An ``int`` (not a ``bool``) within ``[minimum, maximum]`` (default: ``int4``);
    ``rule`` names a refused value on either side (default: ``positive``, ``max_N``...)."""

    def check(value: Any, field: str) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationFailed(field, "integer", f"{field} must be an integer")
        if value < minimum:
            low = rule or {0: "non_negative", 1: "positive"}.get(minimum, f"min_{minimum}")
            raise ValidationFailed(field, low, f"{field} must be at least {minimum}")
        if value > maximum:
            high = rule or f"max_{maximum}"
            raise ValidationFailed(field, high, f"{field} must be at most {maximum}")

    return check


def json_value(*, max_items: int = 100, max_depth: int = 8, max_length: int = 1_000) -> Check:
    """A JSON value: ``None``, a ``bool``, an ``int8``, a finite ``float``, a ``str``
    (as :func:`text`, may be empty), a list or a ``str``-keyed mapping of them, with at
    most ``max_items`` entries per container, nested at most ``max_depth`` deep."""
    string = text(max_length, min_length=0, strip=False)
    number = integer(-INT8_MAX, INT8_MAX)

    def walk(value: Any, field: str, depth: int) -> None:
        if value is None or isinstance(value, bool):
            return
        if isinstance(value, int):
            number(value, field)
        elif isinstance(value, float):
            if value != value or value in (float("inf"), float("-inf")):
                raise ValidationFailed(field, "finite", f"{field} must be a finite number")
        elif isinstance(value, str):
            string(value, field)
        elif isinstance(value, list | tuple | Mapping):
            if depth >= max_depth:
                raise ValidationFailed(
                    field, f"max_depth_{max_depth}", f"{field} is nested too deep"
                )
            if len(value) > max_items:
                raise ValidationFailed(
                    field, f"max_{max_items}_items", f"{field} holds more than {max_items}"
                )
            if isinstance(value, Mapping):
                for key, item in value.items():
                    string(key, field)
                    walk(item, f"{field}.{key}", depth + 1)
            else:
                for index, item in enumerate(value):
                    walk(item, f"{field}[{index}]", depth + 1)
        else:
            raise ValidationFailed(field, "json_value", f"{field} must be a JSON value")

    def check(value: Any, field: str) -> None:
        walk(value, field, 0)

    return check


def boolean(value: Any, field: str) -> None:
    if not isinstance(value, bool):
        raise ValidationFailed(field, "boolean", f"{field} must be true or false")


def uuid(value: Any, field: str) -> None:
    """A ``uuid.UUID`` (strings are refused, so every adapter finds the same rows)."""
    if not isinstance(value, UUID):
        raise ValidationFailed(field, "uuid", f"{field} must be a UUID")


FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2199, 12, 31)
"""Dates and instants lie in these years (date arithmetic never overflows)."""


def _in_years(value: date, field: str) -> None:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValidationFailed(
            field, "years_1900_to_2199", f"{field} must lie in the years 1900 to 2199"
        )


def day(value: Any, field: str) -> None:
    """A calendar ``date`` in the years 1900 to 2199 (a ``datetime`` is refused)."""
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ValidationFailed(field, "date", f"{field} must be a date")
    _in_years(value, field)


def instant(value: Any, field: str) -> None:
    """A timezone-aware ``datetime`` in the years 1900 to 2199."""
    if not isinstance(value, datetime):
        raise ValidationFailed(field, "datetime", f"{field} must be a datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationFailed(field, "timezone_aware", f"{field} must be timezone-aware")
    _in_years(value.date(), field)


def wall_time(value: Any, field: str) -> None:
    """A wall-clock ``time`` without a zone (the zone is a field of its own)."""
    if not isinstance(value, time) or value.tzinfo is not None:
        raise ValidationFailed(field, "wall_time", f"{field} must be a time without a zone")


def currency(value: Any, field: str) -> None:
    if not isinstance(value, str) or value not in MINOR_UNITS:
        raise ValidationFailed(field, "iso_4217", f"{field} must be an ISO-4217 currency code")


def time_zone(value: Any, field: str) -> None:
    """The name of an IANA time zone."""
    text(64)(value, field)
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed(field, "iana_zone", f"{field}: unknown IANA zone") from None


def money(*, minimum: Decimal = Decimal(0), maximum: Decimal = MAX_AMOUNT) -> Check:
    """``Money`` with a finite amount in ``[minimum, maximum)``, no finer than the
    currency's minor unit (never rounded silently)."""

    def check(value: Any, field: str) -> None:
        if not isinstance(value, Money):
            raise ValidationFailed(field, "money", f"{field} must be Money")
        amount = value.amount
        if not isinstance(amount, Decimal) or not amount.is_finite():
            raise ValidationFailed(field, "finite", f"{field} must be finite")
        if not minimum <= amount < maximum:
            raise ValidationFailed(
                field, "amount_range", f"{field} must be at least {minimum} and below {maximum}"
            )
        if amount != round(amount, value.minor_units):
            raise ValidationFailed(
                field, "minor_unit", f"{field} is finer than the {value.currency} minor unit"
            )

    return check


def decimal(places: int, *, minimum: Decimal = Decimal(0), maximum: Decimal = MAX_AMOUNT) -> Check:
    """A finite ``Decimal`` (an ``int`` is accepted) in ``[minimum, maximum)`` with at most
    ``places`` decimal places (never rounded silently)."""

    def check(value: Any, field: str) -> None:
        if isinstance(value, bool) or not isinstance(value, Decimal | int):
            raise ValidationFailed(field, "decimal", f"{field} must be a Decimal")
        amount = Decimal(value)
        if not amount.is_finite():
            raise ValidationFailed(field, "finite", f"{field} must be finite")
        if not minimum <= amount < maximum:
            raise ValidationFailed(
                field, "range", f"{field} must be at least {minimum} and below {maximum}"
            )
        if amount != round(amount, places):
            raise ValidationFailed(
                field, f"max_{places}_places", f"{field} has more than {places} decimal places"
            )

    return check


def instance(kind: type | tuple[type, ...], rule: str) -> Check:
    """An instance of ``kind`` (a ``bool`` is never an ``int``), refused as ``rule``."""

    def check(value: Any, field: str) -> None:
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
            raise ValidationFailed(field, rule, f"{field} must be a {rule}")

    return check


def record(kind: type) -> Check:
    """An instance of the value class ``kind`` whose own declared checks pass (fields
    named ``field.name``)."""
    name = kind.__name__

    def check(value: Any, field: str) -> None:
        if not isinstance(value, kind):
            raise ValidationFailed(field, name, f"{field} must be a {name}")
        check_command(value, prefix=f"{field}.")

    return check


def member(enum: type[Enum]) -> Check:
    """A member of ``enum`` (its bare value is refused: one spelling everywhere)."""

    def check(value: Any, field: str) -> None:
        if not isinstance(value, enum):
            names = ", ".join(str(m.value) for m in enum)
            raise ValidationFailed(field, "one_of", f"{field} must be one of {names}")

    return check


def one_of(values: Iterable[str]) -> Check:
    """One of the strings ``values``."""
    known = frozenset(values)

    def check(value: Any, field: str) -> None:
        if not isinstance(value, str) or value not in known:
            raise ValidationFailed(
                field, "one_of", f"{field} must be one of {', '.join(sorted(known))}"
            )

    return check


def optional(inner: Check) -> Check:
    """``None`` or a value ``inner`` accepts."""

    def check(value: Any, field: str) -> None:
        if value is not None:
            inner(value, field)

    return check


def items(inner: Check, *, max_items: int, min_items: int = 0) -> Check:
    """A list or tuple of ``min_items`` to ``max_items`` values ``inner`` accepts."""

    def check(value: Any, field: str) -> None:
        if not isinstance(value, list | tuple):
            raise ValidationFailed(field, "list", f"{field} must be a list")
        if not min_items <= len(value) <= max_items:
            raise ValidationFailed(
                field,
                f"between_{min_items}_and_{max_items}_items",
                f"{field} must hold {min_items} to {max_items} items",
            )
        for index, item in enumerate(value):
            inner(item, f"{field}[{index}]")

    return check


def entries(keys: Check, values: Check, *, max_items: int, min_items: int = 1) -> Check:
    """A mapping of ``min_items`` to ``max_items`` entries."""

    def check(value: Any, field: str) -> None:
        if not isinstance(value, Mapping):
            raise ValidationFailed(field, "mapping", f"{field} must be a mapping")
        if not min_items <= len(value) <= max_items:
            raise ValidationFailed(
                field,
                f"between_{min_items}_and_{max_items}_items",
                f"{field} must hold {min_items} to {max_items} entries",
            )
        for key, item in value.items():
            keys(key, field)
            values(item, f"{field}.{key}")

    return check


def check_all(values: Mapping[str, Any], checks: Mapping[str, Check]) -> None:
    """Apply ``checks[name]`` to ``values[name]``, in the order of ``checks``."""
    for name, check in checks.items():
        check(values[name], name)


def ids(**values: Any) -> None:
    """Each keyword argument a ``uuid.UUID``, named by its keyword (a query's ids)."""
    for name, value in values.items():
        uuid(value, name)


_COMMAND_CHECKS: dict[type, dict[str, Check]] = {}


def validated(cls: C, **checks: Check) -> C:
    """Declare the checks of the command class ``cls``'s fields; :func:`check_command`
    applies them (``run_idempotent`` does so before anything else)."""
    _COMMAND_CHECKS[cls] = dict(checks)
    return cls


def check_command(command: object, *, prefix: str = "") -> None:
    """Apply the checks declared for ``command``'s class, field by field in declared
    order (each field named ``prefix + name``); a class without declared checks passes."""
    for kind in type(command).__mro__:
        checks = _COMMAND_CHECKS.get(kind)
        if checks is not None:
            for name, check in checks.items():
                check(getattr(command, name), prefix + name)
            return
