"""The contracts every ledger and subscription repository adapter honours."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import attrs
import pytest

from travelcore.kernel import (
    FIRST_VERSION,
    AlreadyExists,
    Conflict,
    Money,
    NotFound,
    StaleVersion,
    TenantId,
    UserId,
    ValidationFailed,
    new_uuid,
)
from travelcore.ledger.model import BillingPeriod, CreditBalance, HoldStatus, LedgerIsAppendOnly
from travelcore.ledger.subscription import (
    CorporateId,
    CorporateSubscription,
    SeatAllocations,
    SubscriptionTier,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MARCH = BillingPeriod(date(2026, 3, 1), date(2026, 4, 1))
UowFactory = Callable[[TenantId], Any]


def rich_balance(tenant: TenantId, user: UserId | None = None) -> CreditBalance:
    """A balance that uses every kind of entry and hold and every optional field."""
    balance = CreditBalance.open(tenant, user or UserId(new_uuid()), MARCH, T0)
    allocation = balance.allocate(100, T0, actor="hr", reason="march", idempotency_key="k-alloc")
    captured = balance.place_hold(new_uuid(), 10, T0, timedelta(hours=1))
    balance.capture_hold(captured.id, T0 + timedelta(minutes=5), idempotency_key="k-cap")
    voided = balance.place_hold(new_uuid(), 5, T0, timedelta(hours=1))
    balance.void_hold(voided.id, T0 + timedelta(minutes=6))
    balance.place_hold(new_uuid(), 7, T0 + timedelta(minutes=7), timedelta(hours=2))
    refunded, forfeited = new_uuid(), new_uuid()
    balance.debit(refunded, 20, T0 + timedelta(minutes=8))
    balance.refund(refunded, T0 + timedelta(minutes=9), credits=5, partial=True, reason="late")
    balance.debit(forfeited, 3, T0 + timedelta(minutes=10))
    balance.forfeit(forfeited, T0 + timedelta(minutes=11), actor="venue", reason="no-show")
    adjustment = balance.adjust(4, T0 + timedelta(minutes=12), actor="admin", reason="goodwill")
    balance.reverse(adjustment.id, T0 + timedelta(minutes=13), actor="admin", reason="oops")
    assert allocation.sequence == 1
    balance.warn_of_expiry(datetime(2026, 3, 25, tzinfo=UTC), timedelta(days=7))
    balance.pull_events()
    return balance


class LedgerRepositoryContract:
    """Subclass and provide ``uow_factory``: ``TenantId -> unit of work`` exposing
    ``credits`` (a LedgerRepository) and ``idempotency``."""

    @pytest.fixture
    def tenant(self) -> TenantId:
        return TenantId(new_uuid())

    def _add(self, uow_factory: UowFactory, balance: CreditBalance) -> None:
        with uow_factory(balance.tenant_id) as uow:
            uow.credits.add(balance)
            uow.commit()

    def _get(self, uow_factory: UowFactory, balance: CreditBalance) -> CreditBalance:
        with uow_factory(balance.tenant_id) as uow:
            found: CreditBalance = uow.credits.get(balance.id)
        return found

    def _save(self, uow_factory: UowFactory, balance: CreditBalance) -> None:
        with uow_factory(balance.tenant_id) as uow:
            uow.credits.save(balance)
            uow.commit()

    def test_round_trip_preserves_every_field(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        balance = rich_balance(tenant)
        self._add(uow_factory, balance)
        found = self._get(uow_factory, balance)
        assert found == balance
        assert [attrs.asdict(e) for e in found.entries] == [
            attrs.asdict(e) for e in balance.entries
        ]
        assert [attrs.asdict(h) for h in found.holds] == [attrs.asdict(h) for h in balance.holds]
        assert {h.status for h in found.holds} == set(HoldStatus) - {HoldStatus.EXPIRED}
        assert found.expiry_warning_sent_at == balance.expiry_warning_sent_at
        assert (found.balance, found.held, found.available) == (
            balance.balance,
            balance.held,
            balance.available,
        )
        assert found.pull_events() == []

    def test_missing_balance_is_not_found(self, uow_factory: UowFactory, tenant: TenantId) -> None:
        missing = CreditBalance.open(tenant, UserId(new_uuid()), MARCH, T0)
        with uow_factory(tenant) as uow, pytest.raises(NotFound):
            uow.credits.get(missing.id)

    def test_uncommitted_add_is_rolled_back(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        balance = CreditBalance.open(tenant, UserId(new_uuid()), MARCH, T0)
        with uow_factory(tenant) as uow:
            uow.credits.add(balance)
        with uow_factory(tenant) as uow, pytest.raises(NotFound):
            uow.credits.get(balance.id)

    def test_one_balance_per_user_and_period(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        user = UserId(new_uuid())
        first = CreditBalance.open(tenant, user, MARCH, T0)
        self._add(uow_factory, first)
        with uow_factory(tenant) as uow, pytest.raises(AlreadyExists):
            uow.credits.add(first)
        again = CreditBalance.open(tenant, user, MARCH, T0)
        with uow_factory(tenant) as uow, pytest.raises(AlreadyExists):
            uow.credits.add(again)
        april = CreditBalance.open(tenant, user, BillingPeriod(MARCH.end, date(2026, 5, 1)), T0)
        self._add(uow_factory, april)

    def test_find_by_user_and_day(self, uow_factory: UowFactory, tenant: TenantId) -> None:
        balance = rich_balance(tenant)
        self._add(uow_factory, balance)
        with uow_factory(tenant) as uow:
            assert uow.credits.find(balance.user_id, date(2026, 3, 1)) == balance
            assert uow.credits.find(balance.user_id, date(2026, 3, 31)) == balance
            assert uow.credits.find(balance.user_id, date(2026, 4, 1)) is None
            assert uow.credits.find(balance.user_id, date(2026, 2, 28)) is None
            assert uow.credits.find(UserId(new_uuid()), date(2026, 3, 10)) is None

    def test_save_appends_and_bumps_the_version(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        balance = rich_balance(tenant)
        self._add(uow_factory, balance)
        loaded = self._get(uow_factory, balance)
        loaded.debit(new_uuid(), 2, T0 + timedelta(hours=1), idempotency_key="k-more")
        loaded.expire_holds(T0 + timedelta(days=1))
        self._save(uow_factory, loaded)
        assert loaded.version == balance.version + 1
        found = self._get(uow_factory, balance)
        assert found == loaded
        assert found.entries[: len(balance.entries)] == balance.entries
        assert found.held == 0

    def test_save_of_a_missing_balance_is_not_found(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        balance = CreditBalance.open(tenant, UserId(new_uuid()), MARCH, T0)
        with uow_factory(tenant) as uow, pytest.raises(NotFound):
            uow.credits.save(balance)

    def test_two_saves_of_the_same_version_conflict(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        balance = CreditBalance.open(tenant, UserId(new_uuid()), MARCH, T0)
        balance.allocate(50, T0)
        self._add(uow_factory, balance)
        first, second = self._get(uow_factory, balance), self._get(uow_factory, balance)
        first.debit(new_uuid(), 30, T0)
        second.debit(new_uuid(), 40, T0)
        self._save(uow_factory, first)
        with uow_factory(tenant) as uow, pytest.raises(StaleVersion):
            uow.credits.save(second)
        assert self._get(uow_factory, balance).balance == 20

    def test_entries_are_append_only(self, uow_factory: UowFactory, tenant: TenantId) -> None:
        balance = rich_balance(tenant)
        self._add(uow_factory, balance)
        changed = self._get(uow_factory, balance)
        changed.entries[0] = attrs.evolve(changed.entries[0], amount=1000, balance_after=1000)
        with uow_factory(tenant) as uow, pytest.raises(LedgerIsAppendOnly) as err:
            uow.credits.save(changed)
        assert isinstance(err.value, Conflict)
        removed = self._get(uow_factory, balance)
        removed.entries.pop()
        with uow_factory(tenant) as uow, pytest.raises(LedgerIsAppendOnly):
            uow.credits.save(removed)
        assert self._get(uow_factory, balance) == balance

    def test_tenants_are_isolated(self, uow_factory: UowFactory, tenant: TenantId) -> None:
        balance = rich_balance(tenant)
        self._add(uow_factory, balance)
        other = TenantId(new_uuid())
        copy = self._get(uow_factory, balance)
        with uow_factory(other) as uow:
            with pytest.raises(NotFound):
                uow.credits.get(balance.id)
            assert uow.credits.find(balance.user_id, date(2026, 3, 10)) is None
            assert uow.credits.open_ending_by(date(2030, 1, 1)) == []
            assert uow.credits.unwarned_ending_by(date(2030, 1, 1)) == []
            assert uow.credits.with_holds_expiring_by(T0 + timedelta(days=1)) == []
            with pytest.raises(ValidationFailed):
                uow.credits.save(copy)
        theirs = CreditBalance.open(other, balance.user_id, MARCH, T0)
        self._add(uow_factory, theirs)
        assert self._get(uow_factory, balance) == balance

    def test_open_and_unwarned_balances_ending_by_a_day(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        user = UserId(new_uuid())
        feb = CreditBalance.open(tenant, user, BillingPeriod(date(2026, 2, 1), MARCH.start), T0)
        feb.expire(feb.period.ends_at)
        march = CreditBalance.open(tenant, user, MARCH, T0)
        warned = CreditBalance.open(tenant, UserId(new_uuid()), MARCH, T0)
        warned.warn_of_expiry(datetime(2026, 3, 30, tzinfo=UTC), timedelta(days=7))
        april = CreditBalance.open(tenant, user, BillingPeriod(MARCH.end, date(2026, 5, 1)), T0)
        for balance in (feb, march, warned, april):
            self._add(uow_factory, balance)
        with uow_factory(tenant) as uow:
            assert uow.credits.open_ending_by(date(2026, 3, 31)) == []
            assert set(uow.credits.open_ending_by(date(2026, 4, 1))) == {march.id, warned.id}
            assert set(uow.credits.open_ending_by(date(2026, 5, 1))) == {
                march.id,
                warned.id,
                april.id,
            }
            assert uow.credits.unwarned_ending_by(date(2026, 4, 1)) == [march.id]
            assert set(uow.credits.unwarned_ending_by(date(2026, 6, 1))) == {march.id, april.id}

    def test_balances_with_holds_expiring_by_an_instant(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        soon = CreditBalance.open(tenant, UserId(new_uuid()), MARCH, T0)
        soon.allocate(10, T0)
        soon.place_hold(new_uuid(), 2, T0, timedelta(hours=1))
        later = CreditBalance.open(tenant, UserId(new_uuid()), MARCH, T0)
        later.allocate(10, T0)
        voided = later.place_hold(new_uuid(), 2, T0, timedelta(hours=1))
        later.void_hold(voided.id, T0)
        later.place_hold(new_uuid(), 2, T0, timedelta(hours=5))
        for balance in (soon, later):
            self._add(uow_factory, balance)
        with uow_factory(tenant) as uow:
            assert uow.credits.with_holds_expiring_by(T0) == []
            assert uow.credits.with_holds_expiring_by(T0 + timedelta(hours=1)) == [soon.id]
            found = set(uow.credits.with_holds_expiring_by(T0 + timedelta(hours=5)))
            assert found == {soon.id, later.id}


def subscription(tenant: TenantId, **changes: Any) -> CorporateSubscription:
    values: dict[str, Any] = {
        "tenant_id": tenant,
        "corporate_id": CorporateId(new_uuid()),
        "tier": SubscriptionTier.PREMIUM,
        "covered_employees": 2,
        "credits_per_employee": 40,
        "monthly_cost": Money.of("499.00", "EUR"),
        "start_date": date(2026, 1, 1),
        "billing_cycle_day": 1,
        **changes,
    }
    return CorporateSubscription.create(**values)


class SubscriptionRepositoryContract:
    """Subclass and provide ``uow_factory``: ``TenantId -> unit of work`` exposing
    ``subscriptions`` (a SubscriptionRepository)."""

    @pytest.fixture
    def tenant(self) -> TenantId:
        return TenantId(new_uuid())

    def test_round_trip_and_duplicates(self, uow_factory: UowFactory, tenant: TenantId) -> None:
        sub = subscription(tenant, end_date=date(2026, 12, 31), billing_cycle_day=15)
        sub.cancel(T0, "budget cut")
        with uow_factory(tenant) as uow:
            uow.subscriptions.add(sub)
            uow.commit()
        with uow_factory(tenant) as uow:
            assert uow.subscriptions.get(sub.id) == sub
            with pytest.raises(AlreadyExists):
                uow.subscriptions.add(sub)
        with uow_factory(TenantId(new_uuid())) as uow, pytest.raises(NotFound):
            uow.subscriptions.get(sub.id)

    def test_save_is_optimistic(self, uow_factory: UowFactory, tenant: TenantId) -> None:
        sub = subscription(tenant)
        with uow_factory(tenant) as uow:
            uow.subscriptions.add(sub)
            uow.commit()
        with uow_factory(tenant) as uow:
            first = uow.subscriptions.get(sub.id)
        with uow_factory(tenant) as uow:
            second = uow.subscriptions.get(sub.id)
        first.cancel(T0, "moved provider")
        with uow_factory(tenant) as uow:
            uow.subscriptions.save(first)
            uow.commit()
        assert first.version == FIRST_VERSION + 1
        with uow_factory(tenant) as uow, pytest.raises(StaleVersion):
            uow.subscriptions.save(second)
        with uow_factory(tenant) as uow:
            assert uow.subscriptions.get(sub.id) == first

    def test_seats_insert_then_update(self, uow_factory: UowFactory, tenant: TenantId) -> None:
        sub = subscription(tenant)
        with uow_factory(tenant) as uow:
            assert uow.subscriptions.seats(sub.id, MARCH.start) is None
            seats = SeatAllocations(tenant_id=tenant, subscription_id=sub.id, period=MARCH)
            seats.take(UserId(new_uuid()), 2)
            uow.subscriptions.save_seats(seats)
            uow.commit()
        assert seats.version == 1
        with uow_factory(tenant) as uow:
            duplicate = SeatAllocations(tenant_id=tenant, subscription_id=sub.id, period=MARCH)
            with pytest.raises(AlreadyExists):
                uow.subscriptions.save_seats(duplicate)
        with uow_factory(tenant) as uow:
            loaded = uow.subscriptions.seats(sub.id, MARCH.start)
        assert loaded == seats
        loaded.take(UserId(new_uuid()), 2)
        with uow_factory(tenant) as uow:
            uow.subscriptions.save_seats(loaded)
            uow.commit()
        with uow_factory(tenant) as uow, pytest.raises(StaleVersion):
            uow.subscriptions.save_seats(seats)
        with uow_factory(TenantId(new_uuid())) as uow:
            assert uow.subscriptions.seats(sub.id, MARCH.start) is None
        with uow_factory(tenant) as uow:
            assert uow.subscriptions.seats(sub.id, MARCH.start) == loaded
