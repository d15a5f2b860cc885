"""Payments for trips: initiated -> succeeded | failed, with refunds capped by the capture."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import NewType
from uuid import UUID

import attrs

from travelcore.kernel import (
    InvalidTransition,
    Money,
    NotFound,
    TenantId,
    ValidationFailed,
    new_uuid,
    total,
    utc,
)
from travelcore.kernel.errors import RefundExceedsCaptured
from travelcore.travel import TripId

PaymentId = NewType("PaymentId", UUID)
RefundId = NewType("RefundId", UUID)


class PaymentStatus(StrEnum):
    INITIATED = "initiated"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class RefundStatus(StrEnum):
    PENDING = "pending"  # recorded (counted against the cap) before the provider is called
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # the provider refused it: it no longer counts


def _refund_id() -> RefundId:
    return RefundId(new_uuid())


@attrs.frozen(kw_only=True)
class Refund:
    provider_ref: str | None
    amount: Money
    created_at: datetime
    id: RefundId = attrs.field(factory=_refund_id)
    status: RefundStatus = RefundStatus.SUCCEEDED


@attrs.define(kw_only=True, on_setattr=attrs.setters.frozen)
class Payment:
    """Money taken for a trip through a gateway (``provider``, e.g. "stripe")."""

    id: PaymentId
    tenant_id: TenantId
    trip_id: TripId
    amount: Money
    provider: str
    provider_ref: str | None = None
    status: PaymentStatus = PaymentStatus.INITIATED
    failure: str | None = None
    refunds: tuple[Refund, ...] = ()
    created_at: datetime
    updated_at: datetime
    version: int = attrs.field(default=1, on_setattr=attrs.setters.NO_OP)
    """Changed only by a repository's ``save`` (see ``travelcore.kernel.repository``)."""

    def __attrs_post_init__(self) -> None:
        if self.amount.is_negative() or self.amount.is_zero():
            raise ValidationFailed("amount", "positive")

    @property
    def captured(self) -> Money:
        return self.amount if self.status is PaymentStatus.SUCCEEDED else Money.zero(self.currency)

    @property
    def currency(self) -> str:
        return self.amount.currency

    @property
    def refunded(self) -> Money:
        """What the provider refunded."""
        done = (r.amount for r in self.refunds if r.status is RefundStatus.SUCCEEDED)
        return total(done, self.currency)

    @property
    def refundable(self) -> Money:
        """The capture less every refund that succeeded or is still pending."""
        held = (r.amount for r in self.refunds if r.status is not RefundStatus.FAILED)
        return self.captured - total(held, self.currency)

    def refund(self, refund_id: RefundId) -> Refund:
        for refund in self.refunds:
            if refund.id == refund_id:
                return refund
        raise NotFound("refund", refund_id)

    def _settle(
        self,
        target: PaymentStatus,
        now: datetime,
        failure: str | None = None,
        provider_ref: str | None = None,
    ) -> Payment:
        if self.status is not PaymentStatus.INITIATED:
            raise InvalidTransition("payment", self.status, target)
        return attrs.evolve(
            self,
            status=target,
            failure=failure,
            provider_ref=provider_ref or self.provider_ref,
            updated_at=utc(now, "now"),
        )

    def started(self, provider_ref: str, now: datetime) -> Payment:
        """The gateway accepted the payment under ``provider_ref``; the outcome comes later
        (e.g. by webhook after 3-D Secure)."""
        if self.status is not PaymentStatus.INITIATED:
            raise InvalidTransition("payment", self.status, "started")
        return attrs.evolve(self, provider_ref=provider_ref, updated_at=utc(now, "now"))

    def succeeded(self, now: datetime, provider_ref: str | None = None) -> Payment:
        return self._settle(PaymentStatus.SUCCEEDED, now, provider_ref=provider_ref)

    def failed(self, reason: str, now: datetime, provider_ref: str | None = None) -> Payment:
        return self._settle(PaymentStatus.FAILED, now, reason, provider_ref)

    def check_refund(self, amount: Money) -> None:
        """Refuse a refund that is not positive or exceeds what is left of the capture."""
        if amount.currency != self.currency:
            raise ValidationFailed("amount", "same_currency")
        if amount.is_negative() or amount.is_zero():
            raise ValidationFailed("amount", "positive")
        if amount > self.refundable:
            raise RefundExceedsCaptured(
                f"refund of {amount} exceeds the refundable {self.refundable}",
                refundable=str(self.refundable),
            )

    def with_refund(self, refund: Refund) -> Payment:
        """Add a refund (pending or done), within the cap."""
        self.check_refund(refund.amount)
        return attrs.evolve(
            self,
            refunds=(*self.refunds, refund),
            updated_at=refund.created_at,
        )

    def refund_settled(
        self, refund_id: RefundId, provider_ref: str | None, now: datetime
    ) -> Payment:
        """A pending refund succeeded (``provider_ref`` given) or failed (``None``)."""
        pending = self.refund(refund_id)
        if pending.status is not RefundStatus.PENDING:
            raise InvalidTransition("refund", pending.status, "settled")
        settled = attrs.evolve(
            pending,
            provider_ref=provider_ref,
            status=RefundStatus.FAILED if provider_ref is None else RefundStatus.SUCCEEDED,
        )
        refunds = tuple(settled if r.id == refund_id else r for r in self.refunds)
        return attrs.evolve(self, refunds=refunds, updated_at=utc(now, "now"))
