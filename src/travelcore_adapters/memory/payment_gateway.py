"""An in-process payment gateway that behaves like Stripe where travelcore cares.

Payment-method tokens: ``pm_card_visa`` (and any other) succeeds, ``pm_card_chargeDeclined``
is declined. Idempotency keys are honoured and refunds are capped, as on Stripe. Webhook
deliveries are verified as the Stripe adapter verifies them: Stripe's event shape, a
``Stripe-Signature: t=...,v1=<HMAC-SHA256>`` header, the same tolerance window (on the injected
clock) and the same typed errors for malformed bodies.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Mapping
from datetime import timedelta

import attrs

from travelcore.kernel import (
    Clock,
    Money,
    NotFound,
    PaymentDeclined,
    PaymentGatewayUnavailable,
    SystemClock,
    ValidationFailed,
    new_uuid,
)
from travelcore.kernel.errors import RefundExceedsCaptured
from travelcore.payments import (
    GatewayPayment,
    GatewayRefund,
    PaymentStatus,
    WebhookEvent,
)
from travelcore.payments.webhooks import (
    DEFAULT_TOLERANCE,
    check_fresh,
    decode_event,
    header,
    load_json,
    stripe_signed_at,
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

    def __init__(
        self,
        webhook_secret: str = "whsec_memory",  # noqa: S107
        *,
        clock: Clock | None = None,
        tolerance: timedelta = DEFAULT_TOLERANCE,
    ) -> None:
        self._secret = webhook_secret
        self._clock = clock or SystemClock()
        self._tolerance = tolerance
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
            if intent.status is not PaymentStatus.INITIATED:
                raise ValidationFailed("provider_ref", "uncaptured_payment")
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

    def payment_status(self, provider_ref: str) -> GatewayPayment:
        with self._lock:
            self._enter()
            intent = self._intent(provider_ref)
            return GatewayPayment(
                provider_ref=provider_ref, status=intent.status, amount=intent.amount
            )

    def cancel_payment(self, provider_ref: str) -> GatewayPayment:
        with self._lock:
            self._enter()
            intent = self._intent(provider_ref)
            if intent.status is PaymentStatus.INITIATED:
                intent.status = PaymentStatus.FAILED
            return GatewayPayment(
                provider_ref=provider_ref, status=intent.status, amount=intent.amount
            )

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

    def parse_webhook(self, payload: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        signature = header(headers, "Stripe-Signature")
        parts = [p.split("=", 1) for p in signature.split(",") if "=" in p]
        stamp = next((value for key, value in parts if key == "t"), "")
        signed = f"{stamp}.".encode() + payload
        expected = hmac.new(self._secret.encode(), signed, hashlib.sha256).hexdigest()
        candidates = [value for key, value in parts if key == "v1"]
        if not any(hmac.compare_digest(expected, c) for c in candidates):
            raise ValidationFailed("signature", "valid", "webhook signature does not match")
        check_fresh(stripe_signed_at(signature), self._clock.now(), self._tolerance)
        return decode_event(load_json(payload))

    def _intent(self, provider_ref: str) -> _Intent:
        intent = self._intents.get(provider_ref)
        if intent is None:
            raise NotFound("payment intent", provider_ref)
        return intent
