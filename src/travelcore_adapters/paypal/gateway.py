"""``PaymentGateway`` on PayPal's REST API, spoken with ``httpx``: Orders v2 (create an order
with a vaulted payment source, capture it), Payments v2 (refund a capture) and the
notifications API (verify a webhook delivery).

The official ``paypal-server-sdk`` (2.x) is not used: its ``Environment`` is a closed enum of
PayPal's live and sandbox hosts, so it cannot be pointed at another base URL without patching
its configuration, and it adds ``requests`` and the APIMatic runtime.

Every POST carries ``PayPal-Request-Id`` (the idempotency key travelcore derives); travelcore
enforces idempotency and refund caps itself and never relies on PayPal for either. Errors
become travelcore errors: a declined instrument ``PaymentDeclined``, transport faults, 5xx, 429
and failed authentication ``PaymentGatewayUnavailable``, any other refusal ``ValidationFailed``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import httpx

from travelcore.kernel import (
    Clock,
    Money,
    PaymentDeclined,
    PaymentGatewayUnavailable,
    SystemClock,
    TenantId,
    ValidationFailed,
)
from travelcore.kernel.telemetry import GATEWAY_CALL, span
from travelcore.payments import (
    TENANT_METADATA_KEY,
    GatewayPayment,
    GatewayRefund,
    PaymentStatus,
    WebhookEvent,
)
from travelcore.payments.webhooks import DEFAULT_TOLERANCE, check_fresh, header, load_json

LIVE_URL = "https://api-m.paypal.com"
SANDBOX_URL = "https://api-m.sandbox.paypal.com"

#: The rule of the ``ValidationFailed`` for PayPal's ``ORDER_ALREADY_CAPTURED``.
ALREADY_CAPTURED = "order_already_captured"

#: ``details[].issue`` values of a 422 that mean the payer's instrument was declined.
DECLINE_ISSUES = frozenset({"INSTRUMENT_DECLINED", "PAYER_CANNOT_PAY", "TRANSACTION_REFUSED"})

EVENT_STATUS = {
    "PAYMENT.CAPTURE.COMPLETED": PaymentStatus.SUCCEEDED,
    "PAYMENT.CAPTURE.DENIED": PaymentStatus.FAILED,
    "PAYMENT.CAPTURE.DECLINED": PaymentStatus.FAILED,
    "CHECKOUT.ORDER.VOIDED": PaymentStatus.FAILED,
}

#: The headers of a webhook delivery that ``verify-webhook-signature`` needs.
TRANSMISSION_HEADERS = {
    "transmission_id": "PAYPAL-TRANSMISSION-ID",
    "transmission_time": "PAYPAL-TRANSMISSION-TIME",
    "transmission_sig": "PAYPAL-TRANSMISSION-SIG",
    "cert_url": "PAYPAL-CERT-URL",
    "auth_algo": "PAYPAL-AUTH-ALGO",
}


def to_value(amount: Money) -> dict[str, str]:
    """PayPal's ``{"currency_code", "value"}``, with the currency's decimals ("1200" JPY)."""
    exact = amount.exact()
    quantum = Decimal(1).scaleb(-exact.minor_units)
    return {"currency_code": exact.currency, "value": str(exact.amount.quantize(quantum))}


def from_value(value: Mapping[str, Any]) -> Money:
    return Money.of(str(value["value"]), str(value["currency_code"]))


def _capture(order: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The order's (single) capture, if it has one."""
    for unit in order.get("purchase_units", ()):
        captures = (unit.get("payments") or {}).get("captures") or ()
        if captures:
            return captures[0]  # type: ignore[no-any-return]
    return None


def _order_status(order: Mapping[str, Any]) -> PaymentStatus:
    capture = _capture(order)
    if capture is not None:
        if capture.get("status") in ("COMPLETED", "PARTIALLY_REFUNDED", "REFUNDED"):
            return PaymentStatus.SUCCEEDED
        if capture.get("status") in ("DECLINED", "FAILED"):
            return PaymentStatus.FAILED
        return PaymentStatus.INITIATED  # PENDING: PayPal settles it later
    return PaymentStatus.FAILED if order.get("status") == "VOIDED" else PaymentStatus.INITIATED


def _order_amount(order: Mapping[str, Any]) -> Money:
    return from_value(order["purchase_units"][0]["amount"])


