"""A stand-in for PayPal's REST API, for tests (no PayPal sandbox is needed or reached).

:class:`PayPalStandIn` serves, on 127.0.0.1, the part of PayPal's documented contract that
:class:`~travelcore_adapters.paypal.PayPalGateway` speaks:

- ``POST /v1/oauth2/token``: client-credentials grant with HTTP Basic auth; bearer tokens
  expire after ``expires_in`` seconds (``token_lifetime``), after which calls answer 401.
- ``POST /v2/checkout/orders``: ``intent`` ``CAPTURE``, one purchase unit, amounts as strings
  with the currency's decimals; a ``payment_source.paypal.vault_id`` makes the order
  ``APPROVED`` (no payer redirect), otherwise ``PAYER_ACTION_REQUIRED``.
- ``GET /v2/checkout/orders/{id}`` and ``POST /v2/checkout/orders/{id}/capture``: capturing
  an approved order completes it with one ``COMPLETED`` capture; the vault id
  :data:`DECLINED_VAULT_ID` is refused with 422 ``INSTRUMENT_DECLINED``; a second capture is
  422 ``ORDER_ALREADY_CAPTURED``.
- ``POST /v2/payments/captures/{id}/refund``: partial or full refunds; more than what is left
  is 422 ``REFUND_AMOUNT_EXCEEDED``.
- ``PayPal-Request-Id`` on every POST: a repeated id returns the first reply and does nothing.
- ``POST /v1/notifications/verify-webhook-signature``: ``SUCCESS`` or ``FAILURE``.

Where it differs from PayPal: it signs webhook deliveries with HMAC-SHA256 under its own key
(PayPal signs with SHA256withRSA and a certificate at ``PAYPAL-CERT-URL``); the signed message
is PayPal's ``transmission_id|transmission_time|webhook_id|crc32(body)``, and its
``verify-webhook-signature`` recomputes the CRC32 over ``json.dumps(webhook_event)`` (so it
verifies the bodies it signs, which are written that way). It never delivers webhooks itself:
:meth:`PayPalStandIn.sign` makes the headers of a delivery. Error bodies have PayPal's shape
(``name``, ``message``, ``details[].issue``, ``debug_id``) but shorter messages.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from datetime import datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import attrs

from travelcore.kernel import MINOR_UNITS, TenantId, new_uuid
from travelcore.testing.payments import Delivery

DECLINED_VAULT_ID = "vault-declined"
AUTH_ALGO = "HMACSHA256-STANDIN"

TRANSMISSION_FIELDS = (
    "auth_algo",
    "cert_url",
    "transmission_id",
    "transmission_sig",
    "transmission_time",
)
_VALUE = re.compile(r"^\d{1,10}(\.\d{1,3})?$")


class _Refusal(Exception):
    def __init__(self, status: int, name: str, issue: str | None = None) -> None:
        super().__init__(name)
        self.status, self.name, self.issue = status, name, issue

    def body(self) -> dict[str, Any]:
        details = [{"issue": self.issue, "description": self.issue}] if self.issue else []
        return {
            "name": self.name,
            "message": self.issue or self.name,
            "details": details,
            "debug_id": new_uuid().hex[:13],
        }


def _amount(value: Any) -> tuple[Decimal, str]:
    try:
        code, text = str(value["currency_code"]), str(value["value"])
    except (KeyError, TypeError) as exc:
        raise _Refusal(400, "INVALID_REQUEST", "MISSING_REQUIRED_PARAMETER") from exc
    decimals = len(text.partition(".")[2])
    if code not in MINOR_UNITS or not _VALUE.match(text) or decimals > min(MINOR_UNITS[code], 2):
        raise _Refusal(422, "UNPROCESSABLE_ENTITY", "DECIMAL_PRECISION")
    return Decimal(text), code


class PayPalStandIn:
    """The stand-in server. Use as a context manager (or :meth:`start` / :meth:`stop`)."""

    def __init__(
        self,
        client_id: str = "standin-client",
        client_secret: str = "standin-secret",  # noqa: S107
        webhook_id: str = "WH-STANDIN",
        token_lifetime: int = 32400,
    ) -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.webhook_id = webhook_id
        self.token_lifetime = token_lifetime
        self._key = secrets.token_bytes(32)
        self._lock = threading.Lock()
        self._tokens: dict[str, float] = {}
        self.orders: dict[str, dict[str, Any]] = {}
        self._captures: dict[str, str] = {}  # capture id -> order id
        self._replies: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}
        self.requests: list[tuple[str, str]] = []
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "the stand-in is not running"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> PayPalStandIn:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                standin._handle(self)

            def do_POST(self) -> None:
                standin._handle(self)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> PayPalStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def expire_tokens(self) -> None:
        """Let every access token issued so far expire (calls with them answer 401)."""
        with self._lock:
            self._tokens.clear()

    # -- webhooks --------------------------------------------------------------------------

    def _signature(self, transmission_id: str, sent_at: str, webhook_id: str, crc: int) -> str:
        message = f"{transmission_id}|{sent_at}|{webhook_id}|{crc}".encode()
        return base64.b64encode(hmac.new(self._key, message, hashlib.sha256).digest()).decode()

    def sign(self, payload: bytes, signed_at: datetime) -> dict[str, str]:
        """The headers with which this server would deliver ``payload`` at ``signed_at``."""
        transmission_id = str(new_uuid())
        sent_at = signed_at.isoformat()
        crc = binascii.crc32(payload)
        return {
            "PAYPAL-TRANSMISSION-ID": transmission_id,
            "PAYPAL-TRANSMISSION-TIME": sent_at,
            "PAYPAL-TRANSMISSION-SIG": self._signature(
                transmission_id, sent_at, self.webhook_id, crc
            ),
            "PAYPAL-CERT-URL": f"{self.url}/v1/notifications/certs/CERT-STANDIN",
            "PAYPAL-AUTH-ALGO": AUTH_ALGO,
        }

    # -- HTTP ------------------------------------------------------------------------------

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        path = request.path.split("?", 1)[0]
        with self._lock:
            self.requests.append((request.command, path))
            try:
                status, body = self._route(request, path, raw)
            except _Refusal as refusal:
                status, body = refusal.status, refusal.body()
        data = json.dumps(body).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)

    def _route(
        self, request: BaseHTTPRequestHandler, path: str, raw: bytes
    ) -> tuple[int, dict[str, Any]]:
        if path == "/v1/oauth2/token" and request.command == "POST":
            return self._token(request, raw)
        if not self._authorized(request):
            return 401, {"error": "invalid_token", "error_description": "Token signature invalid"}
        try:
            body = json.loads(raw) if raw else {}
        except ValueError as exc:
            raise _Refusal(400, "INVALID_REQUEST", "MALFORMED_REQUEST_JSON") from exc
        request_id = request.headers.get("PayPal-Request-Id")
        if request.command == "POST" and request_id and (path, request_id) in self._replies:
            return self._replies[(path, request_id)]
        reply = self._dispatch(request.command, path, body)
        if request.command == "POST" and request_id:
            self._replies[(path, request_id)] = reply
        return reply

    def _dispatch(self, method: str, path: str, body: Any) -> tuple[int, dict[str, Any]]:
        parts = path.strip("/").split("/")
        if method == "POST" and path == "/v2/checkout/orders":
            return self._create_order(body)
        if method == "GET" and parts[:3] == ["v2", "checkout", "orders"] and len(parts) == 4:
            return 200, self._order_view(self._order(parts[3]))
        if (
            method == "POST"
            and parts[:3] == ["v2", "checkout", "orders"]
            and parts[4:] == ["capture"]
        ):
            return self._capture(parts[3])
        if (
            method == "POST"
            and parts[:3] == ["v2", "payments", "captures"]
            and parts[4:] == ["refund"]
        ):
            return self._refund(parts[3], body)
        if method == "POST" and path == "/v1/notifications/verify-webhook-signature":
            return self._verify(body)
        raise _Refusal(404, "RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID")

    def _token(self, request: BaseHTTPRequestHandler, raw: bytes) -> tuple[int, dict[str, Any]]:
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        form = parse_qs(raw.decode())
        if request.headers.get("Authorization") != f"Basic {expected}":
            return 401, {
                "error": "invalid_client",
                "error_description": "Client Authentication failed",
            }
        if form.get("grant_type") != ["client_credentials"]:
            return 400, {
                "error": "unsupported_grant_type",
                "error_description": "Grant Type is NULL",
            }
        token = f"A21{secrets.token_urlsafe(24)}"
        self._tokens[token] = time.monotonic() + self.token_lifetime
        return 200, {
            "scope": "https://uri.paypal.com/services/payments/payment",
            "access_token": token,
            "token_type": "Bearer",
            "app_id": "APP-STANDIN",
            "expires_in": self.token_lifetime,
            "nonce": new_uuid().hex,
        }

    def _authorized(self, request: BaseHTTPRequestHandler) -> bool:
        scheme, _, token = (request.headers.get("Authorization") or "").partition(" ")
        expiry = self._tokens.get(token)
        return scheme == "Bearer" and expiry is not None and expiry > time.monotonic()

    def _create_order(self, body: Any) -> tuple[int, dict[str, Any]]:
        if not isinstance(body, dict) or body.get("intent") != "CAPTURE":
            raise _Refusal(400, "INVALID_REQUEST", "INVALID_PARAMETER_VALUE")
        units = body.get("purchase_units")
        if not isinstance(units, list) or len(units) != 1 or not isinstance(units[0], dict):
            raise _Refusal(400, "INVALID_REQUEST", "INVALID_ARRAY_MAX_ITEMS")
        amount, _ = _amount(units[0].get("amount"))
        if amount <= 0:
            raise _Refusal(422, "UNPROCESSABLE_ENTITY", "CANNOT_BE_ZERO_OR_NEGATIVE")
        vault_id = ((body.get("payment_source") or {}).get("paypal") or {}).get("vault_id")
        order_id = new_uuid().hex[:17].upper()
        unit = {
            "reference_id": units[0].get("reference_id", "default"),
            "amount": units[0]["amount"],
            **({"custom_id": units[0]["custom_id"]} if "custom_id" in units[0] else {}),
        }
        order = {
            "id": order_id,
            "intent": "CAPTURE",
            "status": "APPROVED" if vault_id else "PAYER_ACTION_REQUIRED",
            "purchase_units": [unit],
            "create_time": datetime.now().astimezone().isoformat(),
            "_vault_id": vault_id,
        }
        self.orders[order_id] = order
        return 201, self._public(order)

    def _public(self, order: dict[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in order.items() if not key.startswith("_")}

    def _order(self, order_id: str) -> dict[str, Any]:
        order = self.orders.get(order_id)
        if order is None:
            raise _Refusal(404, "RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID")
        return order

    def _capture(self, order_id: str) -> tuple[int, dict[str, Any]]:
        order = self._order(order_id)
        if order["status"] == "COMPLETED":
            raise _Refusal(422, "UNPROCESSABLE_ENTITY", "ORDER_ALREADY_CAPTURED")
        if order["status"] != "APPROVED":
            raise _Refusal(422, "UNPROCESSABLE_ENTITY", "ORDER_NOT_APPROVED")
        if order["_vault_id"] == DECLINED_VAULT_ID:
            raise _Refusal(422, "UNPROCESSABLE_ENTITY", "INSTRUMENT_DECLINED")
        unit = order["purchase_units"][0]
        capture_id = new_uuid().hex[:17].upper()
        capture = {
            "id": capture_id,
            "status": "COMPLETED",
            "amount": unit["amount"],
            "final_capture": True,
            **({"custom_id": unit["custom_id"]} if "custom_id" in unit else {}),
            "supplementary_data": {"related_ids": {"order_id": order_id}},
            "_refunds": [],
        }
        unit["payments"] = {"captures": [capture]}
        order["status"] = "COMPLETED"
        self._captures[capture_id] = order_id
        return 201, self._order_view(order)

    def _order_view(self, order: dict[str, Any]) -> dict[str, Any]:
        view = self._public(order)
        units = []
        for unit in view["purchase_units"]:
            captures = (unit.get("payments") or {}).get("captures") or []
            shown = [self._public(c) for c in captures]
            units.append({**unit, "payments": {"captures": shown}} if captures else unit)
        return {**view, "purchase_units": units}

    def _refund(self, capture_id: str, body: Any) -> tuple[int, dict[str, Any]]:
        order_id = self._captures.get(capture_id)
        if order_id is None:
            raise _Refusal(404, "RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID")
        capture = self.orders[order_id]["purchase_units"][0]["payments"]["captures"][0]
        captured, code = _amount(capture["amount"])
        done = sum((r for r in capture["_refunds"]), Decimal(0))
        if isinstance(body, dict) and "amount" in body:
            amount, refund_code = _amount(body["amount"])
            if refund_code != code:
                raise _Refusal(422, "UNPROCESSABLE_ENTITY", "REFUND_CURRENCY_MISMATCH")
        else:
            amount = captured - done
        if amount <= 0 or done + amount > captured:
            raise _Refusal(422, "UNPROCESSABLE_ENTITY", "REFUND_AMOUNT_EXCEEDED")
        capture["_refunds"].append(amount)
        capture["status"] = "REFUNDED" if done + amount == captured else "PARTIALLY_REFUNDED"
        value = {"currency_code": code, "value": str(amount)}
        return 201, {"id": new_uuid().hex[:17].upper(), "status": "COMPLETED", "amount": value}

    def _verify(self, body: Any) -> tuple[int, dict[str, Any]]:
        fields = (*TRANSMISSION_FIELDS, "webhook_id", "webhook_event")
        if not isinstance(body, dict) or any(f not in body for f in fields):
            raise _Refusal(400, "VALIDATION_ERROR", "MISSING_REQUIRED_PARAMETER")
        crc = binascii.crc32(json.dumps(body["webhook_event"]).encode())
        expected = self._signature(
            str(body["transmission_id"]),
            str(body["transmission_time"]),
            str(body["webhook_id"]),
            crc,
        )
        valid = body["auth_algo"] == AUTH_ALGO and body["webhook_id"] == self.webhook_id
        valid = valid and hmac.compare_digest(expected, str(body["transmission_sig"]))
        return 200, {"verification_status": "SUCCESS" if valid else "FAILURE"}


def capture_event(
    event_id: str, order_id: str, tenant_id: TenantId | None, *, completed: bool = True
) -> bytes:
    """A ``PAYMENT.CAPTURE.COMPLETED`` (or ``.DENIED``) event body about ``order_id``."""
    resource: dict[str, Any] = {
        "id": new_uuid().hex[:17].upper(),
        "status": "COMPLETED" if completed else "DECLINED",
        "supplementary_data": {"related_ids": {"order_id": order_id}},
    }
    if tenant_id is not None:
        resource["custom_id"] = str(tenant_id)
    event = {
        "id": event_id,
        "event_version": "1.0",
        "resource_type": "capture",
        "event_type": "PAYMENT.CAPTURE.COMPLETED" if completed else "PAYMENT.CAPTURE.DENIED",
        "summary": "Payment completed" if completed else "Payment denied",
        "resource": resource,
    }
    return json.dumps(event).encode()


@attrs.frozen
class PayPalSigner:
    """A :class:`~travelcore.testing.payments.WebhookSigner` for PayPal deliveries, signed by
    the stand-in (``forge`` signs with a second stand-in's key)."""

    standin: PayPalStandIn
    stranger: PayPalStandIn = attrs.field(factory=PayPalStandIn)

    def payment_event(
        self,
        event_id: str,
        provider_ref: str,
        tenant_id: TenantId | None,
        *,
        succeeded: bool,
        signed_at: datetime,
    ) -> Delivery:
        body = capture_event(event_id, provider_ref, tenant_id, completed=succeeded)
        return body, self.sign(body, signed_at)

    def sign(self, payload: bytes, signed_at: datetime) -> dict[str, str]:
        return self.standin.sign(payload, signed_at)

    def forge(self, payload: bytes, signed_at: datetime) -> dict[str, str]:
        headers = self.standin.sign(payload, signed_at)
        other = self.stranger._signature(
            headers["PAYPAL-TRANSMISSION-ID"],
            headers["PAYPAL-TRANSMISSION-TIME"],
            self.standin.webhook_id,
            binascii.crc32(payload),
        )
        return {**headers, "PAYPAL-TRANSMISSION-SIG": other}
