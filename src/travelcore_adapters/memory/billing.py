"""Memory repositories of billing: invoices and venue payouts."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from travelcore.billing import (
    Invoice,
    InvoiceId,
    InvoiceStatus,
    PayoutId,
    PayoutStatus,
    VenuePayout,
)
from travelcore.catalog import VenueId
from travelcore.kernel import AlreadyExists
from travelcore.ledger import CorporateId, SubscriptionId
from travelcore_adapters.memory.rows import Rows

if TYPE_CHECKING:
    from travelcore_adapters.memory.uow import MemoryUnitOfWork


class MemoryInvoices:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._rows = Rows[Invoice](uow, "billing/invoices", "invoice")

    def add(self, invoice: Invoice) -> None:
        for other in self._rows.all():
            same_period = (other.subscription_id, other.period.start) == (
                invoice.subscription_id,
                invoice.period.start,
            )
            same_number = (other.corporate_id, other.sequence) == (
                invoice.corporate_id,
                invoice.sequence,
            )
            if other.id != invoice.id and (same_period or same_number):
                raise AlreadyExists(
                    "an invoice with that period or number exists", entity="invoice"
                )
        self._rows.add(invoice.id, invoice)

    def get(self, invoice_id: InvoiceId) -> Invoice:
        return self._rows.get(invoice_id)

    def save(self, invoice: Invoice) -> None:
        self._rows.save(invoice.id, invoice)

    def for_period(self, subscription_id: SubscriptionId, period_start: date) -> Invoice | None:
        found = self._rows.all(
            lambda i: i.subscription_id == subscription_id and i.period.start == period_start
        )
        return found[0] if found else None

    def last_sequence(self, corporate_id: CorporateId) -> int:
        return max(
            (i.sequence for i in self._rows.all(lambda i: i.corporate_id == corporate_id)),
            default=0,
        )

    def sent_due_before(self, day: date) -> list[Invoice]:
        due = self._rows.all(lambda i: i.status is InvoiceStatus.SENT and i.due_on < day)
        return sorted(due, key=lambda i: (i.due_on, i.number))


class MemoryPayouts:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._rows = Rows[VenuePayout](uow, "billing/payouts", "payout")

    def add(self, payout: VenuePayout) -> None:
        if self.for_period(payout.venue_id, payout.period_start) not in (None, payout):
            raise AlreadyExists("the venue has a payout for this period", entity="payout")
        self._rows.add(payout.id, payout)

    def get(self, payout_id: PayoutId) -> VenuePayout:
        return self._rows.get(payout_id)

    def save(self, payout: VenuePayout) -> None:
        self._rows.save(payout.id, payout)

    def for_period(self, venue_id: VenueId, period_start: date) -> VenuePayout | None:
        found = self._rows.all(lambda p: p.venue_id == venue_id and p.period_start == period_start)
        return found[0] if found else None

    def with_status(self, status: PayoutStatus) -> list[VenuePayout]:
        found = self._rows.all(lambda p: p.status is status)
        return sorted(found, key=lambda p: (p.period_start, str(p.venue_id)))
