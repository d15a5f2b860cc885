"""Ledger use cases: commands (each with an idempotency key), background jobs and queries.

Every command runs in one unit of work through :func:`run_idempotent`: a retry with the
same key and request returns the first result and writes nothing; the same key with a
different request raises ``IdempotencyConflict``. A rejected command writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import TypeVar
from uuid import UUID

import attrs

from travelcore.kernel import (
    Actor,
    Clock,
    Money,
    PolicyProvider,
    StaleVersion,
    StaticPolicies,
    TenantId,
    UserId,
    checked_clock,
    require_tenant,
    run_use_case,
    zone,
)
from travelcore.kernel import validation as v
from travelcore.ledger import access
from travelcore.ledger.model import (
    MAX_CREDITS,
    MAX_REASON_LENGTH,
    BalanceId,
    BillingPeriod,
    CreditBalance,
    EntryId,
    Hold,
    HoldId,
    LedgerEntry,
)
from travelcore.ledger.ports import LedgerUnitOfWork
from travelcore.ledger.subscription import (
    MAX_COVERED_EMPLOYEES,
    CorporateId,
    CorporateSubscription,
    SeatAllocations,
    SubscriptionId,
    SubscriptionTier,
)
from travelcore.people.zones import local_today, user_zone

R = TypeVar("R")
UowFactory = Callable[[TenantId], LedgerUnitOfWork]


# -- commands ------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class CreateSubscription:
    tenant_id: TenantId
    corporate_id: CorporateId
    tier: SubscriptionTier
    covered_employees: int
    credits_per_employee: int
    monthly_cost: Money
    start_date: date
    billing_cycle_day: int = 1
    end_date: date | None = None
    timezone: str = "UTC"
    """The corporate's IANA zone (its local dates are its billing days)."""
    idempotency_key: str


@attrs.frozen(kw_only=True)
class AllocatePeriodCredits:
    """Give ``user_id`` the subscription's credits for the period containing ``day`` (the
    corporate's local date today, by the service's clock, when not given)."""

    tenant_id: TenantId
    subscription_id: SubscriptionId
    user_id: UserId
    day: date | None = None
    idempotency_key: str


@attrs.frozen(kw_only=True)
class AllocateCredits:
    """Allocate credits directly to the user's balance for the period containing ``day``
    (today by the service's clock when not given; periods start on ``billing_cycle_day``),
    opening it if needed."""

    tenant_id: TenantId
    user_id: UserId
    credits: int
    day: date | None = None
    billing_cycle_day: int = 1
    reason: str | None = None
    idempotency_key: str


@attrs.frozen(kw_only=True)
class PlaceHold:
    tenant_id: TenantId
    balance_id: BalanceId
    booking_id: UUID
    credits: int
    idempotency_key: str


@attrs.frozen(kw_only=True)
class CaptureHold:
    tenant_id: TenantId
    balance_id: BalanceId
    hold_id: HoldId
    idempotency_key: str


@attrs.frozen(kw_only=True)
class VoidHold:
    tenant_id: TenantId
    balance_id: BalanceId
    hold_id: HoldId
    idempotency_key: str


@attrs.frozen(kw_only=True)
class Debit:
    tenant_id: TenantId
    balance_id: BalanceId
    booking_id: UUID
    credits: int
    idempotency_key: str


@attrs.frozen(kw_only=True)
class Refund:
    """A full refund of what is left (``credits=None``) or a partial one."""

    tenant_id: TenantId
    balance_id: BalanceId
    booking_id: UUID
    credits: int | None = None
    reason: str | None = None
    idempotency_key: str


@attrs.frozen(kw_only=True)
class Forfeit:
    tenant_id: TenantId
    balance_id: BalanceId
    booking_id: UUID
    reason: str | None = None
    idempotency_key: str


@attrs.frozen(kw_only=True)
class Adjust:
    tenant_id: TenantId
    balance_id: BalanceId
    credits: int
    reason: str
    idempotency_key: str


