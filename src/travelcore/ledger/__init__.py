"""The credit ledger: balances per billing period, append-only entries, two-phase holds."""

from travelcore.ledger.model import (
    BalanceId,
    BillingPeriod,
    CreditBalance,
    EntryId,
    EntryPosted,
    EntryType,
    ExpiryWarningDue,
    Hold,
    HoldChanged,
    HoldId,
    HoldStatus,
    LedgerEntry,
    PeriodClosed,
    RefundExceedsDebit,
)
from travelcore.ledger.ports import LedgerRepository, LedgerUnitOfWork

__all__ = [
    "BalanceId",
    "BillingPeriod",
    "CreditBalance",
    "EntryId",
    "EntryPosted",
    "EntryType",
    "ExpiryWarningDue",
    "Hold",
    "HoldChanged",
    "HoldId",
    "HoldStatus",
    "LedgerEntry",
    "LedgerRepository",
    "LedgerUnitOfWork",
    "PeriodClosed",
    "RefundExceedsDebit",
]
