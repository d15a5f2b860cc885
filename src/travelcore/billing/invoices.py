"""Corporate invoices: one per subscription and billing period, numbered sequentially per
corporate, with line items, tax and a total exact to the currency's minor unit.

draft -> sent -> paid | overdue | cancelled (an overdue invoice can still be paid or
cancelled; a draft can be cancelled). The total is always the sum of the lines plus the tax;
the tax is the subtotal times the tax rate, rounded half-up to the minor unit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any, NewType
from uuid import UUID

import attrs

from travelcore.kernel import (
    InvalidTransition,
    Money,
    TenantId,
    ValidationFailed,
    exact_money,
    new_uuid,
    total,
    utc,
)
from travelcore.ledger import BillingPeriod, CorporateId, SubscriptionId

InvoiceId = NewType("InvoiceId", UUID)

#: Bounds on what an invoice holds.
MAX_LINES = 200
MAX_QUANTITY = 1_000_000
MAX_DESCRIPTION = 200


class InvoiceStatus(StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    PAID = "paid"
    OVERDUE = "overdue"
    CANCELLED = "cancelled"


INVOICE_MOVES: dict[InvoiceStatus, frozenset[InvoiceStatus]] = {
    InvoiceStatus.DRAFT: frozenset({InvoiceStatus.SENT, InvoiceStatus.CANCELLED}),
    InvoiceStatus.SENT: frozenset(
        {InvoiceStatus.PAID, InvoiceStatus.OVERDUE, InvoiceStatus.CANCELLED}
    ),
    InvoiceStatus.OVERDUE: frozenset({InvoiceStatus.PAID, InvoiceStatus.CANCELLED}),
    InvoiceStatus.PAID: frozenset(),
    InvoiceStatus.CANCELLED: frozenset(),
}


def _description(_: object, attribute: attrs.Attribute[str], value: Any) -> None:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_DESCRIPTION:
        raise ValidationFailed(attribute.name, f"text_1_to_{MAX_DESCRIPTION}")


def _quantity(_: object, attribute: attrs.Attribute[int], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_QUANTITY:
        raise ValidationFailed(attribute.name, f"integer_1_to_{MAX_QUANTITY}")


def _tax_rate(_: object, attribute: attrs.Attribute[Decimal], value: Any) -> None:
    finite = isinstance(value, Decimal) and value.is_finite()
    if not finite or not Decimal(0) <= value < Decimal(1):
        raise ValidationFailed(attribute.name, "decimal_rate_in_0_1")


@attrs.frozen(kw_only=True)
class InvoiceLine:
    """``quantity`` x ``unit_price`` (e.g. 40 seats x 25.00 EUR)."""

    description: str = attrs.field(validator=_description)
    quantity: int = attrs.field(validator=_quantity)
    unit_price: Money = attrs.field(validator=exact_money)

    def __attrs_post_init__(self) -> None:
        if self.unit_price.is_negative():
            raise ValidationFailed("unit_price", "non_negative")
        self.amount.exact("quantity")

    @property
    def amount(self) -> Money:
        return self.unit_price * self.quantity


def tax_on(subtotal: Money, rate: Decimal) -> Money:
    """``subtotal x rate``, rounded half-up to the currency's minor unit."""
    return (subtotal * rate).rounded(ROUND_HALF_UP)


def invoice_number(prefix: str, sequence: int) -> str:
    """``"ACME-000042"``: the corporate's prefix and its invoice sequence."""
    return f"{prefix}-{sequence:06d}"


