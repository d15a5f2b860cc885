"""A small circuit breaker driven by an injected clock (so tests control the cooldown).

closed: calls go through; ``failure_threshold`` consecutive failures open the circuit.
open: calls fail at once with the ``error`` factory's exception until ``cooldown`` has passed.
half-open: one trial call goes through; success closes the circuit, failure reopens it.
Only exceptions of the types in ``counts`` are failures; others pass through untouched.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Literal, TypeVar

from travelcore.kernel.clock import Clock
from travelcore.kernel.errors import Unavailable

T = TypeVar("T")
State = Literal["closed", "open", "half_open"]


class CircuitBreaker:
    def __init__(
        self,
        clock: Clock,
        *,
        failure_threshold: int = 5,
        cooldown: timedelta = timedelta(seconds=30),
        counts: tuple[type[BaseException], ...] = (Unavailable,),
        error: Callable[[str], Exception] = Unavailable,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be >= 1")
        self._clock = clock
        self._threshold = failure_threshold
        self._cooldown = cooldown
        self._counts = counts
        self._error = error
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: datetime | None = None
        self._trial_running = False

    @property
    def state(self) -> State:
        with self._lock:
            return self._state()

    def _state(self) -> State:
        if self._opened_at is None:
            return "closed"
        if self._clock.now() - self._opened_at >= self._cooldown:
            return "half_open"
        return "open"

    def call(self, action: Callable[[], T]) -> T:
        with self._lock:
            state = self._state()
            if state == "open" or (state == "half_open" and self._trial_running):
                raise self._error("circuit open: the service failed repeatedly; retry later")
            trial = state == "half_open"
            if trial:
                self._trial_running = True
        try:
            result = action()
        except self._counts:
            self._record(success=False, trial=trial)
            raise
        except BaseException:
            if trial:
                with self._lock:
                    self._trial_running = False
            raise
        self._record(success=True, trial=trial)
        return result

    def _record(self, *, success: bool, trial: bool) -> None:
        with self._lock:
            if trial:
                self._trial_running = False
            if success:
                self._failures = 0
                self._opened_at = None
                return
            self._failures += 1
            if trial or self._failures >= self._threshold:
                self._opened_at = self._clock.now()
