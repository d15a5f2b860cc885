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
from travelcore.billing.ports import BillingUnitOfWork, InvoiceRepository, PayoutRepository
from travelcore.billing.service import (
    AdjustPayout,
    BillingService,
    BillingUowFactory,
    ChangeInvoice,
    ChangePayout,
    CreatePayout,
    IssueInvoice,
    RecordInvoicePayment,
)

__all__ = [
    "INVOICE_MOVES",
    "PAID_OUTCOMES",
    "PAYOUT_MOVES",
    "AdjustPayout",
    "BillingService",
    "BillingUnitOfWork",
    "BillingUowFactory",
    "ChangeInvoice",
    "ChangePayout",
    "CreatePayout",
    "Invoice",
    "InvoiceId",
    "InvoiceLine",
    "InvoiceRepository",
    "InvoiceStatus",
    "IssueInvoice",
    "PayoutBooking",
    "PayoutId",
    "PayoutRepository",
    "PayoutStatus",
    "RecordInvoicePayment",
    "VenuePayout",
    "invoice_number",
    "platform_fee",
    "tax_on",
]
