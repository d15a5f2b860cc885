"""Repositories of billing: invoices (their lines as JSON through travelcore's one
converter) and venue payouts (Money as numeric columns beside one currency column)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

from psycopg.types.json import Jsonb
from sqlalchemy import bindparam, func, select

from travelcore.billing import (
    Invoice,
    InvoiceId,
    InvoiceLine,
    InvoiceStatus,
    PayoutId,
    PayoutStatus,
    VenuePayout,
)
from travelcore.catalog import VenueId
from travelcore.kernel import Money, TenantId, dumps, from_data, to_data
from travelcore.ledger import BillingPeriod, CorporateId, SubscriptionId
from travelcore_adapters.postgres.repositories.base import TableRepository
from travelcore_adapters.postgres.statements import ADVISORY_LOCK, Statement
from travelcore_adapters.postgres.tables.billing import invoices as inv
from travelcore_adapters.postgres.tables.billing import venue_payouts as pay

LAST_SEQUENCE = Statement(
    select(func.coalesce(func.max(inv.c.sequence), 0).label("last")).where(
        inv.c.tenant_id == bindparam("tid"), inv.c.corporate_id == bindparam("corporate_id")
    )
)


class PostgresInvoices(TableRepository[Invoice]):
    """``get`` and ``sent_due_before`` (the overdue sweep) lock the invoices' rows;
    ``last_sequence`` takes the corporate's numbering lock first, so concurrent issues of
    one corporate's invoices number one after another (all held until the transaction
    ends)."""

    table, entity = inv, "invoice"
    lock_on_get: ClassVar[bool] = True
    numbering_lock: ClassVar[bool] = True
    due_lock: ClassVar[bool] = True

    def to_row(self, entity: Invoice) -> dict[str, Any]:
        return {
            "tenant_id": entity.tenant_id,
            "id": entity.id,
            "corporate_id": entity.corporate_id,
            "subscription_id": entity.subscription_id,
            "sequence": entity.sequence,
            "number": entity.number,
            "period_start": entity.period.start,
            "period_end": entity.period.end,
            "currency": entity.currency,
            "lines": Jsonb(to_data(entity.lines), dumps),
            "tax_rate": entity.tax_rate,
            "tax": entity.tax.amount,
            "issued_on": entity.issued_on,
            "due_on": entity.due_on,
            "status": entity.status.value,
            "sent_at": entity.sent_at,
            "paid_at": entity.paid_at,
            "payment_reference": entity.payment_reference,
            "cancelled_at": entity.cancelled_at,
            "notes": entity.notes,
            "created_at": entity.created_at,
            "updated_at": entity.updated_at,
            "version": entity.version,
        }

    def to_entity(self, row: Any) -> Invoice:
        return Invoice(
            id=InvoiceId(row.id),
            tenant_id=TenantId(row.tenant_id),
            corporate_id=CorporateId(row.corporate_id),
            subscription_id=SubscriptionId(row.subscription_id),
            sequence=row.sequence,
            number=row.number,
            period=BillingPeriod(row.period_start, row.period_end),
            currency=row.currency,
            lines=from_data(row.lines, tuple[InvoiceLine, ...]),
            tax_rate=Decimal(row.tax_rate),
            tax=Money(row.tax, row.currency),
            issued_on=row.issued_on,
            due_on=row.due_on,
            status=InvoiceStatus(row.status),
            sent_at=row.sent_at,
            paid_at=row.paid_at,
            payment_reference=row.payment_reference,
            cancelled_at=row.cancelled_at,
            notes=row.notes,
            created_at=row.created_at,
            updated_at=row.updated_at,
            version=row.version,
        )

    def for_period(self, subscription_id: SubscriptionId, period_start: date) -> Invoice | None:
        return self._first(
            self._select(
                inv.c.subscription_id == subscription_id, inv.c.period_start == period_start
            )
        )

    def last_sequence(self, corporate_id: CorporateId) -> int:
        if self.numbering_lock:
            lock = f"{self.table.name}:{self._tid}:sequence:{corporate_id}"
            self._scope.enqueue(ADVISORY_LOCK, {"lock": lock})
        [row] = self._scope.rows(*self._query(LAST_SEQUENCE, corporate_id=corporate_id))
        return int(row.last)

    def sent_due_before(self, day: date) -> list[Invoice]:
        query = self._select(inv.c.status == InvoiceStatus.SENT.value, inv.c.due_on < day)
        query = query.order_by(inv.c.due_on, inv.c.number)
        return self._all(query.with_for_update(key_share=True) if self.due_lock else query)


class PostgresPayouts(TableRepository[VenuePayout]):
    """``get`` locks the payout's row (adjustments and moves of one payout queue)."""

    table, entity = pay, "payout"
    lock_on_get: ClassVar[bool] = True

    def to_row(self, entity: VenuePayout) -> dict[str, Any]:
        return {
            "tenant_id": entity.tenant_id,
            "id": entity.id,
            "venue_id": entity.venue_id,
            "period_start": entity.period_start,
            "period_end": entity.period_end,
            "bookings": entity.bookings,
            "attendees": entity.attendees,
            "credits": entity.credits,
            "currency": entity.currency,
            "credit_value": entity.credit_value.amount,
            "fee_rate": entity.fee_rate,
            "gross": entity.gross.amount,
            "fee": entity.fee.amount,
            "net": entity.net.amount,
            "adjustments": entity.adjustments.amount,
            "adjustment_notes": entity.adjustment_notes,
            "status": entity.status.value,
            "failure_reason": entity.failure_reason,
            "retry_count": entity.retry_count,
            "paid_at": entity.paid_at,
            "payment_reference": entity.payment_reference,
            "created_at": entity.created_at,
            "updated_at": entity.updated_at,
            "version": entity.version,
        }

    def to_entity(self, row: Any) -> VenuePayout:
        def money(value: Any) -> Money:
            return Money(value, row.currency)

        return VenuePayout(
            id=PayoutId(row.id),
            tenant_id=TenantId(row.tenant_id),
            venue_id=VenueId(row.venue_id),
            period_start=row.period_start,
            period_end=row.period_end,
            bookings=row.bookings,
            attendees=row.attendees,
            credits=row.credits,
            credit_value=money(row.credit_value),
            fee_rate=Decimal(row.fee_rate),
            gross=money(row.gross),
            fee=money(row.fee),
            net=money(row.net),
            adjustments=money(row.adjustments),
            adjustment_notes=row.adjustment_notes,
            status=PayoutStatus(row.status),
            failure_reason=row.failure_reason,
            retry_count=row.retry_count,
            paid_at=row.paid_at,
            payment_reference=row.payment_reference,
            created_at=row.created_at,
            updated_at=row.updated_at,
            version=row.version,
        )

    def for_period(self, venue_id: VenueId, period_start: date) -> VenuePayout | None:
        return self._first(
            self._select(pay.c.venue_id == venue_id, pay.c.period_start == period_start)
        )

    def with_status(self, status: PayoutStatus) -> list[VenuePayout]:
        query = self._select(pay.c.status == status.value)
        return self._all(query.order_by(pay.c.period_start, pay.c.venue_id))