def decode_paypal_event(event: Mapping[str, Any]) -> WebhookEvent:
    """A PayPal event (``id``, ``event_type``, ``resource``) as a :class:`WebhookEvent`. The
    payment's reference is the order id (``supplementary_data.related_ids.order_id`` of a
    capture, the ``id`` of an order); the tenant is the purchase unit's ``custom_id``."""
    try:
        resource = event["resource"]
        related = (resource.get("supplementary_data") or {}).get("related_ids") or {}
        units = resource.get("purchase_units") or [{}]
        tenant = resource.get("custom_id") or units[0].get("custom_id")
        order_id = related.get("order_id") or (
            resource.get("id") if event.get("resource_type") == "checkout-order" else None
        )
        kind = str(event["event_type"])
        return WebhookEvent(
            id=str(event["id"]),
            type=kind,
            provider_ref=order_id,
            status=EVENT_STATUS.get(kind),
            tenant_id=TenantId(UUID(tenant)) if tenant else None,
        )
    except (KeyError, AttributeError, TypeError, ValueError, IndexError) as exc:
        raise ValidationFailed("payload", "paypal_event", "not a PayPal event") from exc


class PayPalGateway:
    """PayPal behind the ``PaymentGateway`` port. ``payment_method`` is a vaulted payment
    source id (``payment_source.paypal.vault_id``, from PayPal's Vault on the client side);
    ``webhook_id`` is the id of the webhook endpoint registered at PayPal. ``base_url`` points at
    another server (a stand-in in tests); deliveries must be signed within ``tolerance`` of the
    injected ``clock``."""

    name = "paypal"

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        webhook_id: str,
        base_url: str = LIVE_URL,
        clock: Clock | None = None,
        tolerance: timedelta = DEFAULT_TOLERANCE,
        timeout: float = 10.0,
    ) -> None:
        self._http = httpx.Client(base_url=base_url, timeout=timeout)
        self._credentials = (client_id, client_secret)
        self._webhook_id = webhook_id
        self._clock = clock or SystemClock()
        self._tolerance = tolerance
        self._token: tuple[str, datetime] | None = None

    def __repr__(self) -> str:
        return f"PayPalGateway(base_url={str(self._http.base_url)!r}, client_secret='***')"

    def close(self) -> None:
        self._http.close()

    # -- HTTP ------------------------------------------------------------------------------

    def _access_token(self, *, renew: bool = False) -> str:
        now = self._clock.now()
        if self._token is not None and not renew and self._token[1] > now:
            return self._token[0]
        reply = self._send(
            "POST",
            "/v1/oauth2/token",
            auth=self._credentials,
            data={"grant_type": "client_credentials"},
        )
        if reply.status_code != 200:
            raise PaymentGatewayUnavailable(
                "PayPal refused the client credentials", provider="paypal"
            )
        body = reply.json()
        expires = now + timedelta(seconds=int(body.get("expires_in", 0)) - 60)
        self._token = (str(body["access_token"]), expires)
        return self._token[0]

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        attributes = {"travelcore.gateway.provider": "paypal", "http.request.method": method}
        try:
            with span(GATEWAY_CALL, attributes):
                return self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise PaymentGatewayUnavailable(
                f"PayPal is unavailable: {type(exc).__name__}", provider="paypal"
            ) from exc

    def _call(
        self,
        method: str,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        request_id: str | None = None,
    ) -> Mapping[str, Any]:
        """One API call with a bearer token (renewed once on 401); the JSON reply."""
        headers = {"Prefer": "return=representation"}
        if request_id is not None:
            headers["PayPal-Request-Id"] = request_id
        reply = None
        for renew in (False, True):
            headers["Authorization"] = f"Bearer {self._access_token(renew=renew)}"
            reply = self._send(method, path, json=body, headers=headers)
            if reply.status_code != 401:
                break
        assert reply is not None
        if reply.status_code < 300:
            data: Mapping[str, Any] = reply.json()
            return data
        raise self._error(reply)

    def _error(self, reply: httpx.Response) -> Exception:
        try:
            error = reply.json()
        except ValueError:
            error = {}
        issues = {d.get("issue") for d in error.get("details") or () if isinstance(d, dict)}
        message = str(error.get("message") or error.get("name") or reply.reason_phrase)
        if reply.status_code in (401, 429) or reply.status_code >= 500:
            return PaymentGatewayUnavailable(
                f"PayPal answered {reply.status_code}", provider="paypal"
            )
        if reply.status_code == 422 and issues & DECLINE_ISSUES:
            return PaymentDeclined(message, issues=sorted(i for i in issues if i))
        if "ORDER_ALREADY_CAPTURED" in issues:
            return ValidationFailed("payment", ALREADY_CAPTURED, message)
        return ValidationFailed("payment", "provider_rejected", message)

    # -- the port --------------------------------------------------------------------------

    def create_payment(
        self,
        amount: Money,
        *,
        payment_method: str,
        idempotency_key: str,
        metadata: Mapping[str, str],
    ) -> GatewayPayment:
        unit: dict[str, Any] = {"amount": to_value(amount)}
        if TENANT_METADATA_KEY in metadata:
            unit["custom_id"] = metadata[TENANT_METADATA_KEY]
        if "trip_id" in metadata:
            unit["reference_id"] = metadata["trip_id"]
        order = self._call(
            "POST",
            "/v2/checkout/orders",
            body={
                "intent": "CAPTURE",
                "purchase_units": [unit],
                "payment_source": {"paypal": {"vault_id": payment_method}},
            },
            request_id=idempotency_key,
        )
        return GatewayPayment(
            provider_ref=str(order["id"]), status=_order_status(order), amount=amount
        )

    def confirm_payment(self, provider_ref: str, *, idempotency_key: str) -> GatewayPayment:
        """Capture the order; an order captured already (by an earlier request) is read
        instead of being reported as refused."""
        try:
            order = self._call(
                "POST",
                f"/v2/checkout/orders/{provider_ref}/capture",
                body={},
                request_id=idempotency_key,
            )
        except ValidationFailed as refused:
            if refused.rule != ALREADY_CAPTURED:
                raise
            order = self._call("GET", f"/v2/checkout/orders/{provider_ref}")
        status = _order_status(order)
        if status is PaymentStatus.FAILED:
            raise PaymentDeclined("PayPal did not capture the payment", order=provider_ref)
        return GatewayPayment(provider_ref=provider_ref, status=status, amount=_order_amount(order))

    def payment_status(self, provider_ref: str) -> GatewayPayment:
        order = self._call("GET", f"/v2/checkout/orders/{provider_ref}")
        return GatewayPayment(
            provider_ref=provider_ref, status=_order_status(order), amount=_order_amount(order)
        )

    def cancel_payment(self, provider_ref: str) -> GatewayPayment:
        """Orders v2 has no call that voids an uncaptured ``CAPTURE`` order: it expires unless
        captured, and only its creator captures it. So an order that is not captured is
        reported ``FAILED`` (travelcore will not capture it), a captured one ``SUCCEEDED``."""
        payment = self.payment_status(provider_ref)
        if payment.status is PaymentStatus.INITIATED:
            return GatewayPayment(
                provider_ref=provider_ref, status=PaymentStatus.FAILED, amount=payment.amount
            )
        return payment

    def refund(self, provider_ref: str, amount: Money, *, idempotency_key: str) -> GatewayRefund:
        order = self._call("GET", f"/v2/checkout/orders/{provider_ref}")
        capture = _capture(order)
        if capture is None:
            raise ValidationFailed("provider_ref", "captured_payment")
        refund = self._call(
            "POST",
            f"/v2/payments/captures/{capture['id']}/refund",
            body={"amount": to_value(amount)},
            request_id=idempotency_key,
        )
        if refund.get("status") in ("CANCELLED", "FAILED"):
            raise PaymentDeclined("PayPal did not refund", refund=str(refund.get("id")))
        refunded = from_value(refund["amount"]) if "amount" in refund else amount
        return GatewayRefund(provider_ref=str(refund["id"]), amount=refunded)

    def parse_webhook(self, payload: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        """Check the delivery's transmission headers and age, decode it, then ask PayPal's
        ``verify-webhook-signature`` whether PayPal signed it for this ``webhook_id``."""
        transmission = {key: header(headers, name) for key, name in TRANSMISSION_HEADERS.items()}
        try:
            sent_at = datetime.fromisoformat(transmission["transmission_time"])
        except ValueError as exc:
            raise ValidationFailed("signature", "valid", "bad PAYPAL-TRANSMISSION-TIME") from exc
        if sent_at.tzinfo is None:
            raise ValidationFailed("signature", "valid", "PAYPAL-TRANSMISSION-TIME has no zone")
        check_fresh(sent_at, self._clock.now(), self._tolerance)
        body = load_json(payload)
        event = decode_paypal_event(body)
        verdict = self._call(
            "POST",
            "/v1/notifications/verify-webhook-signature",
            body={**transmission, "webhook_id": self._webhook_id, "webhook_event": body},
        )
        if verdict.get("verification_status") != "SUCCESS":
            raise ValidationFailed("signature", "valid", "webhook signature does not match")
        return event