@attrs.frozen(kw_only=True)
class Reverse:
    tenant_id: TenantId
    balance_id: BalanceId
    entry_id: EntryId
    reason: str
    idempotency_key: str


# -- read model ----------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class BalanceView:
    """A balance's figures, entries and holds at one moment."""

    balance_id: BalanceId
    user_id: UserId
    period: BillingPeriod
    balance: int
    held: int
    available: int
    allocated: int
    used: int
    refunded: int
    forfeited: int
    expired: int
    is_closed: bool
    expiry_warning_sent_at: datetime | None
    entries: tuple[LedgerEntry, ...]
    holds: tuple[Hold, ...]
    version: int

    @classmethod
    def of(cls, balance: CreditBalance) -> BalanceView:
        return cls(
            balance_id=balance.id,
            user_id=balance.user_id,
            period=balance.period,
            balance=balance.balance,
            held=balance.held,
            available=balance.available,
            allocated=balance.allocated,
            used=balance.used,
            refunded=balance.refunded,
            forfeited=balance.forfeited,
            expired=balance.expired,
            is_closed=balance.is_closed,
            expiry_warning_sent_at=balance.expiry_warning_sent_at,
            entries=tuple(balance.entries),
            holds=tuple(balance.holds),
            version=balance.version,
        )


# -- the service ---------------------------------------------------------------------------


DAY = timedelta(days=1)
LATEST_OFFSET = timedelta(hours=14)
"""The largest UTC offset of any zone: no local date is later than UTC's plus this."""


def find_current(uow: LedgerUnitOfWork, user_id: UserId, now: datetime) -> CreditBalance | None:
    """The user's balance for the period containing the user's "today" at ``now`` (the date
    in their corporate's zone, :func:`~travelcore.people.zones.local_today`), if open.

    Every zone's date lies within a day of UTC's: a balance whose period holds the UTC
    date's neighbours on both sides is every zone's, and the zone is not looked up."""
    utc_day = now.date()
    found = uow.credits.find(user_id, utc_day)
    if found is not None and all(found.period.contains(utc_day + d) for d in (-DAY, DAY)):
        return found
    day = local_today(uow, user_id, now)
    return found if day == utc_day else uow.credits.find(user_id, day)


def current_balance(
    uow: LedgerUnitOfWork, earlier: CreditBalance, now: datetime
) -> tuple[CreditBalance, bool]:
    """The user's balance for the period containing their today (same billing cycle as
    ``earlier``), and whether it was opened just now (it is not stored yet)."""
    found = find_current(uow, earlier.user_id, now)
    if found is not None:
        return found, False
    timezone = user_zone(uow, earlier.user_id)
    today = now.astimezone(zone(timezone)).date()
    period = BillingPeriod.containing(today, earlier.period.start.day)
    opened = CreditBalance.open(uow.tenant_id, earlier.user_id, period, now, timezone=timezone)
    return opened, True


