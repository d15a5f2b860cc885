"""Payments: a gateway port, payments with capped refunds, webhooks applied at most once."""

from travelcore.payments.model import (
    Payment,
    PaymentId,
    PaymentStatus,
    Refund,
    RefundId,
    RefundStatus,
)
from travelcore.payments.ports import (
    TENANT_METADATA_KEY,
    GatewayPayment,
    GatewayRefund,
    PaymentGateway,
    PaymentRepository,
    PaymentsUnitOfWork,
    WebhookEvent,
    WebhookEventLog,
)
from travelcore.payments.service import (
    PaymentResult,
    PaymentService,
    PaymentsUowFactory,
    PayTrip,
    RefundPayment,
    RefundResult,
    RefundTrip,
    TripRefund,
    WebhookOutcome,
)
from travelcore.payments.webhooks import decode_event

__all__ = [
    "TENANT_METADATA_KEY",
    "GatewayPayment",
    "GatewayRefund",
    "PayTrip",
    "Payment",
    "PaymentGateway",
    "PaymentId",
    "PaymentRepository",
    "PaymentResult",
    "PaymentService",
    "PaymentStatus",
    "PaymentsUnitOfWork",
    "PaymentsUowFactory",
    "Refund",
    "RefundId",
    "RefundPayment",
    "RefundResult",
    "RefundStatus",
    "RefundTrip",
    "TripRefund",
    "WebhookEvent",
    "WebhookEventLog",
    "WebhookOutcome",
    "decode_event",
]
