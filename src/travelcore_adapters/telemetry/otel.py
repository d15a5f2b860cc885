"""The :class:`~travelcore.kernel.telemetry.Telemetry` port on the OpenTelemetry API."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry import metrics, trace
from opentelemetry.trace import Status, StatusCode

from travelcore import __version__
from travelcore.kernel import TravelcoreError, telemetry
from travelcore.kernel.telemetry import Attributes

SCOPE = "travelcore"


class OpenTelemetry:
    """Spans on ``tracer_provider``, metrics on ``meter_provider`` (the global providers
    by default). Every ``travelcore.use_case`` span also counts one call in
    ``travelcore.use_case.calls`` and its seconds in ``travelcore.use_case.duration``,
    labelled with the use case and its outcome (``ok`` or the error's code)."""

    def __init__(
        self,
        tracer_provider: trace.TracerProvider | None = None,
        meter_provider: metrics.MeterProvider | None = None,
    ) -> None:
        self._tracer = trace.get_tracer(SCOPE, __version__, tracer_provider)
        meter = metrics.get_meter(SCOPE, __version__, meter_provider)
        self._calls = meter.create_counter(
            "travelcore.use_case.calls", unit="{call}", description="Use cases run"
        )
        self._duration = meter.create_histogram(
            "travelcore.use_case.duration", unit="s", description="Use-case duration"
        )
        self._deliveries = meter.create_counter(
            telemetry.RELAY_DELIVERIES,
            unit="{message}",
            description="Outbox messages the relay delivered",
        )
        self._counters = {telemetry.RELAY_DELIVERIES: self._deliveries}

    @contextmanager
    def span(self, name: str, attributes: Attributes) -> Iterator[None]:
        started = time.perf_counter()
        outcome = "ok"
        with self._tracer.start_as_current_span(
            name, attributes=attributes, record_exception=False, set_status_on_exception=False
        ) as current:
            try:
                yield
            except Exception as error:
                outcome = error.code if isinstance(error, TravelcoreError) else "error"
                current.set_attribute("travelcore.error.code", outcome)
                current.record_exception(error)
                current.set_status(Status(StatusCode.ERROR, type(error).__name__))
                raise
            finally:
                if name == telemetry.USE_CASE:
                    labels = {
                        "travelcore.use_case.name": str(
                            attributes.get("travelcore.use_case.name", "")
                        ),
                        "travelcore.outcome": outcome,
                    }
                    self._calls.add(1, labels)
                    self._duration.record(time.perf_counter() - started, labels)

    def annotate(self, attributes: Attributes) -> None:
        trace.get_current_span().set_attributes(attributes)

    def add(self, counter: str, amount: int, attributes: Attributes) -> None:
        self._counters[counter].add(amount, attributes)


def install(
    tracer_provider: trace.TracerProvider | None = None,
    meter_provider: metrics.MeterProvider | None = None,
) -> OpenTelemetry:
    """Send travelcore's spans and metrics to OpenTelemetry (the global providers unless
    given); returns the installed adapter."""
    adapter = OpenTelemetry(tracer_provider, meter_provider)
    telemetry.install(adapter)
    return adapter


def uninstall() -> None:
    """Stop sending travelcore's spans and metrics anywhere."""
    telemetry.install(None)