class LedgerService:
    """The ledger's use cases over ``uow_factory(tenant_id)``, an injected clock and the
    tenants' policies (hold timeout, expiry-warning lead, idempotency retention)."""

    def __init__(
        self, uow_factory: UowFactory, clock: Clock, *, policies: PolicyProvider | None = None
    ) -> None:
        self._uow_factory = uow_factory
        self._clock = checked_clock(clock)
        self._policies = policies or StaticPolicies()

    # commands

    def create_subscription(
        self, cmd: CreateSubscription, *, actor: Actor
    ) -> CorporateSubscription:
        access.subscribe(actor, cmd.corporate_id)

        def action(uow: LedgerUnitOfWork, now: datetime) -> CorporateSubscription:
            subscription = CorporateSubscription.create(
                tenant_id=cmd.tenant_id,
                corporate_id=cmd.corporate_id,
                tier=cmd.tier,
                covered_employees=cmd.covered_employees,
                credits_per_employee=cmd.credits_per_employee,
                monthly_cost=cmd.monthly_cost,
                start_date=cmd.start_date,
                billing_cycle_day=cmd.billing_cycle_day,
                end_date=cmd.end_date,
                timezone=cmd.timezone,
            )
            uow.subscriptions.add(subscription)
            return subscription

        return self._run(
            cmd.tenant_id, cmd, cmd.idempotency_key, CorporateSubscription, action, actor=actor
        )

    def allocate_period_credits(self, cmd: AllocatePeriodCredits, *, actor: Actor) -> LedgerEntry:
        def action(uow: LedgerUnitOfWork, now: datetime) -> LedgerEntry:
            subscription = uow.subscriptions.get(cmd.subscription_id)
            access.subscribe(actor, subscription.corporate_id, jobs=True)
            day = cmd.day or subscription.today(now)
            subscription.require_covers(day)
            period = subscription.period_containing(day)
            seats = uow.subscriptions.seats(subscription.id, period.start) or SeatAllocations(
                tenant_id=cmd.tenant_id, subscription_id=subscription.id, period=period
            )
            seats.take(cmd.user_id, subscription.covered_employees)
            entry = self._allocate(
                uow,
                cmd.user_id,
                day,
                period,
                subscription.credits_per_employee,
                now,
                timezone=subscription.timezone,
                actor=actor.label,
                reason=f"{subscription.tier.value} credits for {period.start.isoformat()}",
                idempotency_key=cmd.idempotency_key,
            )
            uow.subscriptions.save_seats(seats)
            return entry

        return self._run(cmd.tenant_id, cmd, cmd.idempotency_key, LedgerEntry, action, actor=actor)

    def allocate_credits(self, cmd: AllocateCredits, *, actor: Actor) -> LedgerEntry:
        access.correct(actor)

        def action(uow: LedgerUnitOfWork, now: datetime) -> LedgerEntry:
            timezone = user_zone(uow, cmd.user_id)
            day = cmd.day or now.astimezone(zone(timezone)).date()
            period = BillingPeriod.containing(day, cmd.billing_cycle_day)
            return self._allocate(
                uow,
                cmd.user_id,
                day,
                period,
                cmd.credits,
                now,
                timezone=timezone,
                actor=actor.label,
                reason=cmd.reason,
                idempotency_key=cmd.idempotency_key,
            )

        return self._run(cmd.tenant_id, cmd, cmd.idempotency_key, LedgerEntry, action, actor=actor)

    def place_hold(self, cmd: PlaceHold, *, actor: Actor) -> Hold:
        access.spend(actor)
        v.check_command(cmd)  # before the tenant's policy is looked up
        timeout = self._policies.policy_for(cmd.tenant_id).credit_hold_timeout
        return self._on_balance(
            cmd.tenant_id,
            cmd.balance_id,
            cmd,
            cmd.idempotency_key,
            Hold,
            lambda b, now: b.place_hold(cmd.booking_id, cmd.credits, now, timeout),
            actor=actor,
        )

    def capture_hold(self, cmd: CaptureHold, *, actor: Actor) -> LedgerEntry:
        access.spend(actor)
        return self._on_balance(
            cmd.tenant_id,
            cmd.balance_id,
            cmd,
            cmd.idempotency_key,
            LedgerEntry,
            lambda b, now: b.capture_hold(cmd.hold_id, now, idempotency_key=cmd.idempotency_key),
            actor=actor,
        )

    def void_hold(self, cmd: VoidHold, *, actor: Actor) -> Hold:
        access.spend(actor)
        return self._on_balance(
            cmd.tenant_id,
            cmd.balance_id,
            cmd,
            cmd.idempotency_key,
            Hold,
            lambda b, now: b.void_hold(cmd.hold_id, now),
            actor=actor,
        )

    def debit(self, cmd: Debit, *, actor: Actor) -> LedgerEntry:
        access.spend(actor)
        return self._on_balance(
            cmd.tenant_id,
            cmd.balance_id,
            cmd,
            cmd.idempotency_key,
            LedgerEntry,
            lambda b, now: b.debit(
                cmd.booking_id, cmd.credits, now, idempotency_key=cmd.idempotency_key
            ),
            actor=actor,
        )

    def refund(self, cmd: Refund, *, actor: Actor) -> LedgerEntry:
        """Refund a booking debited on ``cmd.balance_id``. Once that period has closed (or
        ended), the refund is credited to the user's current period (opened if need be),
        capped by what the booking debited across periods; the entry says where it went."""
        access.spend(actor)

        def action(uow: LedgerUnitOfWork, now: datetime) -> LedgerEntry:
            debited = uow.credits.get(cmd.balance_id)
            target, is_new = debited, False
            if not debited.accepts(now):
                target, is_new = current_balance(uow, debited, now)
            history = [
                uow.credits.get(i)
                for i in uow.credits.for_booking(cmd.booking_id)
                if i != target.id
            ]
            entry = target.refund(
                cmd.booking_id,
                now,
                credits=cmd.credits,
                partial=cmd.credits is not None,
                actor=actor.label,
                reason=cmd.reason,
                idempotency_key=cmd.idempotency_key,
                history=history,
            )
            if is_new:
                uow.credits.add(target)
            else:
                uow.credits.save(target)
            return entry

        return self._run(cmd.tenant_id, cmd, cmd.idempotency_key, LedgerEntry, action, actor=actor)

    def forfeit(self, cmd: Forfeit, *, actor: Actor) -> LedgerEntry:
        access.spend(actor)
        return self._on_balance(
            cmd.tenant_id,
            cmd.balance_id,
            cmd,
            cmd.idempotency_key,
            LedgerEntry,
            lambda b, now: b.forfeit(
                cmd.booking_id,
                now,
                actor=actor.label,
                reason=cmd.reason,
                idempotency_key=cmd.idempotency_key,
            ),
            actor=actor,
        )

    def adjust(self, cmd: Adjust, *, actor: Actor) -> LedgerEntry:
        access.correct(actor)
        return self._on_balance(
            cmd.tenant_id,
            cmd.balance_id,
            cmd,
            cmd.idempotency_key,
            LedgerEntry,
            lambda b, now: b.adjust(
                cmd.credits,
                now,
                actor=actor.label,
                reason=cmd.reason,
                idempotency_key=cmd.idempotency_key,
            ),
            actor=actor,
        )

    def reverse(self, cmd: Reverse, *, actor: Actor) -> LedgerEntry:
        access.correct(actor)
        return self._on_balance(
            cmd.tenant_id,
            cmd.balance_id,
            cmd,
            cmd.idempotency_key,
            LedgerEntry,
            lambda b, now: b.reverse(
                cmd.entry_id,
                now,
                actor=actor.label,
                reason=cmd.reason,
                idempotency_key=cmd.idempotency_key,
            ),
            actor=actor,
        )

    # jobs (safe to run repeatedly and concurrently; each balance in its own unit of work)

    def expire_holds(self, tenant_id: TenantId, *, actor: Actor) -> int:
        """Expire every active hold whose time is up; returns how many."""
        access.job(actor)
        require_tenant(actor, tenant_id)
        now = self._clock.now()
        with self._uow_factory(tenant_id) as uow:
            due = uow.credits.with_holds_expiring_by(now)
        return sum(
            self._job_step(tenant_id, balance_id, lambda b: len(b.expire_holds(now)))
            for balance_id in due
        )

    def close_periods(self, tenant_id: TenantId, *, actor: Actor) -> int:
        """Write the ``expiry`` entry of every ended period, once; returns how many."""
        access.job(actor)
        require_tenant(actor, tenant_id)
        now = self._clock.now()
        with self._uow_factory(tenant_id) as uow:  # periods end at local midnight
            ended = uow.credits.open_ending_by((now + LATEST_OFFSET).date())
        return sum(
            self._job_step(
                tenant_id,
                balance_id,
                lambda b: int(now >= b.ends_at and b.expire(now) is not None),
            )
            for balance_id in ended
        )

    def send_expiry_warnings(self, tenant_id: TenantId, *, actor: Actor) -> int:
        """Record (and announce, via ``ExpiryWarningDue``) each due warning once."""
        access.job(actor)
        require_tenant(actor, tenant_id)
        now = self._clock.now()
        lead = self._policies.policy_for(tenant_id).credit_expiry_warning
        with self._uow_factory(tenant_id) as uow:
            due = uow.credits.unwarned_ending_by((now + lead + LATEST_OFFSET).date())
        return sum(
            self._job_step(tenant_id, balance_id, lambda b: int(b.warn_of_expiry(now, lead)))
            for balance_id in due
        )

    def purge_idempotency_keys(self, tenant_id: TenantId, *, actor: Actor) -> int:
        """Forget idempotency records older than ``policy.idempotency_retention``."""
        access.job(actor)
        require_tenant(actor, tenant_id)
        retention = self._policies.policy_for(tenant_id).idempotency_retention
        with self._uow_factory(tenant_id) as uow:
            purged = uow.idempotency.purge_before(self._clock.now() - retention)
            uow.commit()
        return purged

    # queries

    def balance(self, tenant_id: TenantId, balance_id: BalanceId, *, actor: Actor) -> BalanceView:
        require_tenant(actor, tenant_id)
        v.uuid(balance_id, "balance_id")
        with self._uow_factory(tenant_id) as uow:
            balance = uow.credits.get(balance_id)
        access.read_balance(actor, balance.user_id)
        return BalanceView.of(balance)

    def balance_for(
        self, tenant_id: TenantId, user_id: UserId, day: date | None = None, *, actor: Actor
    ) -> BalanceView | None:
        """The user's balance for the period containing ``day`` (when not given, the user's
        today by the service's clock, in their corporate's zone), if one is open."""
        require_tenant(actor, tenant_id)
        v.check_all({"user_id": user_id}, {"user_id": v.uuid})
        access.read_balance(actor, user_id)
        if day is not None:
            v.check_all({"day": day}, {"day": v.day})
        with self._uow_factory(tenant_id) as uow:
            found = (
                uow.credits.find(user_id, day)
                if day is not None
                else find_current(uow, user_id, self._clock.now())
            )
        return None if found is None else BalanceView.of(found)

    def subscription(
        self, tenant_id: TenantId, subscription_id: SubscriptionId, *, actor: Actor
    ) -> CorporateSubscription:
        require_tenant(actor, tenant_id)
        v.uuid(subscription_id, "subscription_id")
        with self._uow_factory(tenant_id) as uow:
            subscription = uow.subscriptions.get(subscription_id)
        access.read_subscription(actor, subscription.corporate_id)
        return subscription

    # internals

    def _run(
        self,
        tenant_id: TenantId,
        cmd: object,
        key: str,
        result_type: type[R],
        action: Callable[[LedgerUnitOfWork, datetime], R],
        *,
        actor: Actor,
    ) -> R:
        return run_use_case(
            self._uow_factory, tenant_id, self._clock, key, cmd, result_type, action, actor=actor
        )

    def _on_balance(
        self,
        tenant_id: TenantId,
        balance_id: BalanceId,
        cmd: object,
        key: str,
        result_type: type[R],
        change: Callable[[CreditBalance, datetime], R],
        *,
        actor: Actor,
    ) -> R:
        def action(uow: LedgerUnitOfWork, now: datetime) -> R:
            balance = uow.credits.get(balance_id)
            result = change(balance, now)
            uow.credits.save(balance)
            return result

        return self._run(tenant_id, cmd, key, result_type, action, actor=actor)

    def _allocate(
        self,
        uow: LedgerUnitOfWork,
        user_id: UserId,
        day: date,
        period: BillingPeriod,
        credits: int,
        now: datetime,
        *,
        timezone: str,
        actor: str | None,
        reason: str | None,
        idempotency_key: str,
    ) -> LedgerEntry:
        """Allocate to the balance of ``day``'s period, opened in ``timezone`` if new."""
        balance = uow.credits.find(user_id, day)
        is_new = balance is None
        if balance is None:
            balance = CreditBalance.open(uow.tenant_id, user_id, period, now, timezone=timezone)
        entry = balance.allocate(
            credits, now, actor=actor, reason=reason, idempotency_key=idempotency_key
        )
        if is_new:
            uow.credits.add(balance)
        else:
            uow.credits.save(balance)
        return entry

    def _job_step(
        self, tenant_id: TenantId, balance_id: BalanceId, change: Callable[[CreditBalance], int]
    ) -> int:
        """Apply ``change`` to one balance; a concurrent writer wins and is left alone."""
        with self._uow_factory(tenant_id) as uow:
            balance = uow.credits.get(balance_id)
            changed = change(balance)
            if not changed:
                return 0
            try:
                uow.credits.save(balance)
                uow.commit()
            except StaleVersion:
                return 0
        return changed


