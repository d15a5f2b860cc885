"""Memory repositories of billing: invoices and venue payouts."""

from __future__ import annotations

from datetime import date

from travelcore.billing import Invoice, InvoiceStatus, PayoutStatus, VenuePayout
from travelcore.catalog import VenueId
from travelcore.ledger import CorporateId, SubscriptionId
from travelcore_adapters.memory.repository import MemoryRepository


class MemoryInvoices(MemoryRepository[Invoice]):
    table, entity = "billing/invoices", "invoice"

    def _check_unique(self, entity: Invoice) -> None:
        self._clash(
            entity,
            lambda i: (
                (i.subscription_id, i.period.start) == (entity.subscription_id, entity.period.start)
            ),
            "subscription and period",
        )
        self._clash(
            entity,
            lambda i: (i.corporate_id, i.sequence) == (entity.corporate_id, entity.sequence),
            "corporate and sequence",
        )

    def for_period(self, subscription_id: SubscriptionId, period_start: date) -> Invoice | None:
        return self._first(
            lambda i: i.subscription_id == subscription_id and i.period.start == period_start
        )

    def last_sequence(self, corporate_id: CorporateId) -> int:
        mine = self._scan(lambda i: i.corporate_id == corporate_id)
        return max((i.sequence for i in mine), default=0)

    def sent_due_before(self, day: date) -> list[Invoice]:
        due = self._rows(lambda i: i.status is InvoiceStatus.SENT and i.due_on < day)
        return sorted(due, key=lambda i: (i.due_on, i.number))


class MemoryPayouts(MemoryRepository[VenuePayout]):
    table, entity = "billing/payouts", "payout"

    def _check_unique(self, entity: VenuePayout) -> None:
        self._clash(
            entity,
            lambda p: (p.venue_id, p.period_start) == (entity.venue_id, entity.period_start),
            "venue and period",
        )

    def for_period(self, venue_id: VenueId, period_start: date) -> VenuePayout | None:
        return self._first(lambda p: p.venue_id == venue_id and p.period_start == period_start)

    def with_status(self, status: PayoutStatus) -> list[VenuePayout]:
        found = self._rows(lambda p: p.status is status)
        return sorted(found, key=lambda p: (p.period_start, str(p.venue_id)))
