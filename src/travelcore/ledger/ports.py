"""What the ledger needs from storage."""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol
from uuid import UUID

from travelcore.kernel import IdempotencyStore, UnitOfWork, UserId
from travelcore.ledger.model import BalanceId, CreditBalance
from travelcore.ledger.subscription import CorporateSubscription, SeatAllocations, SubscriptionId
from travelcore.people.ports import Directory


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

    def save(self, balance: CreditBalance) -> None:
        """Store changes: the stored version must equal ``balance.version`` (else
        ``StaleVersion``); stored entries must be kept unchanged as a prefix (else
        ``Conflict``). Sets ``balance.version`` to the next version."""
        ...

    def for_booking(self, booking_id: UUID) -> list[BalanceId]:
        """Balances with an entry about the booking (its debit, refunds, forfeit)."""
        ...

    def open_ending_by(self, day: date) -> list[BalanceId]:
        """Balances not yet closed whose period ends on or before ``day``."""
        ...

    def unwarned_ending_by(self, day: date) -> list[BalanceId]:
        """Open balances without an expiry warning whose period ends on or before ``day``."""
        ...

    def with_holds_expiring_by(self, instant: datetime) -> list[BalanceId]:
        """Balances with an active hold whose ``expires_at`` is on or before ``instant``."""
        ...


class SubscriptionRepository(Protocol):
    """Corporate subscriptions and their per-period seat allocations, for one tenant."""

    def add(self, subscription: CorporateSubscription) -> None:
        """``AlreadyExists`` if the id is taken."""
        ...

    def get(self, subscription_id: SubscriptionId) -> CorporateSubscription:
        """The subscription, or ``NotFound``."""
        ...

    def save(self, subscription: CorporateSubscription) -> None:
        """Optimistic: ``StaleVersion`` unless the stored version equals the given one;
        then bumps ``subscription.version``."""
        ...

    def seats(self, subscription_id: SubscriptionId, period_start: date) -> SeatAllocations | None:
        """The seats given in the period starting on ``period_start``, if any."""
        ...

    def save_seats(self, seats: SeatAllocations) -> None:
        """Insert (version 0, ``AlreadyExists`` if present) or update (``StaleVersion`` unless
        the stored version matches); bumps ``seats.version``."""
        ...


class LedgerUnitOfWork(UnitOfWork, Directory, Protocol):
    """The ledger's storage; ``users`` and ``corporates`` give a user's local "today"."""

    @property
    def credits(self) -> LedgerRepository: ...

    @property
    def subscriptions(self) -> SubscriptionRepository: ...

    @property
    def idempotency(self) -> IdempotencyStore: ...
