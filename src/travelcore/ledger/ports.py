"""What the ledger needs from storage."""

from __future__ import annotations

from datetime import date
from typing import Protocol

from travelcore.kernel import IdempotencyStore, UnitOfWork, UserId
from travelcore.ledger.model import BalanceId, CreditBalance


class LedgerRepository(Protocol):
    """Credit balances with their entries and holds, for the unit of work's tenant.

    ``save`` appends the balance's new entries (entries are never updated or deleted),
    upserts its holds and bumps ``version``; a stale version raises ``StaleVersion``.
    """

    def add(self, balance: CreditBalance) -> None:
        """Store a new balance; ``AlreadyExists`` if the user has one for that period."""
        ...

    def get(self, balance_id: BalanceId) -> CreditBalance:
        """The balance, or ``NotFound``."""
        ...

    def find(self, user_id: UserId, day: date) -> CreditBalance | None:
        """The user's balance whose period contains ``day``."""
        ...

    def save(self, balance: CreditBalance) -> None: ...

    def open_ending_by(self, day: date) -> list[BalanceId]:
        """Balances not yet closed whose period ends on or before ``day``."""
        ...

    def unwarned_ending_by(self, day: date) -> list[BalanceId]:
        """Open balances without an expiry warning whose period ends on or before ``day``."""
        ...


class LedgerUnitOfWork(UnitOfWork, Protocol):
    credits: LedgerRepository
    idempotency: IdempotencyStore
