"""Repositories of the payments context: payments with their refunds (Money as numeric and
currency columns), and the log of handled webhook events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar

import attrs
from sqlalchemy import bindparam, or_, select

from travelcore.kernel import Money, TenantId
from travelcore.payments import Payment, PaymentId, PaymentStatus, Refund, RefundId, RefundStatus
from travelcore.travel import TripId
from travelcore_adapters.postgres.repositories.base import TableRepository
from travelcore_adapters.postgres.repositories.scope import PostgresScope
from travelcore_adapters.postgres.statements import Statement, insert_values
from travelcore_adapters.postgres.tables.payments import payment_refunds as ref
from travelcore_adapters.postgres.tables.payments import payments as pay
from travelcore_adapters.postgres.tables.payments import webhook_events as hooks


def _upsert_refunds() -> Statement:
    stmt = insert_values(ref)
    return Statement(
        stmt.on_conflict_do_update(
            index_elements=[ref.c.tenant_id, ref.c.id],
            set_={"provider_ref": stmt.excluded.provider_ref, "status": stmt.excluded.status},
            where=ref.c.payment_id == stmt.excluded.payment_id,
        )
    )


UPSERT_REFUND = _upsert_refunds()
REFUNDS = Statement(
    select(ref)
    .where(ref.c.tenant_id == bindparam("tid"), ref.c.payment_id == bindparam("payment_id"))
    .order_by(ref.c.position)
)


def _refund(row: Any) -> Refund:
    return Refund(
        id=RefundId(row.id),
        provider_ref=row.provider_ref,
        amount=Money(row.amount, row.currency),
        created_at=row.created_at,
        status=RefundStatus(row.status),
    )


class PostgresPayments(TableRepository[Payment]):
    """Payments of the unit of work's tenant. ``get`` locks the payment's row, so
    concurrent refunds of one payment queue on it and each sees the refunds before it.
    Refunds are only added or settled: a save upserts those that changed (their status
    and provider reference change, nothing else)."""

    table, entity = pay, "payment"
    insert_conflict = "primary_key"  # a second in-flight payment is a Conflict
    lock_on_get: ClassVar[bool] = True

    def __init__(self, scope: PostgresScope) -> None:
        super().__init__(scope)
        self._refunds: dict[PaymentId, tuple[Refund, ...]] = {}

    def to_row(self, entity: Payment) -> dict[str, Any]:
        return {
            "tenant_id": entity.tenant_id,
            "id": entity.id,
            "trip_id": entity.trip_id,
            "amount": entity.amount.amount,
            "currency": entity.amount.currency,
            "provider": entity.provider,
            "provider_ref": entity.provider_ref,
            "status": entity.status.value,
            "failure": entity.failure,
            "created_at": entity.created_at,
            "updated_at": entity.updated_at,
            "version": entity.version,
        }

    def to_entity(self, row: Any) -> Payment:
        return Payment(
            id=PaymentId(row.id),
            tenant_id=TenantId(row.tenant_id),
            trip_id=TripId(row.trip_id),
            amount=Money(row.amount, row.currency),
            provider=row.provider,
            provider_ref=row.provider_ref,
            status=PaymentStatus(row.status),
            failure=row.failure,
            refunds=self._refunds.get(PaymentId(row.id), ()),
            created_at=row.created_at,
            updated_at=row.updated_at,
            version=row.version,
        )

    def _entities(self, rows: Sequence[Any]) -> list[Payment]:
        """Payments with their refunds (read in one round trip for all of them)."""
        queries = [(REFUNDS, {"tid": self._tid, "payment_id": row.id}) for row in rows]
        for row, found in zip(rows, self._scope.rows_of_all(queries), strict=True):
            self._refunds[PaymentId(row.id)] = tuple(_refund(r) for r in found)
        return super()._entities(rows)

    def _write_children(self, entity: Payment, *, added: bool) -> None:
        known = {r.id: r for r in self._refunds.get(entity.id, ())}
        rows = [
            _refund_row(entity, position, refund)
            for position, refund in enumerate(entity.refunds)
            if known.get(refund.id) != refund
        ]
        self._scope.write_many(UPSERT_REFUND, rows)
        self._refunds[entity.id] = entity.refunds

    def for_trip(self, trip_id: TripId) -> Sequence[Payment]:
        return self._all(
            self._select(pay.c.trip_id == trip_id).order_by(pay.c.created_at, pay.c.id)
        )

    def needing_settlement(self, before: datetime) -> Sequence[Payment]:
        pending = (
            select(ref.c.payment_id)
            .where(
                ref.c.tenant_id == self._tid,
                ref.c.status == RefundStatus.PENDING.value,
                ref.c.created_at < before,
            )
            .scalar_subquery()
        )
        initiated = (pay.c.status == PaymentStatus.INITIATED.value) & (pay.c.created_at < before)
        return self._all(
            self._select(or_(initiated, pay.c.id.in_(pending))).order_by(pay.c.created_at, pay.c.id)
        )

    def find_by_provider_ref(self, provider_ref: str) -> Payment | None:
        return self._first(self._select(pay.c.provider_ref == provider_ref))


def _refund_row(payment: Payment, position: int, refund: Refund) -> dict[str, Any]:
    return {
        "tenant_id": payment.tenant_id,
        "id": refund.id,
        "payment_id": payment.id,
        "position": position,
        "amount": refund.amount.amount,
        "currency": refund.amount.currency,
        "provider_ref": refund.provider_ref,
        "status": refund.status.value,
        "created_at": refund.created_at,
    }


@attrs.frozen
class HandledEvent:
    """A provider's webhook event, recorded once handled."""

    tenant_id: TenantId
    event_id: str
    received_at: datetime


class PostgresHandledEvents(TableRepository[HandledEvent]):
    table, entity = hooks, "webhook event"
    audited = False  # a technical record, not a change of the domain

    def to_row(self, entity: HandledEvent) -> dict[str, Any]:
        return attrs.asdict(entity)

    def to_entity(self, row: Any) -> HandledEvent:
        return HandledEvent(TenantId(row.tenant_id), row.event_id, row.received_at)

    def find(self, event_id: str) -> HandledEvent | None:
        return self._find(event_id)


class PostgresWebhookEvents:
    def __init__(self, scope: PostgresScope) -> None:
        self._scope = scope
        self._events = PostgresHandledEvents(scope)

    def seen(self, event_id: str) -> bool:
        return self._events.find(event_id) is not None

    def add(self, event_id: str, received_at: datetime) -> None:
        self._events.add(HandledEvent(self._scope.tenant_id, event_id, received_at))
