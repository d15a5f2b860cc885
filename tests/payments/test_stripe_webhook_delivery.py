"""Real webhook delivery: localstripe signs and posts events to a local endpoint, and the
Stripe adapter verifies them with ``stripe.Webhook.construct_event``."""

from __future__ import annotations

import queue
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.payments.conftest import WEBHOOK_SECRET
from travelcore.kernel import ManualClock, Money, TenantId, UserId, new_uuid
from travelcore.payments import PaymentService, PayTrip, WebhookOutcome
from travelcore.testing.actors import admin
from travelcore.travel import BookTrip, LineItem, RegisterTenant, TravelService
from travelcore_adapters.memory import MemoryDatabase
from travelcore_adapters.stripe import StripeGateway

Delivery = tuple[bytes, dict[str, str]]


@pytest.fixture
def endpoint(localstripe_url: str) -> Iterator[queue.Queue[Delivery]]:
    received: queue.Queue[Delivery] = queue.Queue()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.put((body, dict(self.headers.items())))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    form = urllib.parse.urlencode(
        {
            "url": f"http://127.0.0.1:{server.server_address[1]}/stripe",
            "secret": WEBHOOK_SECRET,
            "events[]": "payment_intent.succeeded",
        }
    ).encode()
    urllib.request.urlopen(f"{localstripe_url}/_config/webhooks/travelcore", form)
    try:
        yield received
    finally:
        server.shutdown()
        server.server_close()


def test_delivered_events_are_verified_and_applied_once(
    endpoint: queue.Queue[Delivery],
    stripe_gateway: StripeGateway,
    stripe_card: Callable[[], str],
    clock: ManualClock,
) -> None:
    db = MemoryDatabase()
    travel = TravelService(db, clock)
    payments = PaymentService(db, clock, gateway=stripe_gateway)
    tenant = TenantId(new_uuid())
    travel.register_tenant(
        RegisterTenant(tenant_id=tenant, name="T", idempotency_key="t"), actor=admin(tenant)
    )
    trip = travel.book_trip(
        BookTrip(
            tenant_id=tenant,
            user_id=UserId(new_uuid()),
            currency="EUR",
            items=(
                LineItem.flight(
                    provider="A",
                    external_ref="F",
                    fare=Money.of("99.00", "EUR"),
                    passengers=1,
                    departs_on=date(2026, 6, 1),
                    destination="X",
                ),
            ),
            idempotency_key="b",
        ),
        actor=admin(tenant),
    )
    paid = payments.pay(
        PayTrip(
            tenant_id=tenant, trip_id=trip.id, payment_method=stripe_card(), idempotency_key="p"
        ),
        actor=admin(tenant),
    )
    deadline = time.monotonic() + 30
    while True:  # other tests' events may arrive too: wait for this payment's
        body, headers = endpoint.get(timeout=max(deadline - time.monotonic(), 0.1))
        event = stripe_gateway.parse_webhook(body, headers)
        if event.provider_ref == paid.provider_ref:
            break
    assert event.tenant_id == tenant
    assert payments.handle_webhook(body, headers) is WebhookOutcome.RECORDED
    assert payments.handle_webhook(body, headers) is WebhookOutcome.REPLAY
    with db(tenant) as uow:
        assert uow.webhook_events.seen(event.id)
