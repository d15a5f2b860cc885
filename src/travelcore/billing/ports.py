"""What billing needs from storage."""

from __future__ import annotations

from datetime import date
from typing import Protocol

from travelcore.billing.invoices import Invoice, InvoiceId
from travelcore.billing.payouts import PayoutId, PayoutStatus, VenuePayout
from travelcore.booking import BookingUnitOfWork
from travelcore.catalog import VenueId
from travelcore.ledger import CorporateId, SubscriptionId


class InvoiceRepository(Protocol):
    """Invoices of the unit of work's tenant."""

    def add(self, invoice: Invoice) -> None:
        """``AlreadyExists`` if the subscription has an invoice for the period, or the
        corporate has an invoice with that sequence number."""
        ...

    def get(self, invoice_id: InvoiceId) -> Invoice: ...

    def save(self, invoice: Invoice) -> None:
        """Under the kernel's version rule (``StaleVersion`` if it moved on)."""
        ...

    def for_period(self, subscription_id: SubscriptionId, period_start: date) -> Invoice | None: ...

    def last_sequence(self, corporate_id: CorporateId) -> int:
        """The corporate's highest invoice sequence (0 before its first invoice)."""
        ...

    def sent_due_before(self, day: date) -> list[Invoice]:
        """``sent`` invoices due before ``day`` (the overdue sweep's work), by due date."""
        ...


class PayoutRepository(Protocol):
    """Venue payouts of the unit of work's tenant."""

    def add(self, payout: VenuePayout) -> None:
        """``AlreadyExists`` if the venue has a payout for that period start."""
        ...

    def get(self, payout_id: PayoutId) -> VenuePayout: ...

    def save(self, payout: VenuePayout) -> None:
        """Under the kernel's version rule (``StaleVersion`` if it moved on)."""
        ...

    def for_period(self, venue_id: VenueId, period_start: date) -> VenuePayout | None: ...

    def with_status(self, status: PayoutStatus) -> list[VenuePayout]:
        """Payouts in ``status``, oldest period first."""
        ...


class BillingUnitOfWork(BookingUnitOfWork, Protocol):
    @property
    def invoices(self) -> InvoiceRepository: ...

    @property
    def payouts(self) -> PayoutRepository: ...
