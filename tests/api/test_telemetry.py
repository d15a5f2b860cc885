"""Booking through the HTTP app produces the expected span tree, use-case metrics and
structured logs; no span, metric or log record holds a secret."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from examples.api.sample import SampleData
from fastapi.testclient import TestClient
from opentelemetry import trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from tests.api.conftest import headers, ok
from travelcore_adapters import telemetry


@pytest.fixture(scope="module")
def provider() -> TracerProvider:
    """The process's SDK tracer provider (the app's server spans use the global one)."""
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current
    created = TracerProvider()
    trace.set_tracer_provider(created)
    return created


@pytest.fixture
def spans(provider: TracerProvider) -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield exporter
    exporter.shutdown()


@pytest.fixture
def metric_reader(provider: TracerProvider) -> Iterator[InMemoryMetricReader]:
    reader = InMemoryMetricReader()
    telemetry.install(provider, MeterProvider(metric_readers=[reader]))
    yield reader
    telemetry.uninstall()


def named(found: tuple[ReadableSpan, ...], name: str, **attributes: Any) -> list[ReadableSpan]:
    return [
        s
        for s in found
        if s.name == name and all((s.attributes or {}).get(k) == v for k, v in attributes.items())
    ]


def parent_of(span: ReadableSpan, found: tuple[ReadableSpan, ...]) -> ReadableSpan:
    assert span.parent is not None
    [parent] = [s for s in found if s.context.span_id == span.parent.span_id]
    return parent


def test_booking_through_http_produces_the_span_tree(
    client: TestClient,
    sample: SampleData,
    spans: InMemorySpanExporter,
    metric_reader: InMemoryMetricReader,
    stripe_card: Callable[[], str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    garcia = sample.parents[0]
    body = {"session_id": str(sample.sessions[0]), "child_id": str(garcia.children[0])}
    spans.clear()
    with caplog.at_level(logging.INFO):
        first = ok(client.post("/bookings", headers=headers(sample, garcia, "k-1"), json=body), 201)
        ok(client.post("/bookings", headers=headers(sample, garcia, "k-1"), json=body), 201)
        refused = client.post(
            "/bookings/group",
            headers=headers(sample, garcia, "k-2"),
            json={"session_id": str(sample.sessions[0]), "child_ids": [body["child_id"]]},
        )
        assert refused.status_code == 409
    found = spans.get_finished_spans()

    [server, retry_server] = [
        s for s in found if s.kind is SpanKind.SERVER and s.name == "POST /bookings"
    ]
    [booked, replayed] = named(
        found, "travelcore.use_case", **{"travelcore.use_case.name": "BookSession"}
    )
    assert parent_of(booked, found) == server
    assert parent_of(replayed, found) == retry_server
    assert booked.attributes is not None
    assert replayed.attributes is not None
    assert booked.attributes["travelcore.tenant_id"] == str(sample.tenant_id)
    assert booked.attributes["travelcore.idempotency_key"] == "k-1"
    assert booked.attributes["travelcore.actor"] == f"user:{garcia.user_id}"
    assert booked.attributes["travelcore.actor.role"] == "parent"
    assert "travelcore.idempotency.replayed" not in booked.attributes
    assert replayed.attributes["travelcore.idempotency.replayed"] is True
    batches = [
        s for s in named(found, "travelcore.repository.batch") if parent_of(s, found) == booked
    ]
    assert batches, "the booking's statements went to PostgreSQL in batches inside its span"
    assert all((b.attributes or {})["db.statements"] >= 1 for b in batches)

    [group] = named(found, "travelcore.use_case", **{"travelcore.use_case.name": "BookGroup"})
    assert group.status.status_code is StatusCode.ERROR
    assert (group.attributes or {})["travelcore.error.code"] == "already_booked"

    calls = {
        (p.attributes["travelcore.use_case.name"], p.attributes["travelcore.outcome"]): p.value
        for m in _metrics(metric_reader)
        if m.name == "travelcore.use_case.calls"
        for p in m.data.data_points
    }
    assert calls[("BookSession", "ok")] == 2
    assert calls[("BookGroup", "already_booked")] == 1

    records = [r for r in caplog.records if r.name == "travelcore.use_case"]
    assert {(r.use_case, r.idempotency_key, r.tenant_id) for r in records} >= {  # type: ignore[attr-defined]
        ("BookSession", "k-1", str(sample.tenant_id)),
        ("BookGroup", "k-2", str(sample.tenant_id)),
    }
    assert first["booking_id"]

    # a payment: its use case records the payment, then the gateway is called (outside any
    # transaction, so outside the use case's span)
    trip = _trip(client, sample)
    spans.clear()
    card = stripe_card()  # (made by the test's own client, outside the captured logs)
    with caplog.at_level(logging.INFO):
        ok(
            client.post(
                f"/travel/trips/{trip}/payments",
                headers=headers(sample, sample.traveller, "pay"),
                json={"payment_method": card},
            ),
            201,
        )
        signed = client.post(
            "/auth/sessions",
            json={
                "tenant_id": str(sample.tenant_id),
                "email": garcia.email,
                "password": sample.password,
            },
        )
    paid = spans.get_finished_spans()
    [server] = [s for s in paid if s.kind is SpanKind.SERVER and s.name.endswith("/payments")]
    # two units of work: the payment is recorded, then the provider's answer
    record, outcome = named(paid, "travelcore.use_case", **{"travelcore.use_case.name": "PayTrip"})
    assert parent_of(record, paid) == server
    assert parent_of(outcome, paid) == server
    gateway = named(paid, "travelcore.gateway.call", **{"travelcore.gateway.provider": "stripe"})
    assert len(gateway) == 2  # create and confirm the payment intent
    assert all(parent_of(g, paid) == server for g in gateway)

    secrets = [
        garcia.api_key,
        sample.traveller.api_key,
        sample.password,
        ok(signed, 201)["token"],
        "4242424242424242",
    ]
    assert not _leaks(found + paid, caplog.records, metric_reader, secrets)


def _trip(client: TestClient, sample: SampleData) -> str:
    item = {
        "kind": "tour",
        "provider": "GetYourGuide",
        "external_ref": "GYG-1",
        "unit_price": {"amount": "45.00", "currency": "EUR"},
        "quantity": 2,
        "starts_on": "2026-04-15",
    }
    trip = client.post(
        "/travel/trips",
        headers=headers(sample, sample.traveller, "trip"),
        json={"currency": "EUR", "items": [item]},
    )
    return str(ok(trip, 201)["id"])


def _metrics(reader: InMemoryMetricReader) -> list[Any]:
    data = reader.get_metrics_data()
    assert data is not None
    return [m for rm in data.resource_metrics for sm in rm.scope_metrics for m in sm.metrics]


def _leaks(
    found: tuple[ReadableSpan, ...],
    records: list[logging.LogRecord],
    reader: InMemoryMetricReader,
    secrets: list[str],
) -> list[str]:
    """Every recorded text that contains one of ``secrets``."""
    texts = [s.name for s in found]
    for s in found:
        texts += [f"{k}={v}" for k, v in (s.attributes or {}).items()]
        for event in s.events:
            texts += [f"{k}={v}" for k, v in (event.attributes or {}).items()]
    for r in records:
        texts += [r.getMessage(), *map(str, vars(r).values())]
    for m in _metrics(reader):
        texts += [str(p.attributes) for p in m.data.data_points]
    return [t for t in texts if any(secret in t for secret in secrets)]
