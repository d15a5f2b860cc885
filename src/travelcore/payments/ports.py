"""The payment gateway port and the payment repositories."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

import attrs

from travelcore.kernel import Money, TenantId, UnitOfWork
from travelcore.kernel.idempotency import IdempotencyStore
from travelcore.payments.model import Payment, PaymentId, PaymentStatus
from travelcore.travel import TripId, TripRepository

#: Metadata key under which gateways carry the tenant, so webhooks find their tenant.
TENANT_METADATA_KEY = "travelcore_tenant"


@attrs.frozen(kw_only=True)
class GatewayPayment:
    provider_ref: str
    status: PaymentStatus
    amount: Money


@attrs.frozen(kw_only=True)
class GatewayRefund:
    provider_ref: str
    amount: Money


@attrs.frozen(kw_only=True)
class WebhookEvent:
    """A verified provider event; ``status`` is set for payment outcomes."""

    id: str
    type: str
    provider_ref: str | None = None
    status: PaymentStatus | None = None
    tenant_id: TenantId | None = None


class PaymentGateway(Protocol):
    """A payment provider. Adapters raise ``PaymentDeclined`` for declined cards,
    ``PaymentGatewayUnavailable`` when the provider cannot be reached, ``ValidationFailed`` when
    the provider rejects a request for good, and send the idempotency keys they get to the
    provider (travelcore does not rely on them: it enforces idempotency and refund caps
    itself)."""

    name: str

    def create_payment(
        self,
        amount: Money,
        *,
        payment_method: str,
        idempotency_key: str,
        metadata: Mapping[str, str],
    ) -> GatewayPayment: ...

    def confirm_payment(self, provider_ref: str, *, idempotency_key: str) -> GatewayPayment:
        """Capture the payment; ``PaymentDeclined`` if the instrument is declined."""
        ...

    def payment_status(self, provider_ref: str) -> GatewayPayment:
        """What the provider knows of the payment now (``INITIATED``: not captured yet)."""
        ...

    def cancel_payment(self, provider_ref: str) -> GatewayPayment:
        """Give up a payment that was not captured: ``FAILED`` (cancelled at the provider where
        it has a cancel call; travelcore never captures a failed payment), or ``SUCCEEDED`` if
        it was captured after all."""
        ...

    def refund(self, provider_ref: str, amount: Money, *, idempotency_key: str) -> GatewayRefund:
        """Refund part or all of a captured payment."""
        ...

    def parse_webhook(self, payload: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        """Verify a delivery (its raw body and HTTP headers) and decode the event. A missing,
        wrong or stale signature is ``ValidationFailed("signature", "present" | "valid" |
        "fresh")``; a body that is not an event is ``ValidationFailed("payload", ...)``."""
        ...


class PaymentRepository(Protocol):
    def add(self, payment: Payment) -> None:
        """``Conflict`` if the trip already has an ``initiated`` payment (one in flight)."""
        ...

    def get(self, payment_id: PaymentId) -> Payment: ...

    def save(self, payment: Payment) -> None: ...

    def for_trip(self, trip_id: TripId) -> Sequence[Payment]:
        """Payments of a trip, oldest first."""
        ...

    def find_by_provider_ref(self, provider_ref: str) -> Payment | None: ...

    def needing_settlement(self, before: datetime) -> Sequence[Payment]:
        """Payments created before ``before`` and still ``initiated``, or with a refund
        ``pending`` since before ``before``; oldest first."""
        ...


class WebhookEventLog(Protocol):
    """Ids of provider events already handled, so a replay is ignored."""

    def seen(self, event_id: str) -> bool: ...

    def add(self, event_id: str, received_at: datetime) -> None:
        """Remember ``event_id``; ``AlreadyExists`` if it is known."""
        ...


class PaymentsUnitOfWork(UnitOfWork, Protocol):
    @property
    def idempotency(self) -> IdempotencyStore: ...

    @property
    def trips(self) -> TripRepository: ...

    @property
    def payments(self) -> PaymentRepository: ...

    @property
    def webhook_events(self) -> WebhookEventLog: ...
