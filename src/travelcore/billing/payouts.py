"""Venue payouts: one per venue and period, from the credits of its completed and no-show
bookings times the money value of a credit.

``gross`` = credits x credit value; ``fee`` = gross x the platform fee rate (17.5 % by default),
rounded half-up to the currency's minor unit; ``net`` = gross - fee, so gross = fee + net
exactly; ``payable`` = net + adjustments (refunds, disputes; never below zero).
pending -> processing -> paid | failed | on_hold; a failed or held payout goes back to
pending to be retried.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any, NewType
from uuid import UUID

import attrs

from travelcore.booking import BookingStatus
from travelcore.catalog import VenueId
from travelcore.kernel import (
    InvalidTransition,
    Money,
    TenantId,
    ValidationFailed,
    exact_money,
    new_uuid,
    utc,
)

PayoutId = NewType("PayoutId", UUID)

#: The booking outcomes a venue is paid for.
PAID_OUTCOMES = frozenset({BookingStatus.COMPLETED, BookingStatus.NO_SHOW})


class PayoutStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    PAID = "paid"
    FAILED = "failed"
    ON_HOLD = "on_hold"


PAYOUT_MOVES: dict[PayoutStatus, frozenset[PayoutStatus]] = {
    PayoutStatus.PENDING: frozenset({PayoutStatus.PROCESSING, PayoutStatus.ON_HOLD}),
    PayoutStatus.PROCESSING: frozenset(
        {PayoutStatus.PAID, PayoutStatus.FAILED, PayoutStatus.ON_HOLD}
    ),
    PayoutStatus.FAILED: frozenset({PayoutStatus.PENDING}),
    PayoutStatus.ON_HOLD: frozenset({PayoutStatus.PENDING}),
    PayoutStatus.PAID: frozenset(),
}


@attrs.frozen(kw_only=True)
class PayoutBooking:
    """What a booking brings a venue: the credits it kept (charged less refunded)."""

    status: BookingStatus
    credits_charged: int
    credits_refunded: int = 0
    attendees: int = 1

    @property
    def credits(self) -> int:
        return max(self.credits_charged - self.credits_refunded, 0)


def _fee_rate(_: object, attribute: attrs.Attribute[Decimal], value: Any) -> None:
    finite = isinstance(value, Decimal) and value.is_finite()
    if not finite or not Decimal(0) <= value < Decimal(1):
        raise ValidationFailed(attribute.name, "decimal_rate_in_0_1")


def _count(_: object, attribute: attrs.Attribute[int], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationFailed(attribute.name, "non_negative_integer")


def platform_fee(gross: Money, rate: Decimal) -> Money:
    """``gross x rate``, rounded half-up to the currency's minor unit."""
    return (gross * rate).rounded(ROUND_HALF_UP)


