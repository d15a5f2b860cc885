"""Repositories of the payments context: payments with their refunds (Money as numeric and
currency columns), and the log of handled webhook events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Text, or_, select
from sqlalchemy.dialects.postgresql import insert

from travelcore.kernel import AlreadyExists, Money, NotFound, TenantId
from travelcore.payments import Payment, PaymentId, PaymentStatus, Refund, RefundId, RefundStatus
from travelcore.travel import TripId
from travelcore_adapters.postgres.repositories.common import insert_new, own, save_versioned
from travelcore_adapters.postgres.tables.payments import payment_refunds as ref
from travelcore_adapters.postgres.tables.payments import payments as pay
from travelcore_adapters.postgres.tables.payments import webhook_events as hooks

if TYPE_CHECKING:
    from travelcore_adapters.postgres.uow import PostgresUnitOfWork


def _values(payment: Payment) -> dict[str, Any]:
    return {
        "provider_ref": payment.provider_ref,
        "status": payment.status.value,
        "failure": payment.failure,
        "updated_at": payment.updated_at,
    }


def _refund_row(tenant_id: TenantId, payment: Payment, position: int, r: Refund) -> dict[str, Any]:
    return {
        "tenant_id": tenant_id,
        "id": r.id,
        "payment_id": payment.id,
        "position": position,
        "amount": r.amount.amount,
        "currency": r.amount.currency,
        "provider_ref": r.provider_ref,
        "status": r.status.value,
        "created_at": r.created_at,
    }


class PostgresPayments:
    """Payments of the unit of work's tenant. Refunds are only added or settled: ``save``
    upserts them by id (their status and provider reference change, nothing else)."""

    def __init__(self, uow: PostgresUnitOfWork) -> None:
        self._uow = uow

    @property
    def _tid(self) -> TenantId:
        return self._uow.tenant_id

    def add(self, payment: Payment) -> None:
        own(self._uow, payment.tenant_id, "payment")
        insert_new(
            self._uow,
            pay,
            dict(
                tenant_id=payment.tenant_id,
                id=payment.id,
                trip_id=payment.trip_id,
                amount=payment.amount.amount,
                currency=payment.amount.currency,
                provider=payment.provider,
                created_at=payment.created_at,
                version=payment.version,
                **_values(payment),
            ),
            "payment",
            primary_key_only=True,  # a second in-flight payment is a Conflict, not a duplicate
        )
        self._write_refunds(payment)

    def _write_refunds(self, payment: Payment) -> None:
        if not payment.refunds:
            return
        rows = [_refund_row(self._tid, payment, n, r) for n, r in enumerate(payment.refunds)]
        stmt = insert(ref)
        self._uow.execute(
            stmt.on_conflict_do_update(
                index_elements=[ref.c.tenant_id, ref.c.id],
                set_={"provider_ref": stmt.excluded.provider_ref, "status": stmt.excluded.status},
                where=ref.c.payment_id == stmt.excluded.payment_id,
            ),
            rows,
        )

    def get(self, payment_id: PaymentId) -> Payment:
        found = self._select(pay.c.id == payment_id)
        if not found:
            raise NotFound("payment", payment_id)
        return found[0]

    def save(self, payment: Payment) -> None:
        own(self._uow, payment.tenant_id, "payment")
        save_versioned(
            self._uow,
            pay,
            [pay.c.id == payment.id],
            payment.version,
            _values(payment),
            "payment",
            payment.id,
        )
        self._write_refunds(payment)

    def for_trip(self, trip_id: TripId) -> Sequence[Payment]:
        return self._select(pay.c.trip_id == trip_id)

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
        return self._select(or_(initiated, pay.c.id.in_(pending)))

    def find_by_provider_ref(self, provider_ref: str) -> Payment | None:
        found = self._select(pay.c.provider_ref == provider_ref)
        return found[0] if found else None

    def _select(self, *where: Any) -> list[Payment]:
        rows = self._uow.execute(
            select(pay)
            .where(pay.c.tenant_id == self._tid, *where)
            .order_by(pay.c.created_at, pay.c.id.cast(Text))
        ).all()
        if not rows:
            return []
        refunds: dict[Any, list[Refund]] = {row.id: [] for row in rows}
        for r in self._uow.execute(
            select(ref)
            .where(ref.c.tenant_id == self._tid, ref.c.payment_id.in_(list(refunds)))
            .order_by(ref.c.payment_id, ref.c.position)
        ):
            refunds[r.payment_id].append(
                Refund(
                    id=RefundId(r.id),
                    provider_ref=r.provider_ref,
                    amount=Money(r.amount, r.currency),
                    created_at=r.created_at,
                    status=RefundStatus(r.status),
                )
            )
        return [
            Payment(
                id=PaymentId(row.id),
                tenant_id=TenantId(row.tenant_id),
                trip_id=TripId(row.trip_id),
                amount=Money(row.amount, row.currency),
                provider=row.provider,
                provider_ref=row.provider_ref,
                status=PaymentStatus(row.status),
                failure=row.failure,
                refunds=tuple(refunds[row.id]),
                created_at=row.created_at,
                updated_at=row.updated_at,
                version=row.version,
            )
            for row in rows
        ]


class PostgresWebhookEvents:
    def __init__(self, uow: PostgresUnitOfWork) -> None:
        self._uow = uow

    def seen(self, event_id: str) -> bool:
        row = self._uow.execute(
            select(hooks.c.event_id).where(
                hooks.c.tenant_id == self._uow.tenant_id, hooks.c.event_id == event_id
            )
        ).first()
        return row is not None

    def add(self, event_id: str, received_at: datetime) -> None:
        stmt = (
            insert(hooks)
            .values(tenant_id=self._uow.tenant_id, event_id=event_id, received_at=received_at)
            .on_conflict_do_nothing(index_elements=[hooks.c.tenant_id, hooks.c.event_id])
            .returning(hooks.c.event_id)
        )
        if self._uow.execute(stmt).first() is None:
            raise AlreadyExists(f"webhook event {event_id} was handled", entity="webhook event")
