"""An in-process payment gateway that behaves like Stripe where travelcore cares.

Payment-method tokens: ``pm_card_visa`` (and any other) succeeds, ``pm_card_chargeDeclined``
is declined. Idempotency keys are honoured and refunds are capped, as on Stripe. Webhook
payloads use Stripe's event shape and ``t=...,v1=<HMAC-SHA256>`` signatures.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Mapping

import attrs

from travelcore.kernel import (
    Money,
    NotFound,
    PaymentDeclined,
    PaymentGatewayUnavailable,
    ValidationFailed,
    new_uuid,
)
from travelcore.kernel.errors import RefundExceedsCaptured
from travelcore.payments import (
    GatewayPayment,
    GatewayRefund,
    PaymentStatus,
    WebhookEvent,
    decode_event,
)

DECLINED_METHOD = "pm_card_chargeDeclined"


@attrs.define
class _Intent:
    amount: Money
    payment_method: str
    metadata: dict[str, str]
    status: PaymentStatus = PaymentStatus.INITIATED
    refunded: Money | None = None


class MemoryPaymentGateway:
    """Set ``available = False`` to simulate an outage."""

    name = "memory"

    def __init__(self, webhook_secret: str = "whsec_memory") -> None:  # noqa: S107
        self._secret = webhook_secret
        self._lock = threading.Lock()
        self._intents: dict[str, _Intent] = {}
        self._payments: dict[str, GatewayPayment] = {}
        self._refunds: dict[str, GatewayRefund] = {}
        self.available = True

    def _enter(self) -> None:
        if not self.available:
            raise PaymentGatewayUnavailable("the memory gateway is switched off")

    def create_payment(
        self,
        amount: Money,
        *,
        payment_method: str,
        idempotency_key: str,
        metadata: Mapping[str, str],
    ) -> GatewayPayment:
        with self._lock:
            self._enter()
            if idempotency_key in self._payments:
                return self._payments[idempotency_key]
            ref = f"pi_{new_uuid().hex}"
            self._intents[ref] = _Intent(amount, payment_method, dict(metadata))
            reply = GatewayPayment(provider_ref=ref, status=PaymentStatus.INITIATED, amount=amount)
            self._payments[idempotency_key] = reply
            return reply

    def confirm_payment(self, provider_ref: str, *, idempotency_key: str) -> GatewayPayment:
        with self._lock:
            self._enter()
            if idempotency_key in self._payments:
                return self._payments[idempotency_key]
            intent = self._intent(provider_ref)
            if intent.payment_method == DECLINED_METHOD:
                intent.status = PaymentStatus.FAILED
                raise PaymentDeclined("Your card was declined.", decline_code="generic_decline")
            intent.status = PaymentStatus.SUCCEEDED
            intent.refunded = Money.zero(intent.amount.currency)
            reply = GatewayPayment(
                provider_ref=provider_ref, status=intent.status, amount=intent.amount
            )
            self._payments[idempotency_key] = reply
            return reply

    def refund(self, provider_ref: str, amount: Money, *, idempotency_key: str) -> GatewayRefund:
        with self._lock:
            self._enter()
            if idempotency_key in self._refunds:
                return self._refunds[idempotency_key]
            intent = self._intent(provider_ref)
            if intent.refunded is None:
                raise ValidationFailed("provider_ref", "captured_payment")
            if intent.refunded + amount > intent.amount:
                raise RefundExceedsCaptured("refund exceeds the captured amount")
            intent.refunded = intent.refunded + amount
            reply = GatewayRefund(provider_ref=f"re_{new_uuid().hex}", amount=amount)
            self._refunds[idempotency_key] = reply
            return reply

    def refunded(self, provider_ref: str) -> Money | None:
        """What the gateway itself has refunded on ``provider_ref`` (for tests)."""
        with self._lock:
            return self._intent(provider_ref).refunded

    def parse_webhook(self, payload: bytes, signature: str) -> WebhookEvent:
        parts = dict(p.split("=", 1) for p in signature.split(",") if "=" in p)
        signed = f"{parts.get('t', '')}.".encode() + payload
        expected = hmac.new(self._secret.encode(), signed, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, parts.get("v1", "")):
            raise ValidationFailed("signature", "valid", "webhook signature does not match")
        return decode_event(json.loads(payload))

    def _intent(self, provider_ref: str) -> _Intent:
        intent = self._intents.get(provider_ref)
        if intent is None:
            raise NotFound("payment intent", provider_ref)
        return intent
