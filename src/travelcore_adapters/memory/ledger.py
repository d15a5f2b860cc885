"""Credit balances and corporate subscriptions in memory, keyed by tenant."""

from __future__ import annotations

import copy
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from travelcore.kernel import AlreadyExists, NotFound, StaleVersion, UserId
from travelcore.ledger.model import (
    BalanceId,
    CreditBalance,
    HoldStatus,
    LedgerIsAppendOnly,
)
from travelcore.ledger.subscription import CorporateSubscription, SeatAllocations, SubscriptionId

if TYPE_CHECKING:
    from travelcore_adapters.memory.uow import MemoryUnitOfWork

BALANCES = "credit_balances"
SUBSCRIPTIONS = "subscriptions"
SEATS = "subscription_seats"


def _stored(aggregate: CreditBalance) -> CreditBalance:
    """A copy without pending events (those belong to the caller's unit of work)."""
    stored = copy.deepcopy(aggregate)
    stored.pull_events()
    return stored


class MemoryLedgerRepository:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow

    def _balances(self) -> list[CreditBalance]:
        tenant = self._uow.tenant_id
        return [
            value
            for _, value in self._uow.tx.scan(
                BALANCES, lambda key, _: isinstance(key, tuple) and key[0] == tenant
            )
        ]

    def add(self, balance: CreditBalance) -> None:
        key = (self._uow.tenant_id, balance.id)
        if self._uow.tx.contains(BALANCES, key):
            raise AlreadyExists(f"credit balance {balance.id} exists", balance_id=str(balance.id))
        for other in self._balances():
            if other.user_id == balance.user_id and other.period.start == balance.period.start:
                raise AlreadyExists(
                    "the user already has a balance for this billing period",
                    user_id=str(balance.user_id),
                    period_start=balance.period.start.isoformat(),
                )
        self._uow.tx.put(BALANCES, key, _stored(balance))

    def get(self, balance_id: BalanceId) -> CreditBalance:
        balance: CreditBalance | None = self._uow.tx.get(
            BALANCES, (self._uow.tenant_id, balance_id)
        )
        if balance is None:
            raise NotFound("credit_balance", balance_id)
        return balance

    def find(self, user_id: UserId, day: date) -> CreditBalance | None:
        for balance in self._balances():
            if balance.user_id == user_id and balance.period.contains(day):
                return balance
        return None

    def save(self, balance: CreditBalance) -> None:
        key = (self._uow.tenant_id, balance.id)
        stored: CreditBalance | None = self._uow.tx.get(BALANCES, key)
        if stored is None:
            raise NotFound("credit_balance", balance.id)
        if stored.version != balance.version:
            raise StaleVersion(
                f"credit balance {balance.id} changed since it was read",
                balance_id=str(balance.id),
                expected=balance.version,
                actual=stored.version,
            )
        if balance.entries[: len(stored.entries)] != stored.entries:
            raise LedgerIsAppendOnly(
                "stored ledger entries cannot be changed or removed", balance_id=str(balance.id)
            )
        balance.version += 1
        self._uow.tx.put(BALANCES, key, _stored(balance))

    def for_booking(self, booking_id: UUID) -> list[BalanceId]:
        found = [b for b in self._balances() if any(e.booking_id == booking_id for e in b.entries)]
        return [b.id for b in sorted(found, key=lambda b: (b.period.start, str(b.id)))]

    def open_ending_by(self, day: date) -> list[BalanceId]:
        return _ids(b for b in self._balances() if not b.is_closed and b.period.end <= day)

    def unwarned_ending_by(self, day: date) -> list[BalanceId]:
        return _ids(
            b
            for b in self._balances()
            if not b.is_closed and b.expiry_warning_sent_at is None and b.period.end <= day
        )

    def with_holds_expiring_by(self, instant: datetime) -> list[BalanceId]:
        return _ids(
            b
            for b in self._balances()
            if any(h.status is HoldStatus.ACTIVE and h.expires_at <= instant for h in b.holds)
        )


def _ids(balances: Any) -> list[BalanceId]:
    ordered = sorted(balances, key=lambda b: (b.period.end, str(b.id)))
    return [b.id for b in ordered]


class MemorySubscriptionRepository:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow

    def add(self, subscription: CorporateSubscription) -> None:
        key = (self._uow.tenant_id, subscription.id)
        if self._uow.tx.contains(SUBSCRIPTIONS, key):
            raise AlreadyExists(
                f"subscription {subscription.id} exists", subscription_id=str(subscription.id)
            )
        self._uow.tx.put(SUBSCRIPTIONS, key, subscription)

    def get(self, subscription_id: SubscriptionId) -> CorporateSubscription:
        found: CorporateSubscription | None = self._uow.tx.get(
            SUBSCRIPTIONS, (self._uow.tenant_id, subscription_id)
        )
        if found is None:
            raise NotFound("subscription", subscription_id)
        return found

    def save(self, subscription: CorporateSubscription) -> None:
        key = (self._uow.tenant_id, subscription.id)
        stored: CorporateSubscription | None = self._uow.tx.get(SUBSCRIPTIONS, key)
        if stored is None:
            raise NotFound("subscription", subscription.id)
        _check_version("subscription", subscription.id, stored.version, subscription.version)
        subscription.version += 1
        self._uow.tx.put(SUBSCRIPTIONS, key, subscription)

    def seats(self, subscription_id: SubscriptionId, period_start: date) -> SeatAllocations | None:
        found: SeatAllocations | None = self._uow.tx.get(
            SEATS, (self._uow.tenant_id, subscription_id, period_start)
        )
        return found

    def save_seats(self, seats: SeatAllocations) -> None:
        key = (self._uow.tenant_id, seats.subscription_id, seats.period.start)
        stored: SeatAllocations | None = self._uow.tx.get(SEATS, key)
        if stored is None and seats.version != 0:
            raise NotFound("subscription_seats", key[1:])
        if stored is not None and seats.version == 0:
            raise AlreadyExists(
                "seats for this period exist", subscription_id=str(seats.subscription_id)
            )
        if stored is not None:
            _check_version(
                "subscription_seats", seats.subscription_id, stored.version, seats.version
            )
        seats.version += 1
        self._uow.tx.put(SEATS, key, seats)


def _check_version(entity: str, key: object, stored: int, given: int) -> None:
    if stored != given:
        raise StaleVersion(
            f"{entity} {key} changed since it was read", expected=given, actual=stored
        )
