"""Provider events in Stripe's JSON shape (``id``, ``type``, ``data.object``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from travelcore.kernel import TenantId, ValidationFailed
from travelcore.payments.model import PaymentStatus
from travelcore.payments.ports import TENANT_METADATA_KEY, WebhookEvent

EVENT_STATUS = {
    "payment_intent.succeeded": PaymentStatus.SUCCEEDED,
    "payment_intent.payment_failed": PaymentStatus.FAILED,
}


def decode_event(event: Mapping[str, Any]) -> WebhookEvent:
    """A verified event as a :class:`WebhookEvent`; the tenant comes from the metadata."""
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
    except (KeyError, AttributeError, ValueError) as exc:
        raise ValidationFailed("payload", "stripe_event", "not a provider event") from exc
