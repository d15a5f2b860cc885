"""``PaymentGateway`` on Stripe's PaymentIntents and Refunds, through a per-instance
``stripe.StripeClient`` (no module globals). SDK errors become travelcore errors:
card declines ``PaymentDeclined``, network and provider faults ``PaymentGatewayUnavailable``,
rejected requests ``ValidationFailed``. The SDK's ``stripe`` logger gets a
:func:`~travelcore_adapters.log_redaction.redact` filter: no request or response body, key or
card token reaches the logs. (``STRIPE_LOG`` or ``stripe.log`` set to ``debug`` makes the
SDK also print bodies to stderr, past any logging filter: leave them unset.)"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any, TypeVar

import stripe

from travelcore.kernel import (
    MINOR_UNITS,
    Clock,
    Money,
    PaymentDeclined,
    PaymentGatewayUnavailable,
    SystemClock,
    ValidationFailed,
)
from travelcore.kernel.telemetry import GATEWAY_CALL, span
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
from travelcore_adapters.log_redaction import redact

T = TypeVar("T")

# The SDK logs request form data and response bodies at DEBUG: kept out from the import on.
redact("stripe", fields=("post_data", "body"))

_STATUS = {
    "succeeded": PaymentStatus.SUCCEEDED,
    "canceled": PaymentStatus.FAILED,
    "requires_payment_method": PaymentStatus.FAILED,
}


def to_minor_units(amount: Money) -> int:
    """``Money.of("12.34", "EUR")`` -> ``1234``; amounts finer than the currency are refused."""
    scaled = amount.amount.scaleb(MINOR_UNITS[amount.currency])
    if scaled != scaled.to_integral_value():
        raise ValidationFailed("amount", "minor_units")
    return int(scaled)


def from_minor_units(value: int, currency: str) -> Money:
    code = currency.upper()
    return Money(Decimal(value).scaleb(-MINOR_UNITS[code]), code)


def _translate(call: Callable[[], T]) -> T:
    try:
        with span(GATEWAY_CALL, {"travelcore.gateway.provider": "stripe"}):
            return call()
    except stripe.CardError as exc:
        decline = exc.error.decline_code if exc.error is not None else None
        raise PaymentDeclined(
            exc.user_message or "the card was declined", code=exc.code, decline_code=decline
        ) from exc
    except stripe.InvalidRequestError as exc:
        raise ValidationFailed(
            "payment", "provider_rejected", exc.user_message or str(exc)
        ) from exc
    except stripe.StripeError as exc:
        raise PaymentGatewayUnavailable(
            f"Stripe is unavailable: {type(exc).__name__}", provider="stripe"
        ) from exc


class StripeGateway:
    """Stripe behind the ``PaymentGateway`` port. ``api_base`` points at another server
    (e.g. localstripe in tests); ``webhook_secret`` verifies ``Stripe-Signature`` headers, which
    must be signed within ``tolerance`` of the injected ``clock``."""

    name = "stripe"

    def __init__(
        self,
        api_key: str,
        *,
        webhook_secret: str,
        api_base: str | None = None,
        max_network_retries: int = 0,
        clock: Clock | None = None,
        tolerance: timedelta = DEFAULT_TOLERANCE,
    ) -> None:
        base = {"api": api_base} if api_base else {}
        self._client = stripe.StripeClient(
            api_key,
            base_addresses=base,  # type: ignore[arg-type]
            max_network_retries=max_network_retries,
        )
        self._webhook_secret = webhook_secret
        redact("stripe", api_key, webhook_secret)
        self._clock = clock or SystemClock()
        self._tolerance = tolerance

    def __repr__(self) -> str:
        return "StripeGateway(api_key='***', webhook_secret='***')"

    def _payment(self, intent: Any) -> GatewayPayment:
        return GatewayPayment(
            provider_ref=intent.id,
            status=_STATUS.get(intent.status, PaymentStatus.INITIATED),
            amount=from_minor_units(intent.amount, intent.currency),
        )

    def create_payment(
        self,
        amount: Money,
        *,
        payment_method: str,
        idempotency_key: str,
        metadata: Mapping[str, str],
    ) -> GatewayPayment:
        params: Any = {
            "amount": to_minor_units(amount),
            "currency": amount.currency.lower(),
            "payment_method": payment_method,
            "metadata": dict(metadata),
        }
        intent = _translate(
            lambda: self._client.v1.payment_intents.create(
                params=params, options={"idempotency_key": idempotency_key}
            )
        )
        return self._payment(intent)

    def confirm_payment(self, provider_ref: str, *, idempotency_key: str) -> GatewayPayment:
        intent = _translate(
            lambda: self._client.v1.payment_intents.confirm(
                provider_ref, options={"idempotency_key": idempotency_key}
            )
        )
        payment = self._payment(intent)
        if payment.status is PaymentStatus.FAILED:
            raise PaymentDeclined("the payment was not captured", status=intent.status)
        return payment

    def payment_status(self, provider_ref: str) -> GatewayPayment:
        intent = _translate(lambda: self._client.v1.payment_intents.retrieve(provider_ref))
        return self._payment(intent)

    def cancel_payment(self, provider_ref: str) -> GatewayPayment:
        payment = self.payment_status(provider_ref)
        if payment.status is not PaymentStatus.INITIATED:
            return payment
        intent = _translate(lambda: self._client.v1.payment_intents.cancel(provider_ref))
        return self._payment(intent)

    def refund(self, provider_ref: str, amount: Money, *, idempotency_key: str) -> GatewayRefund:
        params: Any = {"payment_intent": provider_ref, "amount": to_minor_units(amount)}
        refund = _translate(
            lambda: self._client.v1.refunds.create(
                params=params, options={"idempotency_key": idempotency_key}
            )
        )
        if refund.status == "failed":
            raise PaymentGatewayUnavailable("Stripe could not refund", provider_ref=provider_ref)
        return GatewayRefund(
            provider_ref=refund.id, amount=from_minor_units(refund.amount, refund.currency)
        )

    def parse_webhook(self, payload: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        signature = header(headers, "Stripe-Signature")
        try:
            stripe.WebhookSignature.verify_header(payload, signature, self._webhook_secret)
        except stripe.SignatureVerificationError as exc:
            raise ValidationFailed(
                "signature", "valid", "webhook signature does not match"
            ) from exc
        except UnicodeDecodeError as exc:
            raise ValidationFailed("payload", "json", "webhook payload is not JSON") from exc
        check_fresh(stripe_signed_at(signature), self._clock.now(), self._tolerance)
        return decode_event(load_json(payload))
