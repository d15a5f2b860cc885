"""Time is injected: the domain never reads the wall clock itself."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from travelcore.kernel.errors import ValidationFailed


@runtime_checkable
class Clock(Protocol):
    """A source of timezone-aware UTC instants."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to; thread-safe, for tests and simulations."""

    def __init__(self, start: datetime) -> None:
        self._now = utc(start, "start")
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by ``delta`` (negative: ``ValidationFailed``); returns the new now."""
        if delta < timedelta(0):
            raise ValidationFailed("delta", "non_negative", "a clock never goes back")
        with self._lock:
            self._now += delta
            return self._now

    def set(self, instant: datetime) -> None:
        """Move to ``instant``; an instant before now raises ``ValidationFailed`` (field
        ``instant``, rule ``not_before_now``): time never goes back, so nothing recorded
        can end up in the future. Use a new clock to start over."""
        instant = utc(instant, "instant")
        with self._lock:
            if instant < self._now:
                raise ValidationFailed("instant", "not_before_now", "a clock never goes back")
            self._now = instant


def checked_clock(clock: Clock, field: str = "clock") -> Clock:
    """``clock``, once its ``now()`` has returned a timezone-aware UTC instant; anything
    else is refused when the clock is injected, not deep inside a use case."""
    now = getattr(clock, "now", None)
    if not callable(now):
        raise ValidationFailed(field, "clock", f"{field} must have a now() method")
    instant = now()
    if not isinstance(instant, datetime) or instant.utcoffset() != timedelta(0):
        raise ValidationFailed(
            field, "aware_utc", f"{field}.now() must return a timezone-aware UTC datetime"
        )
    return clock


def utc(instant: datetime, field: str = "instant") -> datetime:
    """Return ``instant`` in UTC; naive datetimes are refused."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValidationFailed(field, "timezone_aware", f"{field} must be timezone-aware")
    return instant.astimezone(UTC)


def zone(name: str, field: str = "timezone") -> ZoneInfo:
    """An IANA time zone by name, or a ``ValidationFailed`` naming ``field``."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ValidationFailed(field, "iana_zone", f"unknown IANA time zone {name!r}") from exc
