"""Exponential backoff, shared by every retrying job (outbox relay, notification sender)."""

from __future__ import annotations

from datetime import timedelta

import attrs

from travelcore.kernel.errors import ValidationFailed


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """Attempt ``n`` (from 1) that failed waits ``base * factor ** (n - 1)``, at most
    ``cap``; after ``max_attempts`` failures the work is parked."""

    max_attempts: int = 6
    base: timedelta = timedelta(seconds=30)
    factor: int = 2
    cap: timedelta = timedelta(hours=1)

    def __attrs_post_init__(self) -> None:
        if isinstance(self.max_attempts, bool) or self.max_attempts < 1:
            raise ValidationFailed("max_attempts", "positive_integer")
        if self.base <= timedelta(0):
            raise ValidationFailed("base", "positive_duration")
        if self.factor < 1:
            raise ValidationFailed("factor", "at_least_1")
        if self.cap < self.base:
            raise ValidationFailed("cap", "at_least_base")

    def delay(self, attempts: int) -> timedelta:
        """How long to wait after the ``attempts``-th failure."""
        multiplier = int(self.factor ** max(attempts - 1, 0))
        return min(self.base * multiplier, self.cap)

    def exhausted(self, attempts: int) -> bool:
        return attempts >= self.max_attempts
