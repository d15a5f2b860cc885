"""Memory repositories of the payments context."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from datetime import datetime

import attrs

from travelcore.kernel import Conflict, TenantId
from travelcore.payments import Payment, PaymentStatus, RefundStatus
from travelcore.travel import TripId
from travelcore_adapters.memory.repository import MemoryRepository, MemoryScope


class MemoryPayments(MemoryRepository[Payment]):
    table, entity = "travel/payments", "payment"

    def _check_unique(self, entity: Payment) -> None:
        if entity.status is PaymentStatus.INITIATED and any(
            p.status is PaymentStatus.INITIATED and p.id != entity.id
            for p in self._scan(lambda p: p.trip_id == entity.trip_id)
        ):
            raise Conflict("a payment for this trip is in progress", trip_id=str(entity.trip_id))

    def for_trip(self, trip_id: TripId) -> Sequence[Payment]:
        found = self._rows(lambda p: p.trip_id == trip_id)
        return sorted(found, key=lambda p: (p.created_at, str(p.id)))

    def needing_settlement(self, before: datetime) -> Sequence[Payment]:
        def stuck(p: Payment) -> bool:
            if p.status is PaymentStatus.INITIATED:
                return p.created_at < before
            return any(
                r.status is RefundStatus.PENDING and r.created_at < before for r in p.refunds
            )

        return sorted(self._rows(stuck), key=lambda p: (p.created_at, str(p.id)))

    def find_by_provider_ref(self, provider_ref: str) -> Payment | None:
        return self._first(lambda p: p.provider_ref == provider_ref)


@attrs.frozen
class HandledEvent:
    """A provider's webhook event, recorded once handled."""

    tenant_id: TenantId
    event_id: str
    received_at: datetime


class MemoryHandledEvents(MemoryRepository[HandledEvent]):
    table, entity = "travel/webhook_events", "webhook event"
    audited = False  # a technical record, not a change of the domain

    def key_of(self, entity: HandledEvent) -> Hashable:
        return entity.event_id

    def find(self, event_id: str) -> HandledEvent | None:
        return self._find(event_id)


class MemoryWebhookEvents:
    def __init__(self, scope: MemoryScope) -> None:
        self._scope = scope
        self._events = MemoryHandledEvents(scope)

    def seen(self, event_id: str) -> bool:
        return self._events.find(event_id) is not None

    def add(self, event_id: str, received_at: datetime) -> None:
        self._events.add(HandledEvent(self._scope.tenant_id, event_id, received_at))
