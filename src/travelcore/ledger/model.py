"""The credit ledger: one balance per user per billing period, append-only entries, holds.

Invariants (checked by the property tests after every step):
- entries are append-only; ``balance_after`` chains from 0 and the balance is their sum;
- ``available = balance - held`` never goes below zero;
- refunds for a booking never exceed what was debited for it;
- a closed period (one ``expiry`` entry, written once), or one whose end has passed, accepts
  no new credits, refunds or spending (an active hold may still be captured until closing).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, NewType
from uuid import UUID

import attrs

from travelcore.kernel import (
    Aggregate,
    Conflict,
    DomainEvent,
    InsufficientCredits,
    InvalidTransition,
    NotFound,
    RuleViolation,
    TenantId,
    UserId,
    ValidationFailed,
    new_uuid,
    positive_credits,
    zone,
)

BalanceId = NewType("BalanceId", UUID)
EntryId = NewType("EntryId", UUID)
HoldId = NewType("HoldId", UUID)


class EntryType(StrEnum):
    ALLOCATION = "allocation"
    BOOKING_DEBIT = "booking_debit"
    REFUND_CREDIT = "refund_credit"
    PARTIAL_REFUND = "partial_refund"
    FORFEIT = "forfeit"
    ADJUSTMENT = "adjustment"
    EXPIRY = "expiry"


REFUND_TYPES = frozenset({EntryType.REFUND_CREDIT, EntryType.PARTIAL_REFUND})
REVERSIBLE_TYPES = frozenset({EntryType.ALLOCATION, EntryType.ADJUSTMENT})

MAX_CREDITS = 1_000_000
"""The most credits one command may move."""
MAX_TOTAL_CREDITS = 2**31 - 1
"""A balance's figures (balance, allocated, used, refunded) stay within ``int4``."""
MAX_ACTOR_LENGTH = 255
MAX_REASON_LENGTH = 1_000


class HoldStatus(StrEnum):
    ACTIVE = "active"
    CAPTURED = "captured"
    VOIDED = "voided"
    EXPIRED = "expired"


class RefundExceedsDebit(RuleViolation):
    code = "refund_exceeds_debit"


class PeriodClosed(RuleViolation):
    code = "period_closed"


class HoldExpired(RuleViolation):
    code = "hold_expired"


class LedgerIsAppendOnly(Conflict):
    """A save would change or remove entries already stored."""

    code = "ledger_append_only"


@attrs.frozen
class BillingPeriod:
    """``[start, end)`` in calendar days."""

    start: date
    end: date

    def __attrs_post_init__(self) -> None:
        if self.end <= self.start:
            raise ValidationFailed("period_end", "after_period_start")

    @classmethod
    def containing(cls, day: date, cycle_day: int) -> BillingPeriod:
        """The monthly period, starting on ``cycle_day`` (1-28), that contains ``day``."""
        if (
            isinstance(cycle_day, bool)
            or not isinstance(cycle_day, int)
            or not 1 <= cycle_day <= 28
        ):
            raise ValidationFailed("billing_cycle_day", "between_1_and_28")
        start = date(day.year, day.month, cycle_day)
        if day < start:
            start = _add_months(start, -1)
        return cls(start, _add_months(start, 1))

    def contains(self, day: date) -> bool:
        return self.start <= day < self.end

    @property
    def ends_at(self) -> datetime:
        """The instant the period closes (midnight UTC at the start of ``end``)."""
        return datetime.combine(self.end, time(0), UTC)


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@attrs.frozen(kw_only=True)
class LedgerEntry:
    """One immutable movement: ``amount`` is signed, ``balance_after`` the running balance."""

    id: EntryId
    balance_id: BalanceId
    sequence: int
    entry_type: EntryType
    amount: int
    balance_after: int
    created_at: datetime
    actor: str | None = None
    reason: str | None = None
    booking_id: UUID | None = None
    reverses: EntryId | None = None
    idempotency_key: str | None = None

    def __deepcopy__(self, memo: dict[int, Any]) -> LedgerEntry:
        return self  # immutable: every field is a value


