"""Billing: corporate invoices (numbered per corporate, net-30, an overdue sweep) and venue
payouts (gross, platform fee, net, adjustments; one per venue and period)."""

from travelcore.billing.invoices import (
    INVOICE_MOVES,
    Invoice,
    InvoiceId,
    InvoiceLine,
    InvoiceStatus,
    invoice_number,
    tax_on,
)
from travelcore.billing.payouts import (
    PAID_OUTCOMES,
    PAYOUT_MOVES,
    PayoutBooking,
    PayoutId,
    PayoutStatus,
    VenuePayout,
    platform_fee,
)

__all__ = [
    "INVOICE_MOVES",
    "PAID_OUTCOMES",
    "PAYOUT_MOVES",
    "Invoice",
    "InvoiceId",
    "InvoiceLine",
    "InvoiceStatus",
    "PayoutBooking",
    "PayoutId",
    "PayoutStatus",
    "VenuePayout",
    "invoice_number",
    "platform_fee",
    "tax_on",
]
