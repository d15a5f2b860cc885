"""A stateful test that drives :class:`LedgerService` through random sequences of commands,
jobs, clock moves and replays, and checks every ledger invariant after each step.

It talks only to the service and the ports, so any adapter can run it::

    TestLedgerOnMyAdapter = ledger_machine(lambda: my_database_factory).TestCase

where the factory returns a ``tenant_id -> unit of work`` callable (each machine run uses
a fresh tenant, so one database can serve every run).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar
from uuid import UUID

import attrs
from hypothesis import event
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from travelcore.kernel import (
    IdempotencyConflict,
    ManualClock,
    Money,
    StaticPolicies,
    TenantId,
    TravelcoreError,
    UnitOfWorkBase,
    UserId,
    new_uuid,
)
from travelcore.ledger.model import (
    REFUND_TYPES,
    BalanceId,
    BillingPeriod,
    CreditBalance,
    EntryId,
    EntryType,
    ExpiryWarningDue,
    HoldStatus,
    LedgerEntry,
)
from travelcore.ledger.ports import LedgerUnitOfWork
from travelcore.ledger.service import (
    Adjust,
    AllocateCredits,
    AllocatePeriodCredits,
    CaptureHold,
    CreateSubscription,
    Debit,
    Forfeit,
    LedgerService,
    PlaceHold,
    Refund,
    Reverse,
    VoidHold,
)
from travelcore.ledger.subscription import CorporateId, SubscriptionTier
from travelcore.testing.actors import admin, job

UowFactory = Callable[[TenantId], LedgerUnitOfWork]
DatabaseFactory = Callable[[], UowFactory]

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
COVERED_EMPLOYEES = 2
index = st.integers(min_value=0, max_value=1_000)


@attrs.frozen
class Snapshot:
    """Everything a command could change, read through the ports."""

    balances: dict[BalanceId, tuple[Any, ...]]
    current: tuple[BalanceId | None, ...]
    seats: Any


class LedgerMachine(RuleBasedStateMachine):
    """Subclass with ``database_factory`` set (see :func:`ledger_machine`)."""

    database_factory: ClassVar[DatabaseFactory]

    def __init__(self) -> None:
        super().__init__()
        inner = type(self).database_factory()
        self.opened: list[LedgerUnitOfWork] = []

        def factory(tenant_id: TenantId) -> LedgerUnitOfWork:
            uow = inner(tenant_id)
            self.opened.append(uow)
            return uow

        self.uow_factory = factory
        self.clock = ManualClock(START)
        self.policies = StaticPolicies()
        self.lead = self.policies.policy_for(TenantId(new_uuid())).credit_expiry_warning
        self.service = LedgerService(factory, self.clock, policies=self.policies)
        self.tenant = TenantId(new_uuid())
        self.users = [UserId(new_uuid()) for _ in range(COVERED_EMPLOYEES + 1)]
        self.balance_ids: list[BalanceId] = []
        self.holds: list[tuple[BalanceId, Any]] = []
        self.bookings: list[tuple[BalanceId, UUID]] = []
        self.done: list[tuple[Callable[[Any], Any], Any, Any]] = []
        self.seen_entries: dict[BalanceId, list[LedgerEntry]] = {}
        self.warned_at: dict[BalanceId, datetime] = {}
        self.warning_events: Counter[BalanceId] = Counter()
        self.keys = 0
        self.subscription_id: Any = None

    # -- helpers ---------------------------------------------------------------------------

    def key(self) -> str:
        self.keys += 1
        return f"key-{self.keys}"

    def load(self, balance_id: BalanceId) -> CreditBalance:
        with self.uow_factory(self.tenant) as uow:
            return uow.credits.get(balance_id)

    def snapshot(self) -> Snapshot:
        today = self.clock.now().date()
        with self.uow_factory(self.tenant) as uow:
            balances = {}
            for balance_id in self.balance_ids:
                b = uow.credits.get(balance_id)
                balances[balance_id] = (
                    list(b.entries),
                    list(b.holds),
                    b.expiry_warning_sent_at,
                    b.version,
                )
            found = [uow.credits.find(user, today) for user in self.users]
            current = tuple(None if f is None else f.id for f in found)
            seats = None
            if self.subscription_id is not None:
                period_start = self.subscription_period_start(today)
                seats = uow.subscriptions.seats(self.subscription_id, period_start)
        return Snapshot(balances, current, seats)

    def subscription_period_start(self, day: date) -> date:
        return date(day.year, day.month, 1)

    def attempt(self, call: Callable[..., Any], cmd: Any) -> Any:
        """Run ``cmd``; if refused, check that nothing changed and its key is not spent."""
        before = self.snapshot()
        try:
            result = call(cmd, actor=admin(cmd.tenant_id))
        except TravelcoreError:
            assert self.snapshot() == before, f"{cmd!r} was refused but changed state"
            with self.uow_factory(self.tenant) as uow:
                assert uow.idempotency.get(cmd.idempotency_key) is None
            return None
        self.done.append((call, cmd, result))
        balance_id = getattr(result, "balance_id", None)
        if balance_id is not None and balance_id not in self.balance_ids:
            self.balance_ids.append(balance_id)
        return result

    def books_of(self, booking_id: UUID) -> list[CreditBalance]:
        """Every known balance with an entry about the booking."""
        balances = (self.load(i) for i in self.balance_ids)
        return [b for b in balances if any(e.booking_id == booking_id for e in b.entries)]

    def is_open(self, b: CreditBalance) -> bool:
        return not b.is_closed and self.clock.now() < b.ends_at

    def pick(self, items: list[Any], i: int) -> Any:
        return items[i % len(items)]

    # -- rules -----------------------------------------------------------------------------

    @initialize()
    def start(self) -> None:
        subscription = self.service.create_subscription(
            CreateSubscription(
                tenant_id=self.tenant,
                corporate_id=CorporateId(new_uuid()),
                tier=SubscriptionTier.STANDARD,
                covered_employees=COVERED_EMPLOYEES,
                credits_per_employee=30,
                monthly_cost=Money.of("100", "EUR"),
                start_date=START.date(),
                idempotency_key=self.key(),
            ),
            actor=admin(self.tenant),
        )
        self.subscription_id = subscription.id
        self.allocate_period(0)

    @rule(user=index)
    def allocate_period(self, user: int) -> None:
        self.attempt(
            self.service.allocate_period_credits,
            AllocatePeriodCredits(
                tenant_id=self.tenant,
                subscription_id=self.subscription_id,
                user_id=self.pick(self.users, user),
                day=self.clock.now().date(),
                idempotency_key=self.key(),
            ),
        )

    @rule(user=index, credits=st.integers(min_value=-2, max_value=60))
    def allocate(self, user: int, credits: int) -> None:
        self.attempt(
            self.service.allocate_credits,
            AllocateCredits(
                tenant_id=self.tenant,
                user_id=self.pick(self.users, user),
                day=self.clock.now().date(),
                credits=credits,
                idempotency_key=self.key(),
            ),
        )

    @precondition(lambda self: self.balance_ids)
    @rule(
        balance=index,
        booking=st.one_of(st.none(), index),
        credits=st.integers(min_value=-1, max_value=25),
    )
    def place_hold(self, balance: int, booking: int | None, credits: int) -> None:
        balance_id = self.pick(self.balance_ids, balance)
        booking_id = new_uuid() if booking is None or not self.bookings else None
        if booking_id is None:
            balance_id, booking_id = self.pick(self.bookings, booking or 0)
        hold = self.attempt(
            self.service.place_hold,
            PlaceHold(
                tenant_id=self.tenant,
                balance_id=balance_id,
                booking_id=booking_id,
                credits=credits,
                idempotency_key=self.key(),
            ),
        )
        if hold is not None:
            self.holds.append((balance_id, hold.id))
            self.bookings.append((balance_id, booking_id))

    @precondition(lambda self: self.holds)
    @rule(hold=index)
    def capture_hold(self, hold: int) -> None:
        balance_id, hold_id = self.pick(self.holds, hold)
        self.attempt(
            self.service.capture_hold,
            CaptureHold(
                tenant_id=self.tenant,
                balance_id=balance_id,
                hold_id=hold_id,
                idempotency_key=self.key(),
            ),
        )

    @precondition(lambda self: self.holds)
    @rule(hold=index)
    def void_hold(self, hold: int) -> None:
        balance_id, hold_id = self.pick(self.holds, hold)
        self.attempt(
            self.service.void_hold,
            VoidHold(
                tenant_id=self.tenant,
                balance_id=balance_id,
                hold_id=hold_id,
                idempotency_key=self.key(),
            ),
        )

    @precondition(lambda self: self.balance_ids)
    @rule(balance=index, credits=st.integers(min_value=-1, max_value=25))
    def debit(self, balance: int, credits: int) -> None:
        balance_id, booking_id = self.pick(self.balance_ids, balance), new_uuid()
        b = self.load(balance_id)
        expected = self.is_open(b) and 0 < credits <= b.available
        entry = self.attempt(
            self.service.debit,
            Debit(
                tenant_id=self.tenant,
                balance_id=balance_id,
                booking_id=booking_id,
                credits=credits,
                idempotency_key=self.key(),
            ),
        )
        assert (entry is not None) == expected, (credits, b.available)
        if entry is not None:
            self.bookings.append((balance_id, booking_id))

    @precondition(lambda self: self.bookings)
    @rule(booking=index, offset=st.one_of(st.none(), st.integers(min_value=-6, max_value=3)))
    def refund(self, booking: int, offset: int | None) -> None:
        """A full refund (``offset=None``) or a partial one of ``refundable + offset``. Once
        the debit's period has closed (a venue cancelling late), it goes to the user's current
        period, capped by what the booking debited across periods."""
        balance_id, booking_id = self.pick(self.bookings, booking)
        b = self.load(balance_id)
        books = self.books_of(booking_id)
        refundable = sum(x.net_debit_for(booking_id) for x in books)
        credits = None if offset is None else refundable + offset
        forfeited = any(
            e.booking_id == booking_id and e.entry_type is EntryType.FORFEIT
            for x in books
            for e in x.entries
        )
        expected = (
            not forfeited and refundable > 0 and (credits is None or 0 < credits <= refundable)
        )
        entry = self.attempt(
            self.service.refund,
            Refund(
                tenant_id=self.tenant,
                balance_id=balance_id,
                booking_id=booking_id,
                credits=credits,
                reason="cancelled",
                idempotency_key=self.key(),
            ),
        )
        assert (entry is not None) == expected, (refundable, credits, forfeited)
        if entry is not None:
            assert entry.amount == (refundable if credits is None else credits)
            target = self.load(entry.balance_id)
            if self.is_open(b):
                assert target.id == balance_id
            else:  # credited to the current period of the same user
                event("late refund")
                assert target.user_id == b.user_id
                assert target.period.contains(self.clock.now().date())

    @precondition(lambda self: self.bookings)
    @rule(booking=index)
    def forfeit(self, booking: int) -> None:
        balance_id, booking_id = self.pick(self.bookings, booking)
        self.attempt(
            self.service.forfeit,
            Forfeit(
                tenant_id=self.tenant,
                balance_id=balance_id,
                booking_id=booking_id,
                reason="no-show",
                idempotency_key=self.key(),
            ),
        )

    @precondition(lambda self: self.balance_ids)
    @rule(
        balance=index,
        credits=st.integers(min_value=-40, max_value=40),
    )
    def adjust(self, balance: int, credits: int) -> None:
        self.attempt(
            self.service.adjust,
            Adjust(
                tenant_id=self.tenant,
                balance_id=self.pick(self.balance_ids, balance),
                credits=credits,
                reason="correction",
                idempotency_key=self.key(),
            ),
        )

    @precondition(lambda self: self.balance_ids)
    @rule(balance=index, entry=index)
    def reverse(self, balance: int, entry: int) -> None:
        balance_id = self.pick(self.balance_ids, balance)
        entries = self.load(balance_id).entries
        entry_id = self.pick(entries, entry).id if entries else EntryId(new_uuid())
        self.attempt(
            self.service.reverse,
            Reverse(
                tenant_id=self.tenant,
                balance_id=balance_id,
                entry_id=entry_id,
                reason="undo",
                idempotency_key=self.key(),
            ),
        )

    @rule(hours=st.one_of(st.integers(min_value=1, max_value=30), st.integers(120, 290)))
    def advance_clock_and_expire_holds(self, hours: int) -> None:
        self.clock.advance(timedelta(hours=hours))
        self.service.expire_holds(self.tenant, actor=job(self.tenant))
        for balance_id in self.balance_ids:
            now = self.clock.now()
            assert not any(
                h.status is HoldStatus.ACTIVE and h.expires_at <= now
                for h in self.load(balance_id).holds
            )

    @rule(hours=st.integers(min_value=0, max_value=47))
    def cross_a_period_end(self, hours: int) -> None:
        """Move to just after the current billing period's end (late venue cancellations)."""
        period = BillingPeriod.containing(self.clock.now().date(), 1)
        self.clock.set(period.ends_at + timedelta(hours=hours))

    @rule()
    def close_periods(self) -> None:
        self.service.close_periods(self.tenant, actor=job(self.tenant))
        now = self.clock.now()
        for balance_id in self.balance_ids:
            balance = self.load(balance_id)
            assert balance.is_closed == (now >= balance.ends_at)
        assert self.service.close_periods(self.tenant, actor=job(self.tenant)) == 0

    @rule()
    def send_expiry_warnings(self) -> None:
        self.service.send_expiry_warnings(self.tenant, actor=job(self.tenant))
        assert self.service.send_expiry_warnings(self.tenant, actor=job(self.tenant)) == 0

    @precondition(lambda self: self.done)
    @rule(which=index)
    def replay_same_request(self, which: int) -> None:
        call, cmd, result = self.pick(self.done, which)
        before = self.snapshot()
        assert call(cmd, actor=admin(cmd.tenant_id)) == result
        assert self.snapshot() == before

    @precondition(lambda self: self.done)
    @rule(which=index)
    def replay_key_with_another_request(self, which: int) -> None:
        _, cmd, _ = self.pick(self.done, which)
        before = self.snapshot()
        other = Adjust(
            tenant_id=self.tenant,
            balance_id=self.balance_ids[0],
            credits=1,
            reason=f"not the original request {self.key()}",
            idempotency_key=cmd.idempotency_key,
        )
        try:
            self.service.adjust(other, actor=admin(other.tenant_id))
        except IdempotencyConflict:
            pass
        else:
            raise AssertionError("a reused key with another request was accepted")
        assert self.snapshot() == before

    # -- invariants ------------------------------------------------------------------------

    def collect_events(self) -> None:
        for uow in self.opened:
            if isinstance(uow, UnitOfWorkBase):
                for event in uow.committed_events:
                    if isinstance(event, ExpiryWarningDue):
                        self.warning_events[event.balance_id] += 1
                uow.committed_events = []
        self.opened.clear()
        assert all(n == 1 for n in self.warning_events.values())

    @invariant()
    def ledgers_hold(self) -> None:
        self.collect_events()
        balances = [self.load(balance_id) for balance_id in self.balance_ids]
        for balance in balances:
            self.check_balance(balance)
        # refunds per booking, across the periods that took them, never exceed its debit
        debited: Counter[UUID] = Counter()
        refunded: Counter[UUID] = Counter()
        for balance in balances:
            for e in balance.entries:
                if e.booking_id is not None and e.entry_type is EntryType.BOOKING_DEBIT:
                    debited[e.booking_id] -= e.amount
                elif e.booking_id is not None and e.entry_type in REFUND_TYPES:
                    refunded[e.booking_id] += e.amount
        for booking in debited | refunded:
            assert 0 <= refunded[booking] <= debited[booking], booking

    def check_balance(self, b: CreditBalance) -> None:
        running = 0
        for n, entry in enumerate(b.entries, start=1):
            running += entry.amount
            assert entry.sequence == n
            assert entry.balance_after == running, "balance_after chains from 0"
            assert entry.balance_after >= 0
        assert b.balance == sum(e.amount for e in b.entries)
        assert b.held == sum(h.credits for h in b.holds if h.status is HoldStatus.ACTIVE)
        assert b.available >= 0
        assert b.held >= 0
        # the ledger only grows
        seen = self.seen_entries.get(b.id, [])
        assert b.entries[: len(seen)] == seen
        self.seen_entries[b.id] = list(b.entries)
        # expiry: once, after the period's end, equal to what was left, nothing after
        expiries = [i for i, e in enumerate(b.entries) if e.entry_type is EntryType.EXPIRY]
        assert len(expiries) <= 1
        if expiries:
            i = expiries[0]
            left = b.entries[i - 1].balance_after if i else 0
            expiry = b.entries[i]
            assert expiry.amount == -left
            assert expiry.balance_after == 0
            assert expiry.created_at >= b.ends_at
            assert b.held == 0
            assert all(e.amount == 0 for e in b.entries[i + 1 :])
        late = {EntryType.EXPIRY, EntryType.BOOKING_DEBIT, EntryType.FORFEIT}
        for entry in b.entries:
            if entry.entry_type not in late:
                assert entry.created_at < b.ends_at, "nothing new after the end"
            if entry.entry_type is EntryType.BOOKING_DEBIT and entry.created_at >= b.ends_at:
                assert any(h.booking_id == entry.booking_id for h in b.holds), "only captures"
        # the warning: once, never before end - lead, never changed
        if b.expiry_warning_sent_at is not None:
            assert b.expiry_warning_sent_at >= b.ends_at - self.lead
            first = self.warned_at.setdefault(b.id, b.expiry_warning_sent_at)
            assert first == b.expiry_warning_sent_at
            assert self.warning_events[b.id] == 1
        else:
            assert b.id not in self.warned_at
            assert self.warning_events[b.id] == 0


def ledger_machine(database_factory: DatabaseFactory) -> type[LedgerMachine]:
    """A :class:`LedgerMachine` running on the back end ``database_factory`` makes."""
    return type(
        "LedgerMachineOn",
        (LedgerMachine,),
        {"database_factory": staticmethod(database_factory)},
    )
