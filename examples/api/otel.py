"""The OpenTelemetry SDK for the example app: spans and metrics to the console."""

from __future__ import annotations

from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import ConsoleMetricExporter, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor

from travelcore_adapters import telemetry


def console_telemetry() -> None:
    """Install SDK providers that print to stdout, and send travelcore's spans to them."""
    resource = Resource.create({"service.name": "travelcore-example-api"})
    tracer_provider = TracerProvider(resource=resource)
    # printed as each span ends: a server stopped by a signal has no exit hook to flush
    tracer_provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
    trace.set_tracer_provider(tracer_provider)
    reader = PeriodicExportingMetricReader(ConsoleMetricExporter(), export_interval_millis=30_000)
    metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=[reader]))
    telemetry.install()