# -- boundary checks -----------------------------------------------------------------------

_KEY = {"idempotency_key": v.text(255)}  # required: these commands are always idempotent
_CREDITS = v.integer(1, MAX_CREDITS)
_REASON = v.text(MAX_REASON_LENGTH)
_CYCLE_DAY = v.integer(1, 28, rule="between_1_and_28")
_ON_BALANCE = {"tenant_id": v.uuid, "balance_id": v.uuid}
v.validated(
    CreateSubscription,
    tenant_id=v.uuid,
    corporate_id=v.uuid,
    tier=v.member(SubscriptionTier),
    covered_employees=v.integer(1, MAX_COVERED_EMPLOYEES),
    credits_per_employee=_CREDITS,
    monthly_cost=v.money(),
    start_date=v.day,
    billing_cycle_day=_CYCLE_DAY,
    end_date=v.optional(v.day),
    timezone=v.time_zone,
    **_KEY,
)
v.validated(
    AllocatePeriodCredits,
    tenant_id=v.uuid,
    subscription_id=v.uuid,
    user_id=v.uuid,
    day=v.optional(v.day),
    **_KEY,
)
v.validated(
    AllocateCredits,
    tenant_id=v.uuid,
    user_id=v.uuid,
    day=v.optional(v.day),
    credits=_CREDITS,
    billing_cycle_day=_CYCLE_DAY,
    reason=v.optional(_REASON),
    **_KEY,
)
v.validated(PlaceHold, **_ON_BALANCE, booking_id=v.uuid, credits=_CREDITS, **_KEY)
v.validated(CaptureHold, **_ON_BALANCE, hold_id=v.uuid, **_KEY)
v.validated(VoidHold, **_ON_BALANCE, hold_id=v.uuid, **_KEY)
v.validated(Debit, **_ON_BALANCE, booking_id=v.uuid, credits=_CREDITS, **_KEY)
v.validated(
    Refund,
    **_ON_BALANCE,
    booking_id=v.uuid,
    credits=v.optional(_CREDITS),
    reason=v.optional(_REASON),
    **_KEY,
)
v.validated(
    Forfeit,
    **_ON_BALANCE,
    booking_id=v.uuid,
    reason=v.optional(_REASON),
    **_KEY,
)
v.validated(
    Adjust,
    **_ON_BALANCE,
    credits=v.integer(-MAX_CREDITS, MAX_CREDITS),
    reason=_REASON,
    **_KEY,
)
v.validated(Reverse, **_ON_BALANCE, entry_id=v.uuid, reason=_REASON, **_KEY)
