"""The ledger model on its own: periods, the rules of each command, and properties."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from travelcore.kernel import (
    Conflict,
    RuleViolation,
    TenantId,
    TravelcoreError,
    UserId,
    ValidationFailed,
    from_data,
    new_uuid,
    to_data,
)
from travelcore.ledger import (
    BillingPeriod,
    CreditBalance,
    EntryType,
    Hold,
    HoldStatus,
    LedgerEntry,
    PeriodClosed,
)

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
MARCH = BillingPeriod(date(2026, 3, 1), date(2026, 4, 1))


def fresh(credits: int = 0) -> CreditBalance:
    balance = CreditBalance.open(TenantId(new_uuid()), UserId(new_uuid()), MARCH, T0)
    if credits:
        balance.allocate(credits, T0)
    return balance


class TestBillingPeriod:
    @given(
        day=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)),
        cycle_day=st.integers(min_value=1, max_value=28),
    )
    @settings(max_examples=300)
    def test_the_period_containing_a_day(self, day: date, cycle_day: int) -> None:
        period = BillingPeriod.containing(day, cycle_day)
        assert period.contains(day)
        assert period.start.day == cycle_day == period.end.day
        assert 28 <= (period.end - period.start).days <= 31
        assert BillingPeriod.containing(period.end, cycle_day).start == period.end

    @pytest.mark.parametrize("cycle_day", [0, 29, True, "1"])
    def test_cycle_day_is_1_to_28(self, cycle_day: Any) -> None:
        with pytest.raises(ValidationFailed) as err:
            BillingPeriod.containing(date(2026, 3, 2), cycle_day)
        assert (err.value.field, err.value.rule) == ("billing_cycle_day", "between_1_and_28")

    def test_end_after_start(self) -> None:
        with pytest.raises(ValidationFailed) as err:
            BillingPeriod(date(2026, 3, 1), date(2026, 3, 1))
        assert err.value.field == "period_end"


class TestRules:
    def test_expiry_waits_for_the_period_end_and_happens_once(self) -> None:
        balance = fresh(10)
        with pytest.raises(RuleViolation):
            balance.expire(MARCH.ends_at - timedelta(seconds=1))
        entry = balance.expire(MARCH.ends_at)
        assert entry is not None
        assert (entry.entry_type, entry.amount, balance.balance) == (EntryType.EXPIRY, -10, 0)
        assert balance.expire(MARCH.ends_at + timedelta(days=3)) is None
        assert balance.expired == 10

    def test_closed_period_takes_nothing(self) -> None:
        balance = fresh(10)
        booking = new_uuid()
        balance.debit(booking, 4, T0)
        balance.expire(MARCH.ends_at)
        later = MARCH.ends_at + timedelta(hours=1)
        with pytest.raises(PeriodClosed):
            balance.allocate(5, later)
        with pytest.raises(PeriodClosed):
            balance.refund(booking, later)
        with pytest.raises(PeriodClosed):
            balance.adjust(5, later, actor="a", reason="r")

    def test_warning_only_inside_the_lead_and_once(self) -> None:
        balance = fresh(10)
        lead = timedelta(days=7)
        assert not balance.warn_of_expiry(MARCH.ends_at - lead - timedelta(seconds=1), lead)
        assert balance.warn_of_expiry(MARCH.ends_at - lead, lead)
        assert not balance.warn_of_expiry(MARCH.ends_at - timedelta(days=1), lead)
        assert balance.expiry_warning_sent_at == MARCH.ends_at - lead

    def test_hold_per_booking_is_unique(self) -> None:
        balance = fresh(10)
        booking = new_uuid()
        balance.place_hold(booking, 2, T0, timedelta(hours=1))
        with pytest.raises(TravelcoreError):
            balance.place_hold(booking, 2, T0, timedelta(hours=1))

    def test_a_held_booking_is_not_debited_directly(self) -> None:
        balance = fresh(10)
        booking = new_uuid()
        balance.place_hold(booking, 2, T0, timedelta(hours=1))
        with pytest.raises(Conflict):
            balance.debit(booking, 2, T0)
        assert balance.entries[-1].entry_type is EntryType.ALLOCATION

    def test_results_survive_serialization(self) -> None:
        balance = fresh(10)
        hold = balance.place_hold(new_uuid(), 2, T0, timedelta(hours=1))
        entry = balance.capture_hold(hold.id, T0, idempotency_key="k")
        assert from_data(to_data(entry), LedgerEntry) == entry
        captured = balance.hold(hold.id)
        assert from_data(to_data(captured), Hold) == captured


# -- properties over random command sequences ---------------------------------------------

operations = st.lists(
    st.one_of(
        st.tuples(st.just("allocate"), st.integers(-2, 50)),
        st.tuples(st.just("debit"), st.integers(-2, 50)),
        st.tuples(st.just("hold"), st.integers(-2, 50)),
        st.tuples(st.just("capture"), st.integers(0, 20)),
        st.tuples(st.just("void"), st.integers(0, 20)),
        st.tuples(st.just("refund"), st.integers(-2, 30)),
        st.tuples(st.just("full_refund"), st.integers(0, 20)),
        st.tuples(st.just("forfeit"), st.integers(0, 20)),
        st.tuples(st.just("adjust"), st.integers(-30, 30)),
        st.tuples(st.just("reverse"), st.integers(0, 20)),
        st.tuples(st.just("tick"), st.integers(1, 200)),
        st.tuples(st.just("expire"), st.integers(0, 1)),
    ),
    max_size=40,
)


def apply(balance: CreditBalance, op: str, n: int, at: datetime, bookings: list[UUID]) -> None:
    def pick(items: list[Any]) -> Any:
        return items[n % len(items)] if items else new_uuid()

    if op == "allocate":
        balance.allocate(n, at)
    elif op == "debit":
        booking = new_uuid()
        balance.debit(booking, n, at)
        bookings.append(booking)
    elif op == "hold":
        booking = new_uuid()
        balance.place_hold(booking, n, at, timedelta(hours=24))
        bookings.append(booking)
    elif op == "capture":
        balance.capture_hold(pick([h.id for h in balance.holds]), at)
    elif op == "void":
        balance.void_hold(pick([h.id for h in balance.holds]), at)
    elif op == "refund":
        balance.refund(pick(bookings), at, credits=n, partial=True)
    elif op == "full_refund":
        balance.refund(pick(bookings), at)
    elif op == "forfeit":
        balance.forfeit(pick(bookings), at, actor="venue", reason="no-show")
    elif op == "adjust":
        balance.adjust(n, at, actor="admin", reason="fix")
    elif op == "reverse":
        balance.reverse(pick([e.id for e in balance.entries]), at, actor="admin", reason="undo")
    elif op == "expire":
        balance.expire_holds(at) if n else balance.expire(at)


def check(balance: CreditBalance) -> None:
    running = 0
    for n, entry in enumerate(balance.entries, start=1):
        running += entry.amount
        assert (entry.sequence, entry.balance_after) == (n, running)
    assert balance.balance == running >= 0
    assert 0 <= balance.held <= balance.balance
    assert balance.available >= 0
    for booking in {e.booking_id for e in balance.entries if e.booking_id}:
        assert 0 <= balance.refunded_for(booking) <= balance.debited_for(booking)
    assert sum(e.entry_type is EntryType.EXPIRY for e in balance.entries) <= 1
    assert (
        balance.allocated
        - balance.used
        + balance.refunded
        - balance.expired
        + sum(e.amount for e in balance.entries if e.entry_type is EntryType.ADJUSTMENT)
        == balance.balance
    )


@given(ops=operations)
@settings(max_examples=400)
def test_every_sequence_keeps_the_invariants(ops: list[tuple[str, int]]) -> None:
    balance = fresh()
    at = T0
    bookings: list[UUID] = []
    for op, n in ops:
        if op == "tick":
            at += timedelta(hours=n)
            continue
        before = copy.deepcopy((balance.entries, balance.holds, balance.expiry_warning_sent_at))
        try:
            apply(balance, op, n, at, bookings)
        except TravelcoreError:
            after = (balance.entries, balance.holds, balance.expiry_warning_sent_at)
            assert after == before, f"{op}({n}) failed but changed the balance"
        else:
            assert balance.entries[: len(before[0])] == before[0]
        check(balance)
        assert all(
            h.status is not HoldStatus.ACTIVE or h.resolved_at is None for h in balance.holds
        )