@attrs.define(kw_only=True, on_setattr=attrs.setters.frozen)
class Invoice:
    id: InvoiceId
    tenant_id: TenantId
    corporate_id: CorporateId
    subscription_id: SubscriptionId
    sequence: int
    number: str
    period: BillingPeriod
    currency: str
    lines: tuple[InvoiceLine, ...]
    tax_rate: Decimal = attrs.field(validator=_tax_rate)
    tax: Money = attrs.field(validator=exact_money)
    issued_on: date
    due_on: date
    status: InvoiceStatus = InvoiceStatus.DRAFT
    sent_at: datetime | None = None
    paid_at: datetime | None = None
    payment_reference: str | None = None
    cancelled_at: datetime | None = None
    notes: str | None = None
    created_at: datetime
    updated_at: datetime
    version: int = attrs.field(default=1, on_setattr=attrs.setters.NO_OP)
    """Changed only by a repository's ``save`` (see ``travelcore.kernel.repository``)."""

    def __attrs_post_init__(self) -> None:
        if not self.lines or len(self.lines) > MAX_LINES:
            raise ValidationFailed("lines", f"1_to_{MAX_LINES}_lines")
        if any(line.unit_price.currency != self.currency for line in self.lines):
            raise ValidationFailed("lines", "single_currency")
        if self.sequence < 1:
            raise ValidationFailed("sequence", "positive")
        if self.tax != tax_on(self.subtotal, self.tax_rate):
            raise ValidationFailed("tax", "subtotal_times_rate")
        if self.due_on < self.issued_on:
            raise ValidationFailed("due_on", "not_before_issued_on")
        self.total.exact("lines")

    @classmethod
    def draft(
        cls,
        tenant_id: TenantId,
        *,
        corporate_id: CorporateId,
        subscription_id: SubscriptionId,
        sequence: int,
        prefix: str,
        period: BillingPeriod,
        lines: Sequence[InvoiceLine],
        tax_rate: Decimal,
        issued_on: date,
        terms: timedelta,
        now: datetime,
        notes: str | None = None,
    ) -> Invoice:
        """A draft invoice, due ``terms`` (net-30 by default) after ``issued_on``."""
        if not lines:
            raise ValidationFailed("lines", f"1_to_{MAX_LINES}_lines")
        currency = lines[0].unit_price.currency
        subtotal = total((line.amount for line in lines), currency)
        _tax_rate(None, attrs.fields(cls).tax_rate, tax_rate)
        at = utc(now, "now")
        return cls(
            id=InvoiceId(new_uuid()),
            tenant_id=tenant_id,
            corporate_id=corporate_id,
            subscription_id=subscription_id,
            sequence=sequence,
            number=invoice_number(prefix, sequence),
            period=period,
            currency=currency,
            lines=tuple(lines),
            tax_rate=tax_rate,
            tax=tax_on(subtotal, tax_rate),
            issued_on=issued_on,
            due_on=issued_on + timedelta(days=terms.days),
            notes=notes,
            created_at=at,
            updated_at=at,
        )

    @property
    def subtotal(self) -> Money:
        return total((line.amount for line in self.lines), self.currency)

    @property
    def total(self) -> Money:
        return self.subtotal + self.tax

    def _move(self, target: InvoiceStatus, now: datetime, **changes: Any) -> Invoice:
        if target not in INVOICE_MOVES[self.status]:
            raise InvalidTransition("invoice", self.status, target)
        at = utc(now, "now")
        return attrs.evolve(self, status=target, updated_at=at, **changes)

    def sent(self, now: datetime) -> Invoice:
        return self._move(InvoiceStatus.SENT, now, sent_at=utc(now, "now"))

    def paid(self, amount: Money, reference: str, now: datetime) -> Invoice:
        """Paid in full: ``amount`` must be the total (``ValidationFailed`` otherwise)."""
        if amount != self.total:
            raise ValidationFailed("amount", "equals_total", f"the invoice is {self.total}")
        return self._move(
            InvoiceStatus.PAID, now, paid_at=utc(now, "now"), payment_reference=reference
        )

    def is_overdue(self, today: date) -> bool:
        return self.status is InvoiceStatus.SENT and today > self.due_on

    def overdue(self, now: datetime) -> Invoice:
        return self._move(InvoiceStatus.OVERDUE, now)

    def cancelled(self, now: datetime) -> Invoice:
        return self._move(InvoiceStatus.CANCELLED, now, cancelled_at=utc(now, "now"))