@attrs.define(kw_only=True, on_setattr=attrs.setters.frozen)
class VenuePayout:
    id: PayoutId
    tenant_id: TenantId
    venue_id: VenueId
    period_start: date
    period_end: date
    bookings: int = attrs.field(validator=_count)
    attendees: int = attrs.field(validator=_count)
    credits: int = attrs.field(validator=_count)
    credit_value: Money = attrs.field(validator=exact_money)
    fee_rate: Decimal = attrs.field(validator=_fee_rate)
    gross: Money = attrs.field(validator=exact_money)
    fee: Money = attrs.field(validator=exact_money)
    net: Money = attrs.field(validator=exact_money)
    adjustments: Money = attrs.field(validator=exact_money)
    adjustment_notes: str | None = None
    status: PayoutStatus = PayoutStatus.PENDING
    failure_reason: str | None = None
    retry_count: int = 0
    paid_at: datetime | None = None
    payment_reference: str | None = None
    created_at: datetime
    updated_at: datetime
    version: int = attrs.field(default=1, on_setattr=attrs.setters.NO_OP)
    """Changed only by a repository's ``save`` (see ``travelcore.kernel.repository``)."""

    def __attrs_post_init__(self) -> None:
        if self.period_end <= self.period_start:
            raise ValidationFailed("period_end", "after_period_start")
        money = (self.gross, self.fee, self.net, self.adjustments)
        if any(m.currency != self.credit_value.currency for m in money):
            raise ValidationFailed("adjustments", "single_currency")
        if self.gross != self.credit_value * self.credits:
            raise ValidationFailed("gross", "credits_times_credit_value")
        if self.fee != platform_fee(self.gross, self.fee_rate):
            raise ValidationFailed("fee", "gross_times_fee_rate")
        if self.gross != self.fee + self.net:
            raise ValidationFailed("net", "gross_minus_fee")
        if self.payable.is_negative():
            raise ValidationFailed("adjustments", "payable_not_negative")

    @classmethod
    def compute(
        cls,
        tenant_id: TenantId,
        *,
        venue_id: VenueId,
        period_start: date,
        period_end: date,
        bookings: Iterable[PayoutBooking],
        credit_value: Money,
        fee_rate: Decimal,
        now: datetime,
        adjustments: Money | None = None,
        adjustment_notes: str | None = None,
    ) -> VenuePayout:
        """The payout of a venue's bookings in ``[period_start, period_end)``; bookings that
        were neither completed nor no-shows bring nothing."""
        counted = [b for b in bookings if b.status in PAID_OUTCOMES]
        credits = sum(b.credits for b in counted)
        gross = (credit_value.exact("credit_value") * credits).exact("gross")
        fee = platform_fee(gross, fee_rate)
        at = utc(now, "now")
        return cls(
            id=PayoutId(new_uuid()),
            tenant_id=tenant_id,
            venue_id=venue_id,
            period_start=period_start,
            period_end=period_end,
            bookings=len(counted),
            attendees=sum(b.attendees for b in counted if b.status is BookingStatus.COMPLETED),
            credits=credits,
            credit_value=credit_value,
            fee_rate=fee_rate,
            gross=gross,
            fee=fee,
            net=gross - fee,
            adjustments=adjustments or Money.zero(credit_value.currency),
            adjustment_notes=adjustment_notes,
            created_at=at,
            updated_at=at,
        )

    @property
    def currency(self) -> str:
        return self.credit_value.currency

    @property
    def payable(self) -> Money:
        """What the venue receives: net plus adjustments."""
        return self.net + self.adjustments

    def _move(self, target: PayoutStatus, now: datetime, **changes: Any) -> VenuePayout:
        if target not in PAYOUT_MOVES[self.status]:
            raise InvalidTransition("payout", self.status, target)
        return attrs.evolve(
            self,
            status=target,
            updated_at=utc(now, "now"),
            **changes,
        )

    def adjusted(self, amount: Money, notes: str, now: datetime) -> VenuePayout:
        """Add ``amount`` (negative for a clawback) while the payout is pending or on hold."""
        if self.status not in (PayoutStatus.PENDING, PayoutStatus.ON_HOLD):
            raise InvalidTransition("payout", self.status, "adjusted")
        return attrs.evolve(
            self,
            adjustments=self.adjustments + amount.exact("amount"),
            adjustment_notes=notes,
            updated_at=utc(now, "now"),
        )

    def processing(self, now: datetime) -> VenuePayout:
        return self._move(PayoutStatus.PROCESSING, now)

    def paid(self, reference: str, now: datetime) -> VenuePayout:
        return self._move(
            PayoutStatus.PAID, now, paid_at=utc(now, "now"), payment_reference=reference
        )

    def failed(self, reason: str, now: datetime) -> VenuePayout:
        return self._move(PayoutStatus.FAILED, now, failure_reason=reason)

    def held(self, reason: str, now: datetime) -> VenuePayout:
        return self._move(PayoutStatus.ON_HOLD, now, failure_reason=reason)

    def retried(self, now: datetime) -> VenuePayout:
        """Back to pending after a failure or a hold (a failure counts as a retry)."""
        retries = self.retry_count + (self.status is PayoutStatus.FAILED)
        return self._move(PayoutStatus.PENDING, now, retry_count=retries, failure_reason=None)
