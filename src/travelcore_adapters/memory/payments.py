"""Memory repositories of the payments context."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import attrs

from travelcore.kernel import Conflict
from travelcore.payments import Payment, PaymentId, PaymentStatus, RefundStatus
from travelcore.travel import TripId
from travelcore_adapters.memory.rows import Rows

if TYPE_CHECKING:
    from travelcore_adapters.memory.uow import MemoryUnitOfWork


class MemoryPayments:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._rows = Rows[Payment](uow, "travel/payments", "payment")

    def add(self, payment: Payment) -> None:
        if payment.status is PaymentStatus.INITIATED and any(
            p.status is PaymentStatus.INITIATED and p.id != payment.id
            for p in self.for_trip(payment.trip_id)
        ):
            raise Conflict("a payment for this trip is in progress", trip_id=str(payment.trip_id))
        self._rows.add(payment.id, payment)

    def get(self, payment_id: PaymentId) -> Payment:
        return self._rows.get(payment_id)

    def save(self, payment: Payment) -> None:
        self._rows.save(payment.id, payment)

    def for_trip(self, trip_id: TripId) -> Sequence[Payment]:
        found = self._rows.all(lambda p: p.trip_id == trip_id)
        return sorted(found, key=lambda p: (p.created_at, str(p.id)))

    def needing_settlement(self, before: datetime) -> Sequence[Payment]:
        def stuck(p: Payment) -> bool:
            if p.status is PaymentStatus.INITIATED:
                return p.created_at < before
            return any(
                r.status is RefundStatus.PENDING and r.created_at < before for r in p.refunds
            )

        return sorted(self._rows.all(stuck), key=lambda p: (p.created_at, str(p.id)))

    def find_by_provider_ref(self, provider_ref: str) -> Payment | None:
        found = self._rows.all(lambda p: p.provider_ref == provider_ref)
        return found[0] if found else None


@attrs.frozen
class _Seen:
    received_at: datetime


class MemoryWebhookEvents:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._rows = Rows[_Seen](uow, "travel/webhook_events", "webhook event")

    def seen(self, event_id: str) -> bool:
        return self._rows.find(event_id) is not None

    def add(self, event_id: str, received_at: datetime) -> None:
        self._rows.add(event_id, _Seen(received_at))
