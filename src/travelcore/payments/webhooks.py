"""What every gateway does with a webhook delivery before trusting it: find the signature
header, refuse deliveries signed outside the tolerance window, and decode the body into a
:class:`WebhookEvent` or a typed ``ValidationFailed`` naming ``payload``. Events in Stripe's JSON
shape (``id``, ``type``, ``data.object``) are decoded by :func:`decode_event`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from travelcore.kernel import TenantId, ValidationFailed
from travelcore.payments.model import PaymentStatus
from travelcore.payments.ports import TENANT_METADATA_KEY, WebhookEvent

#: How far a delivery's signing time may lie from now (Stripe's default, 5 minutes).
DEFAULT_TOLERANCE = timedelta(minutes=5)

EVENT_STATUS = {
    "payment_intent.succeeded": PaymentStatus.SUCCEEDED,
    "payment_intent.payment_failed": PaymentStatus.FAILED,
}


def header(headers: Mapping[str, str], name: str) -> str:
    """The value of the HTTP header ``name`` (case-insensitive); ``ValidationFailed("signature",
    "present")`` when the delivery lacks it."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted and value:
            return value
    raise ValidationFailed("signature", "present", f"the delivery has no {name} header")


def check_fresh(signed_at: datetime, now: datetime, tolerance: timedelta) -> None:
    """Refuse a delivery signed more than ``tolerance`` before (or after) ``now``: a captured
    delivery cannot be replayed later, even with a valid signature."""
    if abs(now - signed_at) > tolerance:
        raise ValidationFailed(
            "signature", "fresh", f"the delivery was signed at {signed_at}, outside {tolerance}"
        )


def load_json(payload: bytes) -> Mapping[str, Any]:
    """The body as a JSON object; anything else is ``ValidationFailed("payload", ...)``."""
    try:
        body = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed("payload", "json", "webhook payload is not JSON") from exc
    if not isinstance(body, dict):
        raise ValidationFailed("payload", "json_object", "webhook payload is not a JSON object")
    return body


def decode_event(event: Mapping[str, Any]) -> WebhookEvent:
    """A verified Stripe-shaped event as a :class:`WebhookEvent`; the tenant comes from the
    metadata."""
    try:
        obj = event.get("data", {}).get("object", {}) or {}
        tenant = (obj.get("metadata") or {}).get(TENANT_METADATA_KEY)
        return WebhookEvent(
            id=str(event["id"]),
            type=str(event["type"]),
            provider_ref=obj.get("id"),
            status=EVENT_STATUS.get(str(event["type"])),
            tenant_id=TenantId(UUID(tenant)) if tenant else None,
        )
    except (KeyError, AttributeError, TypeError, ValueError) as exc:
        raise ValidationFailed("payload", "stripe_event", "not a provider event") from exc


def stripe_signed_at(signature: str) -> datetime:
    """The signing time ``t=...`` of a ``Stripe-Signature`` header value."""
    parts = dict(p.split("=", 1) for p in signature.split(",") if "=" in p)
    try:
        return datetime.fromtimestamp(int(parts["t"]), UTC)
    except (KeyError, ValueError, OverflowError, OSError) as exc:
        raise ValidationFailed("signature", "valid", "the signature has no valid time") from exc
