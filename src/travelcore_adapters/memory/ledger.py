"""Credit balances and corporate subscriptions in memory, keyed by tenant."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from datetime import date, datetime

from travelcore.kernel import AlreadyExists, UserId, check_tenant, saved
from travelcore.ledger.model import BalanceId, CreditBalance, HoldStatus, LedgerIsAppendOnly
from travelcore.ledger.subscription import CorporateSubscription, SeatAllocations, SubscriptionId
from travelcore_adapters.memory.repository import MemoryRepository, MemoryScope


class MemoryLedgerRepository(MemoryRepository[CreditBalance]):
    table, entity = "credit_balances", "credit_balance"

    def _check_unique(self, entity: CreditBalance) -> None:
        if self._scan(
            lambda other: (
                other.id != entity.id
                and other.user_id == entity.user_id
                and other.period.start == entity.period.start
            )
        ):
            raise AlreadyExists(
                "the user already has a balance for this billing period",
                user_id=str(entity.user_id),
                period_start=entity.period.start.isoformat(),
            )

    def _check_stored(self, stored: CreditBalance, entity: CreditBalance) -> None:
        if entity.entries[: len(stored.entries)] != stored.entries:
            raise LedgerIsAppendOnly(
                "stored ledger entries cannot be changed or removed", balance_id=str(entity.id)
            )

    def find(self, user_id: UserId, day: date) -> CreditBalance | None:
        return self._first(lambda b: b.user_id == user_id and b.period.contains(day))

    def open_ending_by(self, day: date) -> list[BalanceId]:
        return _ids(b for b in self._scan(None) if not b.is_closed and b.period.end <= day)

    def unwarned_ending_by(self, day: date) -> list[BalanceId]:
        return _ids(
            b
            for b in self._scan(None)
            if not b.is_closed and b.expiry_warning_sent_at is None and b.period.end <= day
        )

    def with_holds_expiring_by(self, instant: datetime) -> list[BalanceId]:
        return _ids(
            b
            for b in self._scan(None)
            if any(h.status is HoldStatus.ACTIVE and h.expires_at <= instant for h in b.holds)
        )


def _ids(balances: Iterable[CreditBalance]) -> list[BalanceId]:
    ordered = sorted(balances, key=lambda b: (b.period.end, str(b.id)))
    return [b.id for b in ordered]


class MemorySubscriptionRepository(MemoryRepository[CorporateSubscription]):
    table, entity = "subscriptions", "subscription"

    def __init__(self, scope: MemoryScope) -> None:
        super().__init__(scope)
        self._seats = MemorySeatRepository(scope)

    def seats(self, subscription_id: SubscriptionId, period_start: date) -> SeatAllocations | None:
        return self._seats.find(subscription_id, period_start)

    def save_seats(self, seats: SeatAllocations) -> None:
        """Version 0 is a first allocation: it is added at version 1."""
        if seats.version == 0:
            check_tenant(self._scope, seats.tenant_id)
            if self.seats(seats.subscription_id, seats.period.start) is not None:
                raise AlreadyExists(
                    "seats for this period exist", subscription_id=str(seats.subscription_id)
                )
            saved(seats)
            self._seats.add(seats)
        else:
            self._seats.save(seats)


class MemorySeatRepository(MemoryRepository[SeatAllocations]):
    table, entity = "subscription_seats", "subscription_seats"

    def key_of(self, entity: SeatAllocations) -> Hashable:
        return (entity.subscription_id, entity.period.start)

    def find(self, subscription_id: SubscriptionId, period_start: date) -> SeatAllocations | None:
        return self._find((subscription_id, period_start))