@attrs.frozen(kw_only=True)
class Hold:
    """Credits reserved for a pending booking (the first phase of a two-phase debit)."""

    id: HoldId
    balance_id: BalanceId
    booking_id: UUID
    credits: int
    created_at: datetime
    expires_at: datetime
    status: HoldStatus = HoldStatus.ACTIVE
    resolved_at: datetime | None = None

    def __deepcopy__(self, memo: dict[int, Any]) -> Hold:
        return self  # immutable: every field is a value


@attrs.frozen(kw_only=True)
class EntryPosted(DomainEvent):
    balance_id: BalanceId
    user_id: UserId
    entry_id: EntryId
    entry_type: EntryType
    amount: int
    balance_after: int
    booking_id: UUID | None = None


@attrs.frozen(kw_only=True)
class HoldChanged(DomainEvent):
    balance_id: BalanceId
    user_id: UserId
    hold_id: HoldId
    booking_id: UUID
    credits: int
    status: HoldStatus


@attrs.frozen(kw_only=True)
class ExpiryWarningDue(DomainEvent):
    balance_id: BalanceId
    user_id: UserId
    credits: int
    expires_at: datetime


@attrs.define(kw_only=True)
class CreditBalance(Aggregate):
    """A user's credits for one billing period."""

    id: BalanceId
    tenant_id: TenantId
    user_id: UserId
    period: BillingPeriod
    created_at: datetime
    entries: list[LedgerEntry] = attrs.field(factory=list)
    holds: list[Hold] = attrs.field(factory=list)
    expiry_warning_sent_at: datetime | None = None
    version: int = 1
    timezone: str = "UTC"
    """The IANA zone of the user's corporate when the balance was opened: the period's
    days are its local dates, and the period ends at local midnight of ``period.end``."""

    @classmethod
    def open(
        cls,
        tenant_id: TenantId,
        user_id: UserId,
        period: BillingPeriod,
        at: datetime,
        *,
        timezone: str = "UTC",
    ) -> CreditBalance:
        zone(timezone)  # a known zone, or ValidationFailed
        return cls(
            id=BalanceId(new_uuid()),
            tenant_id=tenant_id,
            user_id=user_id,
            period=period,
            created_at=at,
            timezone=timezone,
        )

    @property
    def ends_at(self) -> datetime:
        """The instant the period closes: midnight at the start of ``period.end`` in the
        balance's zone."""
        return datetime.combine(self.period.end, time(0), zone(self.timezone)).astimezone(UTC)

    # -- derived figures -------------------------------------------------------------------

    @property
    def balance(self) -> int:
        return self.entries[-1].balance_after if self.entries else 0

    @property
    def held(self) -> int:
        return sum(h.credits for h in self.holds if h.status is HoldStatus.ACTIVE)

    @property
    def available(self) -> int:
        return self.balance - self.held

    @property
    def allocated(self) -> int:
        return self._sum(EntryType.ALLOCATION)

    @property
    def used(self) -> int:
        return -self._sum(EntryType.BOOKING_DEBIT)

    @property
    def refunded(self) -> int:
        return self._sum(*REFUND_TYPES)

    @property
    def forfeited(self) -> int:
        """Credits of bookings whose debit was forfeited (late cancellation, no-show)."""
        forfeits = {e.booking_id for e in self.entries if e.entry_type is EntryType.FORFEIT}
        return sum(self.net_debit_for(b) for b in forfeits if b is not None)

    @property
    def expired(self) -> int:
        return -self._sum(EntryType.EXPIRY)

    @property
    def is_closed(self) -> bool:
        return any(e.entry_type is EntryType.EXPIRY for e in self.entries)

    def debited_for(self, booking_id: UUID) -> int:
        return -sum(
            e.amount
            for e in self.entries
            if e.booking_id == booking_id and e.entry_type is EntryType.BOOKING_DEBIT
        )

    def refunded_for(self, booking_id: UUID) -> int:
        return sum(
            e.amount
            for e in self.entries
            if e.booking_id == booking_id and e.entry_type in REFUND_TYPES
        )

    def net_debit_for(self, booking_id: UUID) -> int:
        return self.debited_for(booking_id) - self.refunded_for(booking_id)

    def hold(self, hold_id: HoldId) -> Hold:
        for hold in self.holds:
            if hold.id == hold_id:
                return hold
        raise NotFound("hold", hold_id)

    def entry(self, entry_id: EntryId) -> LedgerEntry:
        for entry in self.entries:
            if entry.id == entry_id:
                return entry
        raise NotFound("ledger_entry", entry_id)

    def _sum(self, *types: EntryType) -> int:
        return sum(e.amount for e in self.entries if e.entry_type in types)

    # -- commands --------------------------------------------------------------------------

    def allocate(
        self,
        credits: int,
        at: datetime,
        *,
        actor: str | None = None,
        reason: str | None = None,
        idempotency_key: str | None = None,
    ) -> LedgerEntry:
        self._require_open(at)
        amount = positive_credits(credits)
        return self._post(
            EntryType.ALLOCATION,
            amount,
            at,
            actor=actor,
            reason=reason,
            idempotency_key=idempotency_key,
        )

    def place_hold(self, booking_id: UUID, credits: int, at: datetime, timeout: timedelta) -> Hold:
        """Reserve ``credits`` for a pending booking until ``at + timeout``."""
        self._require_open(at)
        amount = positive_credits(credits)
        if self._active_hold_for(booking_id):
            raise Conflict(
                f"booking {booking_id} already holds credits", booking_id=str(booking_id)
            )
        if self.debited_for(booking_id):
            raise Conflict(f"booking {booking_id} is already debited", booking_id=str(booking_id))
        self._require_available(amount)
        hold = Hold(
            id=HoldId(new_uuid()),
            balance_id=self.id,
            booking_id=booking_id,
            credits=amount,
            created_at=at,
            expires_at=at + timeout,
        )
        self.holds.append(hold)
        self._hold_event(hold, at)
        return hold

    def capture_hold(
        self, hold_id: HoldId, at: datetime, *, idempotency_key: str | None = None
    ) -> LedgerEntry:
        """Turn an active hold into a ``booking_debit``; reserved credits stay capturable
        after the period's end until the hold lapses or the period is closed."""
        hold = self._active_hold(hold_id, HoldStatus.CAPTURED)
        if at >= hold.expires_at:
            raise HoldExpired("the hold has expired", hold_id=str(hold_id))
        self._resolve(hold, HoldStatus.CAPTURED, at)
        return self._post(
            EntryType.BOOKING_DEBIT,
            -hold.credits,
            at,
            booking_id=hold.booking_id,
            idempotency_key=idempotency_key,
        )

    def void_hold(self, hold_id: HoldId, at: datetime) -> Hold:
        hold = self._active_hold(hold_id, HoldStatus.VOIDED)
        return self._resolve(hold, HoldStatus.VOIDED, at)

    def expire_holds(self, at: datetime) -> list[Hold]:
        """Expire every active hold whose time is up."""
        due = [h for h in self.holds if h.status is HoldStatus.ACTIVE and h.expires_at <= at]
        return [self._resolve(h, HoldStatus.EXPIRED, at) for h in due]

    def debit(
        self, booking_id: UUID, credits: int, at: datetime, *, idempotency_key: str | None = None
    ) -> LedgerEntry:
        """A one-step ``booking_debit`` (no hold); refused while the booking holds credits."""
        self._require_open(at)
        amount = positive_credits(credits)
        if self._active_hold_for(booking_id):
            raise Conflict(
                f"booking {booking_id} holds credits: capture the hold",
                booking_id=str(booking_id),
            )
        self._require_available(amount)
        return self._post(
            EntryType.BOOKING_DEBIT,
            -amount,
            at,
            booking_id=booking_id,
            idempotency_key=idempotency_key,
        )

    def accepts(self, at: datetime) -> bool:
        """Whether the balance still takes new entries at ``at`` (open and not ended)."""
        return not self.is_closed and at < self.ends_at

    def refund(
        self,
        booking_id: UUID,
        at: datetime,
        *,
        credits: int | None = None,
        partial: bool = False,
        actor: str | None = None,
        reason: str | None = None,
        idempotency_key: str | None = None,
        history: Sequence[CreditBalance] = (),
    ) -> LedgerEntry:
        """Give back debited credits: all that remains (``credits=None``) or some of them.

        ``history`` are the user's other balances with entries about the booking: a refund
        that comes after the debit's period closed is credited to the current period (this
        balance), capped by what the booking debited across all of them. A closed period
        takes no refunds (its credits have expired)."""
        self._require_open(at)
        books = [self, *(b for b in history if b.id != self.id)]
        if any(
            e.booking_id == booking_id and e.entry_type is EntryType.FORFEIT
            for b in books
            for e in b.entries
        ):
            raise RuleViolation("a forfeited booking is not refunded", booking_id=str(booking_id))
        refundable = refundable_for(booking_id, books)
        if sum(b.debited_for(booking_id) for b in books) == 0:
            raise RuleViolation("nothing was debited for this booking", booking_id=str(booking_id))
        amount = refundable if credits is None else positive_credits(credits)
        if amount == 0:
            raise Conflict("the booking is already fully refunded", booking_id=str(booking_id))
        if amount > refundable:
            raise RefundExceedsDebit(
                f"refund of {amount} exceeds the {refundable} credits left to refund",
                booking_id=str(booking_id),
                refundable=refundable,
            )
        entry_type = EntryType.PARTIAL_REFUND if partial else EntryType.REFUND_CREDIT
        return self._post(
            entry_type,
            amount,
            at,
            booking_id=booking_id,
            actor=actor,
            reason=reason,
            idempotency_key=idempotency_key,
        )

    def forfeit(
        self,
        booking_id: UUID,
        at: datetime,
        *,
        actor: str | None = None,
        reason: str | None = None,
        idempotency_key: str | None = None,
    ) -> LedgerEntry:
        """Record that a booking's debit is kept (late cancellation, no-show): amount 0."""
        if any(
            e.booking_id == booking_id and e.entry_type is EntryType.FORFEIT for e in self.entries
        ):
            raise Conflict("the booking is already forfeited", booking_id=str(booking_id))
        if self.net_debit_for(booking_id) <= 0:
            raise RuleViolation("nothing debited is left to forfeit", booking_id=str(booking_id))
        return self._post(
            EntryType.FORFEIT,
            0,
            at,
            booking_id=booking_id,
            actor=actor,
            reason=reason,
            idempotency_key=idempotency_key,
        )

    def adjust(
        self,
        credits: int,
        at: datetime,
        *,
        actor: str,
        reason: str,
        idempotency_key: str | None = None,
    ) -> LedgerEntry:
        """A manual correction by an admin, who must say who and why."""
        if isinstance(credits, bool) or not isinstance(credits, int) or credits == 0:
            raise ValidationFailed("credits", "non_zero_integer")
        _require_text(actor, "actor")
        _require_text(reason, "reason")
        self._require_open(at)
        if credits < 0:
            self._require_available(-credits)
        return self._post(
            EntryType.ADJUSTMENT,
            credits,
            at,
            actor=actor,
            reason=reason,
            idempotency_key=idempotency_key,
        )

    def reverse(
        self,
        entry_id: EntryId,
        at: datetime,
        *,
        actor: str,
        reason: str,
        idempotency_key: str | None = None,
    ) -> LedgerEntry:
        """Undo an allocation or adjustment with an opposite adjustment, at most once."""
        _require_text(actor, "actor")
        _require_text(reason, "reason")
        original = self.entry(entry_id)
        if original.entry_type not in REVERSIBLE_TYPES:
            raise ValidationFailed("entry_id", "reversible_entry_type")
        if any(e.reverses == entry_id for e in self.entries):
            raise Conflict("the entry is already reversed", entry_id=str(entry_id))
        self._require_open(at)
        if original.amount > 0:
            self._require_available(original.amount)
        return self._post(
            EntryType.ADJUSTMENT,
            -original.amount,
            at,
            actor=actor,
            reason=reason,
            reverses=entry_id,
            idempotency_key=idempotency_key,
        )

    def expire(self, at: datetime, *, idempotency_key: str | None = None) -> LedgerEntry | None:
        """Close the period: expire active holds and what is left, once. ``None`` if closed."""
        if self.is_closed:
            return None
        if at < self.ends_at:
            raise RuleViolation("the billing period has not ended", balance_id=str(self.id))
        for hold in [h for h in self.holds if h.status is HoldStatus.ACTIVE]:
            self._resolve(hold, HoldStatus.EXPIRED, at)
        return self._post(EntryType.EXPIRY, -self.balance, at, idempotency_key=idempotency_key)

    def warn_of_expiry(self, at: datetime, lead: timedelta) -> bool:
        """Record the expiry warning once, from ``lead`` before the period ends."""
        if self.expiry_warning_sent_at is not None or self.is_closed:
            return False
        if at < self.ends_at - lead:
            return False
        self.expiry_warning_sent_at = at
        self.record(
            ExpiryWarningDue(
                tenant_id=self.tenant_id,
                occurred_at=at,
                balance_id=self.id,
                user_id=self.user_id,
                credits=self.available,
                expires_at=self.ends_at,
            )
        )
        return True

    # -- internals -------------------------------------------------------------------------

    def _require_open(self, at: datetime) -> None:
        """Refuse changes once the period is closed or its end has passed."""
        if self.is_closed or at >= self.ends_at:
            raise PeriodClosed("the billing period is closed", balance_id=str(self.id))

    def _require_available(self, credits: int) -> None:
        if credits > self.available:
            raise InsufficientCredits(
                f"{credits} credits requested, {self.available} available",
                requested=credits,
                available=self.available,
            )

    def _active_hold_for(self, booking_id: UUID) -> bool:
        return any(h.booking_id == booking_id and h.status is HoldStatus.ACTIVE for h in self.holds)

    def _active_hold(self, hold_id: HoldId, target: HoldStatus) -> Hold:
        hold = self.hold(hold_id)
        if hold.status is not HoldStatus.ACTIVE:
            raise InvalidTransition("hold", hold.status.value, target.value)
        return hold

    def _resolve(self, hold: Hold, status: HoldStatus, at: datetime) -> Hold:
        resolved = attrs.evolve(hold, status=status, resolved_at=at)
        self.holds[self.holds.index(hold)] = resolved
        self._hold_event(resolved, at)
        return resolved

    def _hold_event(self, hold: Hold, at: datetime) -> None:
        self.record(
            HoldChanged(
                tenant_id=self.tenant_id,
                occurred_at=at,
                balance_id=self.id,
                user_id=self.user_id,
                hold_id=hold.id,
                booking_id=hold.booking_id,
                credits=hold.credits,
                status=hold.status,
            )
        )

    def _post(
        self,
        entry_type: EntryType,
        amount: int,
        at: datetime,
        *,
        actor: str | None = None,
        reason: str | None = None,
        booking_id: UUID | None = None,
        reverses: EntryId | None = None,
        idempotency_key: str | None = None,
    ) -> LedgerEntry:
        balance_after = self.balance + amount
        if balance_after - self.held < 0:
            raise InsufficientCredits("the ledger never goes below zero", available=self.available)
        if amount and max(balance_after, abs(self._sum(entry_type) + amount)) > MAX_TOTAL_CREDITS:
            raise ValidationFailed(
                "credits", "storage_range", "the balance's totals would overflow"
            )
        entry = LedgerEntry(
            id=EntryId(new_uuid()),
            balance_id=self.id,
            sequence=len(self.entries) + 1,
            entry_type=entry_type,
            amount=amount,
            balance_after=balance_after,
            created_at=at,
            actor=actor,
            reason=reason,
            booking_id=booking_id,
            reverses=reverses,
            idempotency_key=idempotency_key,
        )
        self.entries.append(entry)
        self.record(
            EntryPosted(
                tenant_id=self.tenant_id,
                occurred_at=at,
                actor=actor,
                reason=reason,
                balance_id=self.id,
                user_id=self.user_id,
                entry_id=entry.id,
                entry_type=entry_type,
                amount=amount,
                balance_after=balance_after,
                booking_id=booking_id,
            )
        )
        return entry


def refundable_for(booking_id: UUID, balances: Iterable[CreditBalance]) -> int:
    """What is left to refund of a booking: its debits less its refunds, across ``balances``
    (the debit's period and the later ones that took its late refunds)."""
    return sum(b.net_debit_for(booking_id) for b in balances)


def _require_text(value: str, field: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed(field, "required", f"{field} is required")
