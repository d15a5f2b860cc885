"""LedgerService: every command, job and query, its rules and its refusals."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import attrs
import pytest

from tests.ledger.conftest import Ledger
from travelcore.kernel import (
    CapacityExceeded,
    Conflict,
    IdempotencyConflict,
    InsufficientCredits,
    InvalidTransition,
    NotFound,
    RuleViolation,
    TenantId,
    UserId,
    ValidationFailed,
    new_uuid,
)
from travelcore.ledger import (
    Adjust,
    AllocateCredits,
    AllocatePeriodCredits,
    BalanceId,
    BalanceView,
    CaptureHold,
    CorporateId,
    CreateSubscription,
    Debit,
    EntryPosted,
    EntryType,
    ExpiryWarningDue,
    Forfeit,
    HoldChanged,
    HoldExpired,
    HoldStatus,
    PeriodClosed,
    PlaceHold,
    Refund,
    RefundExceedsDebit,
    Reverse,
    SubscriptionId,
    SubscriptionTier,
    VoidHold,
)
from travelcore.testing.actors import admin, job


def view(ledger: Ledger, balance_id: BalanceId) -> BalanceView:
    return ledger.service.balance(ledger.tenant, balance_id, actor=admin(ledger.tenant))


def refused(ledger: Ledger, balance_id: BalanceId, call: Any, error: type[Exception]) -> Any:
    """Run ``call``, expect ``error``, and check nothing was written or announced."""
    before = view(ledger, balance_id)
    published = len(ledger.bus.published)
    with pytest.raises(error) as err:
        call()
    assert view(ledger, balance_id) == before
    assert len(ledger.bus.published) == published
    return err.value


def debit(ledger: Ledger, balance_id: BalanceId, credits: int, booking: Any = None) -> Any:
    return ledger.service.debit(
        Debit(
            tenant_id=ledger.tenant,
            balance_id=balance_id,
            booking_id=booking or new_uuid(),
            credits=credits,
            idempotency_key=ledger.key(),
        ),
        actor=admin(ledger.tenant),
    )


def hold(ledger: Ledger, balance_id: BalanceId, credits: int) -> Any:
    return ledger.service.place_hold(
        PlaceHold(
            tenant_id=ledger.tenant,
            balance_id=balance_id,
            booking_id=new_uuid(),
            credits=credits,
            idempotency_key=ledger.key(),
        ),
        actor=admin(ledger.tenant),
    )


class TestPeriodAllocation:
    def test_opens_the_period_balance_and_allocates_per_employee(self, ledger: Ledger) -> None:
        sub = ledger.subscription(covered=2, credits=40)
        user = UserId(new_uuid())
        entry = ledger.service.allocate_period_credits(
            AllocatePeriodCredits(
                tenant_id=ledger.tenant,
                subscription_id=sub.id,
                user_id=user,
                day=date(2026, 3, 2),
                idempotency_key="march",
            ),
            actor=admin(ledger.tenant),
        )
        assert (entry.entry_type, entry.amount, entry.balance_after) == (
            EntryType.ALLOCATION,
            40,
            40,
        )
        found = ledger.service.balance_for(
            ledger.tenant, user, date(2026, 3, 31), actor=admin(ledger.tenant)
        )
        assert found is not None
        assert found.balance_id == entry.balance_id
        assert (found.period.start, found.period.end) == (date(2026, 3, 1), date(2026, 4, 1))
        assert (
            ledger.service.balance_for(
                ledger.tenant, user, date(2026, 4, 1), actor=admin(ledger.tenant)
            )
            is None
        )

    def test_period_follows_the_billing_cycle_day(self, ledger: Ledger) -> None:
        sub = ledger.service.create_subscription(
            CreateSubscription(
                tenant_id=ledger.tenant,
                corporate_id=CorporateId(new_uuid()),
                tier=SubscriptionTier.ENTERPRISE,
                covered_employees=5,
                credits_per_employee=10,
                monthly_cost=ledger.subscription().monthly_cost,
                start_date=date(2026, 1, 1),
                billing_cycle_day=15,
                idempotency_key="cycle-15",
            ),
            actor=admin(ledger.tenant),
        )
        entry = ledger.service.allocate_period_credits(
            AllocatePeriodCredits(
                tenant_id=ledger.tenant,
                subscription_id=sub.id,
                user_id=UserId(new_uuid()),
                day=date(2026, 3, 2),
                idempotency_key="cycle",
            ),
            actor=admin(ledger.tenant),
        )
        period = view(ledger, entry.balance_id).period
        assert (period.start, period.end) == (date(2026, 2, 15), date(2026, 3, 15))

    def test_refuses_more_employees_than_covered(self, ledger: Ledger) -> None:
        sub = ledger.subscription(covered=2)
        users = [UserId(new_uuid()) for _ in range(3)]

        def allocate(user: UserId) -> Any:
            return ledger.service.allocate_period_credits(
                AllocatePeriodCredits(
                    tenant_id=ledger.tenant,
                    subscription_id=sub.id,
                    user_id=user,
                    day=date(2026, 3, 2),
                    idempotency_key=ledger.key(),
                ),
                actor=admin(ledger.tenant),
            )

        allocate(users[0])
        allocate(users[1])
        with pytest.raises(CapacityExceeded):
            allocate(users[2])
        assert (
            ledger.service.balance_for(
                ledger.tenant, users[2], date(2026, 3, 2), actor=admin(ledger.tenant)
            )
            is None
        )
        with pytest.raises(Conflict):
            allocate(users[0])
        march = ledger.service.balance_for(
            ledger.tenant, users[0], date(2026, 3, 2), actor=admin(ledger.tenant)
        )
        assert march is not None
        assert march.allocated == 40
        ledger.clock.set(datetime(2026, 4, 2, tzinfo=UTC))
        april = ledger.service.allocate_period_credits(
            AllocatePeriodCredits(
                tenant_id=ledger.tenant,
                subscription_id=sub.id,
                user_id=users[2],
                day=date(2026, 4, 2),
                idempotency_key=ledger.key(),
            ),
            actor=admin(ledger.tenant),
        )
        assert april.amount == 40

    def test_refuses_days_the_subscription_does_not_cover(self, ledger: Ledger) -> None:
        sub = ledger.subscription()
        cmd = AllocatePeriodCredits(
            tenant_id=ledger.tenant,
            subscription_id=sub.id,
            user_id=UserId(new_uuid()),
            day=date(2025, 12, 31),
            idempotency_key="early",
        )
        with pytest.raises(RuleViolation):
            ledger.service.allocate_period_credits(cmd, actor=admin(cmd.tenant_id))
        missing = AllocatePeriodCredits(
            tenant_id=ledger.tenant,
            subscription_id=SubscriptionId(new_uuid()),
            user_id=UserId(new_uuid()),
            day=date(2026, 3, 2),
            idempotency_key="missing",
        )
        with pytest.raises(NotFound):
            ledger.service.allocate_period_credits(missing, actor=admin(missing.tenant_id))

    def test_bad_subscription_input_names_the_field(self, ledger: Ledger) -> None:
        with pytest.raises(ValidationFailed) as err:
            ledger.service.create_subscription(
                CreateSubscription(
                    tenant_id=ledger.tenant,
                    corporate_id=CorporateId(new_uuid()),
                    tier=SubscriptionTier.BASIC,
                    covered_employees=0,
                    credits_per_employee=10,
                    monthly_cost=ledger.subscription().monthly_cost,
                    start_date=date(2026, 1, 1),
                    idempotency_key="bad",
                ),
                actor=admin(ledger.tenant),
            )
        assert (err.value.field, err.value.rule) == ("covered_employees", "positive")


class TestDirectAllocation:
    @pytest.mark.parametrize("credits", [0, -5, True])
    def test_refuses_non_positive_credits(self, ledger: Ledger, credits: int) -> None:
        user = UserId(new_uuid())
        with pytest.raises(ValidationFailed) as err:
            ledger.service.allocate_credits(
                AllocateCredits(
                    tenant_id=ledger.tenant,
                    user_id=user,
                    day=date(2026, 3, 2),
                    credits=credits,
                    idempotency_key="bad",
                ),
                actor=admin(ledger.tenant),
            )
        assert err.value.field == "credits"
        assert (
            ledger.service.balance_for(
                ledger.tenant, user, date(2026, 3, 2), actor=admin(ledger.tenant)
            )
            is None
        )

    def test_refuses_a_bad_cycle_day(self, ledger: Ledger) -> None:
        with pytest.raises(ValidationFailed) as err:
            ledger.service.allocate_credits(
                AllocateCredits(
                    tenant_id=ledger.tenant,
                    user_id=UserId(new_uuid()),
                    day=date(2026, 3, 2),
                    credits=5,
                    billing_cycle_day=29,
                    idempotency_key="bad",
                ),
                actor=admin(ledger.tenant),
            )
        assert (err.value.field, err.value.rule) == ("billing_cycle_day", "between_1_and_28")

    def test_second_allocation_tops_up_the_same_balance(self, ledger: Ledger) -> None:
        user = UserId(new_uuid())
        first = ledger.funded(10, user)
        second = ledger.funded(15, user)
        assert first == second
        assert view(ledger, first).allocated == 25


class TestHolds:
    def test_hold_then_capture(self, ledger: Ledger) -> None:
        balance_id = ledger.funded(50)
        placed = hold(ledger, balance_id, 20)
        assert placed.expires_at == ledger.clock.now() + timedelta(hours=24)
        assert (view(ledger, balance_id).held, view(ledger, balance_id).available) == (20, 30)
        entry = ledger.service.capture_hold(
            CaptureHold(
                tenant_id=ledger.tenant,
                balance_id=balance_id,
                hold_id=placed.id,
                idempotency_key="capture",
            ),
            actor=admin(ledger.tenant),
        )
        assert (entry.entry_type, entry.amount, entry.booking_id) == (
            EntryType.BOOKING_DEBIT,
            -20,
            placed.booking_id,
        )
        after = view(ledger, balance_id)
        assert (after.balance, after.held, after.available, after.used) == (30, 0, 30, 20)

    def test_timeout_is_a_tenant_policy(self, ledger: Ledger) -> None:
        ledger.policies.override(ledger.tenant, {"credit_hold_timeout": 7200})
        placed = hold(ledger, ledger.funded(50), 5)
        assert placed.expires_at == ledger.clock.now() + timedelta(hours=2)

    def test_cannot_hold_more_than_available(self, ledger: Ledger) -> None:
        balance_id = ledger.funded(10)
        hold(ledger, balance_id, 8)
        refused(ledger, balance_id, lambda: hold(ledger, balance_id, 3), InsufficientCredits)

    def test_void_releases_and_only_once(self, ledger: Ledger) -> None:
        balance_id = ledger.funded(10)
        placed = hold(ledger, balance_id, 8)

        def void() -> Any:
            return ledger.service.void_hold(
                VoidHold(
                    tenant_id=ledger.tenant,
                    balance_id=balance_id,
                    hold_id=placed.id,
                    idempotency_key=ledger.key(),
                ),
                actor=admin(ledger.tenant),
            )

        assert void().status is HoldStatus.VOIDED
        assert view(ledger, balance_id).available == 10
        refused(ledger, balance_id, void, InvalidTransition)

    def test_expired_hold_cannot_be_captured_and_the_sweep_releases_it(
        self, ledger: Ledger
    ) -> None:
        balance_id = ledger.funded(10)
        placed = hold(ledger, balance_id, 8)
        ledger.clock.advance(timedelta(hours=24))
        capture = CaptureHold(
            tenant_id=ledger.tenant, balance_id=balance_id, hold_id=placed.id, idempotency_key="c"
        )
        refused(
            ledger,
            balance_id,
            lambda: ledger.service.capture_hold(capture, actor=admin(capture.tenant_id)),
            HoldExpired,
        )
        assert ledger.service.expire_holds(ledger.tenant, actor=job(ledger.tenant)) == 1
        assert ledger.service.expire_holds(ledger.tenant, actor=job(ledger.tenant)) == 0
        after = view(ledger, balance_id)
        assert after.holds[0].status is HoldStatus.EXPIRED
        assert after.available == 10
        expired = [e for e in ledger.bus.published if isinstance(e, HoldChanged)]
        assert [e.status for e in expired] == [HoldStatus.ACTIVE, HoldStatus.EXPIRED]


class TestDebitsRefundsForfeits:
    def test_debit_beyond_available_is_refused(self, ledger: Ledger) -> None:
        balance_id = ledger.funded(10)
        err = refused(ledger, balance_id, lambda: debit(ledger, balance_id, 11), Exception)
        assert isinstance(err, InsufficientCredits)

    @pytest.mark.parametrize("credits", [0, -1])
    def test_debit_needs_positive_credits(self, ledger: Ledger, credits: int) -> None:
        balance_id = ledger.funded(10)
        err = refused(ledger, balance_id, lambda: debit(ledger, balance_id, credits), Exception)
        assert isinstance(err, ValidationFailed)
        assert err.field == "credits"

    def test_full_and_partial_refunds_never_exceed_the_debit(self, ledger: Ledger) -> None:
        balance_id, booking = ledger.funded(50), new_uuid()
        debit(ledger, balance_id, 20, booking)

        def refund(credits: int | None) -> Any:
            return ledger.service.refund(
                Refund(
                    tenant_id=ledger.tenant,
                    balance_id=balance_id,
                    booking_id=booking,
                    credits=credits,
                    reason="venue cancelled",
                    idempotency_key=ledger.key(),
                ),
                actor=admin(ledger.tenant),
            )

        partial = refund(5)
        assert (partial.entry_type, partial.amount) == (EntryType.PARTIAL_REFUND, 5)
        err = refused(ledger, balance_id, lambda: refund(16), RefundExceedsDebit)
        assert err.details["refundable"] == 15
        full = refund(None)
        assert (full.entry_type, full.amount) == (EntryType.REFUND_CREDIT, 15)
        refused(ledger, balance_id, lambda: refund(None), Conflict)
        refused(ledger, balance_id, lambda: refund(1), RefundExceedsDebit)
        after = view(ledger, balance_id)
        assert (after.balance, after.used, after.refunded) == (50, 20, 20)

    def test_refund_of_an_unknown_booking_is_refused(self, ledger: Ledger) -> None:
        balance_id = ledger.funded(50)
        cmd = Refund(
            tenant_id=ledger.tenant,
            balance_id=balance_id,
            booking_id=new_uuid(),
            idempotency_key="r",
        )
        refused(
            ledger,
            balance_id,
            lambda: ledger.service.refund(cmd, actor=admin(cmd.tenant_id)),
            RuleViolation,
        )

    def test_forfeit_keeps_the_credits_and_blocks_refunds(self, ledger: Ledger) -> None:
        balance_id, booking = ledger.funded(50), new_uuid()
        debit(ledger, balance_id, 12, booking)
        forfeit = Forfeit(
            tenant_id=ledger.tenant,
            balance_id=balance_id,
            booking_id=booking,
            reason="no-show",
            idempotency_key="f",
        )
        entry = ledger.service.forfeit(forfeit, actor=admin(forfeit.tenant_id))
        assert (entry.entry_type, entry.amount) == (EntryType.FORFEIT, 0)
        assert entry.actor == admin(ledger.tenant).label
        assert view(ledger, balance_id).forfeited == 12
        again = attrs.evolve(forfeit, idempotency_key="f2")
        refused(
            ledger,
            balance_id,
            lambda: ledger.service.forfeit(again, actor=admin(again.tenant_id)),
            Conflict,
        )
        refund = Refund(
            tenant_id=ledger.tenant, balance_id=balance_id, booking_id=booking, idempotency_key="r"
        )
        refused(
            ledger,
            balance_id,
            lambda: ledger.service.refund(refund, actor=admin(refund.tenant_id)),
            RuleViolation,
        )


class TestAdjustments:
    def test_a_reason_is_required(self, ledger: Ledger) -> None:
        balance_id = ledger.funded(10)
        cmd = Adjust(
            tenant_id=ledger.tenant,
            balance_id=balance_id,
            credits=5,
            reason=" ",
            idempotency_key="a",
        )
        err = refused(
            ledger,
            balance_id,
            lambda: ledger.service.adjust(cmd, actor=admin(cmd.tenant_id)),
            ValidationFailed,
        )
        assert (err.field, err.rule) == ("reason", "non_empty")

    def test_zero_adjustment_is_refused(self, ledger: Ledger) -> None:
        balance_id = ledger.funded(10)
        cmd = Adjust(
            tenant_id=ledger.tenant,
            balance_id=balance_id,
            credits=0,
            reason="nothing",
            idempotency_key="a",
        )
        err = refused(
            ledger,
            balance_id,
            lambda: ledger.service.adjust(cmd, actor=admin(cmd.tenant_id)),
            ValidationFailed,
        )
        assert (err.field, err.rule) == ("credits", "non_zero_integer")

    def test_negative_adjustment_cannot_overdraw(self, ledger: Ledger) -> None:
        balance_id = ledger.funded(10)
        hold(ledger, balance_id, 6)
        cmd = Adjust(
            tenant_id=ledger.tenant,
            balance_id=balance_id,
            credits=-5,
            reason="correction",
            idempotency_key="a",
        )
        refused(
            ledger,
            balance_id,
            lambda: ledger.service.adjust(cmd, actor=admin(cmd.tenant_id)),
            InsufficientCredits,
        )

    def test_reverse_an_allocation_once(self, ledger: Ledger) -> None:
        balance_id = ledger.funded(10)
        allocation = view(ledger, balance_id).entries[0]

        def reverse(entry_id: Any) -> Any:
            return ledger.service.reverse(
                Reverse(
                    tenant_id=ledger.tenant,
                    balance_id=balance_id,
                    entry_id=entry_id,
                    reason="allocated to the wrong parent",
                    idempotency_key=ledger.key(),
                ),
                actor=admin(ledger.tenant),
            )

        entry = reverse(allocation.id)
        assert (entry.entry_type, entry.amount, entry.reverses) == (
            EntryType.ADJUSTMENT,
            -10,
            allocation.id,
        )
        refused(ledger, balance_id, lambda: reverse(allocation.id), Conflict)
        refused(ledger, balance_id, lambda: reverse(new_uuid()), NotFound)

    def test_only_allocations_and_adjustments_are_reversible(self, ledger: Ledger) -> None:
        balance_id = ledger.funded(10)
        spent = debit(ledger, balance_id, 3)
        cmd = Reverse(
            tenant_id=ledger.tenant,
            balance_id=balance_id,
            entry_id=spent.id,
            reason="no",
            idempotency_key="r",
        )
        err = refused(
            ledger,
            balance_id,
            lambda: ledger.service.reverse(cmd, actor=admin(cmd.tenant_id)),
            ValidationFailed,
        )
        assert (err.field, err.rule) == ("entry_id", "reversible_entry_type")


class TestPeriodEnd:
    def test_close_periods_writes_one_expiry_of_what_was_left(self, ledger: Ledger) -> None:
        balance_id = ledger.funded(30)
        debit(ledger, balance_id, 12)
        hold(ledger, balance_id, 5)
        assert ledger.service.close_periods(ledger.tenant, actor=job(ledger.tenant)) == 0
        ledger.clock.set(datetime(2026, 4, 1, tzinfo=UTC))
        assert ledger.service.close_periods(ledger.tenant, actor=job(ledger.tenant)) == 1
        assert ledger.service.close_periods(ledger.tenant, actor=job(ledger.tenant)) == 0
        after = view(ledger, balance_id)
        expiries = [e for e in after.entries if e.entry_type is EntryType.EXPIRY]
        assert len(expiries) == 1
        assert (expiries[0].amount, expiries[0].balance_after) == (-18, 0)
        assert (after.expired, after.held, after.is_closed) == (18, 0, True)
        assert after.holds[0].status is HoldStatus.EXPIRED

    def test_an_ended_period_refuses_spending_before_it_is_closed(self, ledger: Ledger) -> None:
        balance_id = ledger.funded(30)
        ledger.clock.set(datetime(2026, 4, 1, tzinfo=UTC))
        refused(ledger, balance_id, lambda: debit(ledger, balance_id, 1), PeriodClosed)

    def test_a_hold_stays_capturable_after_the_end_until_closing(self, ledger: Ledger) -> None:
        balance_id = ledger.funded(30)
        ledger.clock.set(datetime(2026, 3, 31, 20, 0, tzinfo=UTC))
        late, later = hold(ledger, balance_id, 5), hold(ledger, balance_id, 6)
        ledger.clock.set(datetime(2026, 4, 1, 1, 0, tzinfo=UTC))

        def capture(hold_id: Any) -> Any:
            return ledger.service.capture_hold(
                CaptureHold(
                    tenant_id=ledger.tenant,
                    balance_id=balance_id,
                    hold_id=hold_id,
                    idempotency_key=ledger.key(),
                ),
                actor=admin(ledger.tenant),
            )

        assert capture(late.id).amount == -5
        assert ledger.service.close_periods(ledger.tenant, actor=job(ledger.tenant)) == 1
        refused(ledger, balance_id, lambda: capture(later.id), InvalidTransition)
        assert view(ledger, balance_id).expired == 25

    def test_warning_fires_once_from_a_week_before_the_end(self, ledger: Ledger) -> None:
        balance_id = ledger.funded(30)
        ledger.clock.set(datetime(2026, 3, 24, 23, 59, tzinfo=UTC))
        assert ledger.service.send_expiry_warnings(ledger.tenant, actor=job(ledger.tenant)) == 0
        ledger.clock.set(datetime(2026, 3, 25, tzinfo=UTC))
        assert ledger.service.send_expiry_warnings(ledger.tenant, actor=job(ledger.tenant)) == 1
        assert ledger.service.send_expiry_warnings(ledger.tenant, actor=job(ledger.tenant)) == 0
        warnings = [e for e in ledger.bus.published if isinstance(e, ExpiryWarningDue)]
        assert len(warnings) == 1
        assert (warnings[0].balance_id, warnings[0].credits) == (balance_id, 30)
        assert warnings[0].expires_at == datetime(2026, 4, 1, tzinfo=UTC)
        assert view(ledger, balance_id).expiry_warning_sent_at == datetime(2026, 3, 25, tzinfo=UTC)

    def test_warning_lead_is_a_tenant_policy(self, ledger: Ledger) -> None:
        ledger.policies.override(ledger.tenant, {"credit_expiry_warning": 3 * 86400})
        ledger.funded(30)
        ledger.clock.set(datetime(2026, 3, 29, tzinfo=UTC) - timedelta(seconds=1))
        assert ledger.service.send_expiry_warnings(ledger.tenant, actor=job(ledger.tenant)) == 0
        ledger.clock.advance(timedelta(seconds=1))
        assert ledger.service.send_expiry_warnings(ledger.tenant, actor=job(ledger.tenant)) == 1

    def test_closed_balance_is_never_warned(self, ledger: Ledger) -> None:
        ledger.funded(30)
        ledger.clock.set(datetime(2026, 4, 2, tzinfo=UTC))
        ledger.service.close_periods(ledger.tenant, actor=job(ledger.tenant))
        assert ledger.service.send_expiry_warnings(ledger.tenant, actor=job(ledger.tenant)) == 0


class TestIdempotency:
    def test_same_key_same_request_returns_the_first_result_and_writes_nothing(
        self, ledger: Ledger
    ) -> None:
        balance_id = ledger.funded(50)
        cmd = Debit(
            tenant_id=ledger.tenant,
            balance_id=balance_id,
            booking_id=new_uuid(),
            credits=7,
            idempotency_key="pay-1",
        )
        first = ledger.service.debit(cmd, actor=admin(cmd.tenant_id))
        before, published = view(ledger, balance_id), len(ledger.bus.published)
        ledger.clock.advance(timedelta(minutes=5))
        assert ledger.service.debit(cmd, actor=admin(cmd.tenant_id)) == first
        assert view(ledger, balance_id) == before
        assert len(ledger.bus.published) == published
        assert first.idempotency_key == "pay-1"

    def test_same_key_other_request_is_a_conflict(self, ledger: Ledger) -> None:
        balance_id = ledger.funded(50)
        cmd = Debit(
            tenant_id=ledger.tenant,
            balance_id=balance_id,
            booking_id=new_uuid(),
            credits=7,
            idempotency_key="pay-1",
        )
        ledger.service.debit(cmd, actor=admin(cmd.tenant_id))
        other = Debit(
            tenant_id=ledger.tenant,
            balance_id=balance_id,
            booking_id=cmd.booking_id,
            credits=8,
            idempotency_key="pay-1",
        )
        refused(
            ledger,
            balance_id,
            lambda: ledger.service.debit(other, actor=admin(other.tenant_id)),
            IdempotencyConflict,
        )

    def test_a_refused_command_does_not_spend_its_key(self, ledger: Ledger) -> None:
        balance_id = ledger.funded(5)
        cmd = Debit(
            tenant_id=ledger.tenant,
            balance_id=balance_id,
            booking_id=new_uuid(),
            credits=7,
            idempotency_key="pay-2",
        )
        with pytest.raises(InsufficientCredits):
            ledger.service.debit(cmd, actor=admin(cmd.tenant_id))
        ledger.funded(5, view(ledger, balance_id).user_id)
        assert ledger.service.debit(cmd, actor=admin(cmd.tenant_id)).amount == -7

    def test_every_result_type_replays_equal(self, ledger: Ledger) -> None:
        cmd = CreateSubscription(
            tenant_id=ledger.tenant,
            corporate_id=CorporateId(new_uuid()),
            tier=SubscriptionTier.PREMIUM,
            covered_employees=3,
            credits_per_employee=9,
            monthly_cost=ledger.subscription().monthly_cost,
            start_date=date(2026, 2, 1),
            end_date=date(2026, 12, 31),
            billing_cycle_day=7,
            idempotency_key="sub",
        )
        created = ledger.service.create_subscription(cmd, actor=admin(cmd.tenant_id))
        assert ledger.service.create_subscription(cmd, actor=admin(cmd.tenant_id)) == created
        assert (
            ledger.service.subscription(ledger.tenant, created.id, actor=admin(ledger.tenant))
            == created
        )
        balance_id = ledger.funded(20)
        place = PlaceHold(
            tenant_id=ledger.tenant,
            balance_id=balance_id,
            booking_id=new_uuid(),
            credits=3,
            idempotency_key="hold",
        )
        placed = ledger.service.place_hold(place, actor=admin(place.tenant_id))
        void = VoidHold(
            tenant_id=ledger.tenant, balance_id=balance_id, hold_id=placed.id, idempotency_key="v"
        )
        voided = ledger.service.void_hold(void, actor=admin(void.tenant_id))
        assert ledger.service.place_hold(place, actor=admin(place.tenant_id)) == placed
        assert ledger.service.void_hold(void, actor=admin(void.tenant_id)) == voided
        assert view(ledger, balance_id).held == 0

    def test_keys_are_per_tenant(self, ledger: Ledger) -> None:
        other = Ledger(
            service=ledger.service,
            database=ledger.database,
            bus=ledger.bus,
            clock=ledger.clock,
            policies=ledger.policies,
            tenant=TenantId(new_uuid()),
        )
        mine, theirs = ledger.funded(5), other.funded(5)
        assert ledger.keys == other.keys == 1
        assert mine != theirs
        with pytest.raises(NotFound):
            ledger.service.balance(ledger.tenant, theirs, actor=admin(ledger.tenant))

    def test_key_is_required(self, ledger: Ledger) -> None:
        balance_id = ledger.funded(5)
        cmd = Debit(
            tenant_id=ledger.tenant,
            balance_id=balance_id,
            booking_id=new_uuid(),
            credits=1,
            idempotency_key=" ",
        )
        err = refused(
            ledger,
            balance_id,
            lambda: ledger.service.debit(cmd, actor=admin(cmd.tenant_id)),
            ValidationFailed,
        )
        assert err.field == "idempotency_key"

    def test_keys_are_kept_for_the_retention_then_purged(self, ledger: Ledger) -> None:
        balance_id = ledger.funded(50)
        cmd = Debit(
            tenant_id=ledger.tenant,
            balance_id=balance_id,
            booking_id=new_uuid(),
            credits=1,
            idempotency_key="old",
        )
        first = ledger.service.debit(cmd, actor=admin(cmd.tenant_id))
        ledger.clock.advance(timedelta(hours=24))
        assert ledger.service.purge_idempotency_keys(ledger.tenant, actor=job(ledger.tenant)) == 0
        assert ledger.service.debit(cmd, actor=admin(cmd.tenant_id)) == first
        ledger.clock.advance(timedelta(seconds=1))
        assert ledger.service.purge_idempotency_keys(ledger.tenant, actor=job(ledger.tenant)) == 2


class TestEvents:
    def test_committed_entries_are_announced(self, ledger: Ledger) -> None:
        balance_id = ledger.funded(50)
        entry = debit(ledger, balance_id, 4)
        posted = [e for e in ledger.bus.published if isinstance(e, EntryPosted)]
        assert [(e.entry_type, e.amount) for e in posted] == [
            (EntryType.ALLOCATION, 50),
            (EntryType.BOOKING_DEBIT, -4),
        ]
        assert posted[-1].entry_id == entry.id
        assert all(e.tenant_id == ledger.tenant for e in posted)

    def test_unknown_balance_is_not_found(self, ledger: Ledger) -> None:
        with pytest.raises(NotFound):
            debit(ledger, BalanceId(new_uuid()), 1)
