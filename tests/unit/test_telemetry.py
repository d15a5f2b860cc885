"""The tracing port: nothing is recorded until a host installs telemetry; with the
OpenTelemetry adapter, the outbox relay's deliveries are spans and a counter."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from examples.api.app import Services
from examples.api.sample import seed
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from travelcore.booking import BookSession
from travelcore.kernel import Actor, ManualClock, Role
from travelcore.kernel import telemetry as port
from travelcore_adapters import bootstrap, telemetry
from travelcore_adapters.security import AesGcmSecretBox


@pytest.fixture
def recorded() -> Iterator[tuple[InMemorySpanExporter, InMemoryMetricReader]]:
    exporter, reader = InMemorySpanExporter(), InMemoryMetricReader()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    telemetry.install(provider, MeterProvider(metric_readers=[reader]))
    yield exporter, reader
    telemetry.uninstall()


def _services() -> Services:
    box = AesGcmSecretBox({"k": AesGcmSecretBox.generate_key()}, "k")
    clock = ManualClock(datetime(2026, 3, 2, 9, tzinfo=UTC))
    return Services.of(bootstrap.memory(clock=clock, secret_box=box), "secret")


def _book(services: Services) -> None:
    sample = seed(services)
    garcia = sample.parents[0]
    parent = Actor(tenant_id=sample.tenant_id, role=Role.PARENT, user_id=garcia.user_id)
    services.app.booking.book(
        BookSession(
            tenant_id=sample.tenant_id,
            session_id=sample.sessions[0],
            child_id=garcia.children[0],
            parent_id=garcia.user_id,
            idempotency_key="book",
        ),
        actor=parent,
    )


def test_the_relay_reports_its_deliveries(
    recorded: tuple[InMemorySpanExporter, InMemoryMetricReader],
) -> None:
    exporter, reader = recorded
    services = _services()
    _book(services)
    exporter.clear()
    report = services.relay().drain()
    assert report.delivered > 0
    deliveries = [s for s in exporter.get_finished_spans() if s.name == port.RELAY_DELIVERY]
    assert {(s.attributes or {})["travelcore.consumer"] for s in deliveries} == {"notifications"}
    data = reader.get_metrics_data()
    assert data is not None
    [counted] = [
        point.value
        for rm in data.resource_metrics
        for sm in rm.scope_metrics
        for metric in sm.metrics
        if metric.name == port.RELAY_DELIVERIES
        for point in metric.data.data_points
    ]
    assert counted == report.delivered


def test_nothing_is_recorded_until_telemetry_is_installed() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    telemetry.install(provider)
    telemetry.uninstall()
    _book(_services())
    assert exporter.get_finished_spans() == ()
    telemetry.install(provider)
    try:
        _book(_services())
    finally:
        telemetry.uninstall()
    assert any(s.name == port.USE_CASE for s in exporter.get_finished_spans())
