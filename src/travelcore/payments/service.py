"""Paying for trips, refunding, and applying provider webhooks at most once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import StrEnum

import attrs

from travelcore.kernel import (
    Clock,
    Conflict,
    InvalidTransition,
    Money,
    PaymentDeclined,
    TenantId,
    new_uuid,
    run_idempotent,
    total,
)
from travelcore.payments.model import Payment, PaymentId, PaymentStatus, Refund
from travelcore.payments.ports import TENANT_METADATA_KEY, PaymentGateway, PaymentsUnitOfWork
from travelcore.travel import TripId, TripStatus

PaymentsUowFactory = Callable[[TenantId], PaymentsUnitOfWork]


class WebhookOutcome(StrEnum):
    APPLIED = "applied"  # the event changed a payment
    RECORDED = "recorded"  # new, but nothing to change (e.g. already settled)
    REPLAY = "replay"  # seen before: ignored
    UNROUTED = "unrouted"  # no tenant in the event's metadata: ignored


@attrs.frozen(kw_only=True)
class PayTrip:
    """Charge what is still due on a trip with ``payment_method`` (a provider token)."""

    tenant_id: TenantId
    trip_id: TripId
    payment_method: str
    idempotency_key: str


@attrs.frozen(kw_only=True)
class RefundPayment:
    """Refund ``amount`` of a payment, or everything still refundable when ``None``."""

    tenant_id: TenantId
    payment_id: PaymentId
    amount: Money | None = None
    idempotency_key: str


@attrs.frozen(kw_only=True)
class RefundTrip:
    """Return everything still refundable on a cancelled trip."""

    tenant_id: TenantId
    trip_id: TripId
    idempotency_key: str


@attrs.frozen(kw_only=True)
class PaymentResult:
    payment_id: PaymentId
    status: PaymentStatus
    amount: Money
    provider_ref: str | None
    failure: str | None = None


@attrs.frozen(kw_only=True)
class RefundResult:
    payment_id: PaymentId
    provider_ref: str
    amount: Money
    refunded: Money
    refundable: Money


@attrs.frozen(kw_only=True)
class TripRefund:
    trip_id: TripId
    refunds: tuple[RefundResult, ...]


class PaymentService:
    """Use cases over a :class:`PaymentGateway`. Travelcore itself enforces idempotency and
    refund caps: a provider that ignores idempotency keys or over-refunds changes nothing."""

    def __init__(self, uow_factory: PaymentsUowFactory, gateway: PaymentGateway, clock: Clock):
        self._uow = uow_factory
        self._gateway = gateway
        self._clock = clock

    def pay(self, cmd: PayTrip) -> PaymentResult:
        """Pay what is due (the total less what was captured already, refunds notwithstanding);
        success confirms a pending trip. A declined card gives a
        ``failed`` result (recorded, with the reason) rather than an exception."""
        now = self._clock.now()
        provider_key = f"{cmd.tenant_id}:{cmd.idempotency_key}"
        with self._uow(cmd.tenant_id) as uow:

            def action() -> PaymentResult:
                trip = uow.trips.get(cmd.trip_id)
                if trip.status is TripStatus.CANCELLED:
                    raise InvalidTransition("trip", trip.status, "paid")
                paid = total((p.captured for p in uow.payments.for_trip(trip.id)), trip.currency)
                due = trip.total - paid
                if due.is_negative() or due.is_zero():
                    raise Conflict("the trip is already paid", trip_id=str(trip.id))
                payment = Payment(
                    id=PaymentId(new_uuid()),
                    tenant_id=cmd.tenant_id,
                    trip_id=trip.id,
                    amount=due,
                    provider=self._gateway.name,
                    created_at=now,
                    updated_at=now,
                )
                created = self._gateway.create_payment(
                    due,
                    payment_method=cmd.payment_method,
                    idempotency_key=f"{provider_key}:create",
                    metadata={TENANT_METADATA_KEY: str(cmd.tenant_id), "trip_id": str(trip.id)},
                )
                payment = payment.started(created.provider_ref)
                try:
                    outcome = self._gateway.confirm_payment(
                        created.provider_ref, idempotency_key=f"{provider_key}:confirm"
                    )
                except PaymentDeclined as declined:
                    payment = payment.failed(declined.message, now)
                else:
                    if outcome.status is PaymentStatus.SUCCEEDED:
                        payment = payment.succeeded(now)
                        if trip.status is TripStatus.PENDING:
                            uow.trips.save(trip.confirmed(now))
                    elif outcome.status is PaymentStatus.FAILED:
                        payment = payment.failed("the provider did not capture the payment", now)
                uow.payments.add(payment)
                return PaymentResult(
                    payment_id=payment.id,
                    status=payment.status,
                    amount=payment.amount,
                    provider_ref=payment.provider_ref,
                    failure=payment.failure,
                )

            result = run_idempotent(uow, cmd.idempotency_key, cmd, PaymentResult, now, action)
            uow.commit()
        return result

    def refund(self, cmd: RefundPayment) -> RefundResult:
        """Refund part or all of a payment; never more than was captured and not refunded."""
        now = self._clock.now()
        with self._uow(cmd.tenant_id) as uow:

            def action() -> RefundResult:
                payment = uow.payments.get(cmd.payment_id)
                if payment.provider_ref is None:
                    raise InvalidTransition("payment", payment.status, "refunded")
                amount = cmd.amount if cmd.amount is not None else payment.refundable
                payment.check_refund(amount)
                refund = self._gateway.refund(
                    payment.provider_ref,
                    amount,
                    idempotency_key=f"{cmd.tenant_id}:{cmd.idempotency_key}:refund",
                )
                payment = payment.with_refund(
                    Refund(provider_ref=refund.provider_ref, amount=amount, created_at=now)
                )
                uow.payments.save(payment)
                return RefundResult(
                    payment_id=payment.id,
                    provider_ref=refund.provider_ref,
                    amount=amount,
                    refunded=payment.refunded,
                    refundable=payment.refundable,
                )

            result = run_idempotent(uow, cmd.idempotency_key, cmd, RefundResult, now, action)
            uow.commit()
        return result

    def refund_trip(self, cmd: RefundTrip) -> TripRefund:
        """After a cancellation, refund every payment of the trip in full (what is left)."""
        now = self._clock.now()
        with self._uow(cmd.tenant_id) as uow:

            def action() -> TripRefund:
                trip = uow.trips.get(cmd.trip_id)
                if trip.status is not TripStatus.CANCELLED:
                    raise InvalidTransition("trip", trip.status, "refunded")
                results = []
                for payment in uow.payments.for_trip(trip.id):
                    amount = payment.refundable
                    if payment.provider_ref is None or amount.is_zero():
                        continue
                    refund = self._gateway.refund(
                        payment.provider_ref,
                        amount,
                        idempotency_key=f"{cmd.tenant_id}:{cmd.idempotency_key}:{payment.id}",
                    )
                    payment = payment.with_refund(
                        Refund(provider_ref=refund.provider_ref, amount=amount, created_at=now)
                    )
                    uow.payments.save(payment)
                    results.append(
                        RefundResult(
                            payment_id=payment.id,
                            provider_ref=refund.provider_ref,
                            amount=amount,
                            refunded=payment.refunded,
                            refundable=payment.refundable,
                        )
                    )
                return TripRefund(trip_id=trip.id, refunds=tuple(results))

            result = run_idempotent(uow, cmd.idempotency_key, cmd, TripRefund, now, action)
            uow.commit()
        return result

    def handle_webhook(self, payload: bytes, signature: str) -> WebhookOutcome:
        """Verify and apply a provider event at most once (its id is stored with the change)."""
        event = self._gateway.parse_webhook(payload, signature)
        if event.tenant_id is None:
            return WebhookOutcome.UNROUTED
        now = self._clock.now()
        with self._uow(event.tenant_id) as uow:
            if uow.webhook_events.seen(event.id):
                return WebhookOutcome.REPLAY
            uow.webhook_events.add(event.id, now)
            payment = (
                uow.payments.find_by_provider_ref(event.provider_ref)
                if event.provider_ref
                else None
            )
            outcome = WebhookOutcome.RECORDED
            if payment is not None and payment.status is PaymentStatus.INITIATED:
                if event.status is PaymentStatus.SUCCEEDED:
                    uow.payments.save(payment.succeeded(now))
                    trip = uow.trips.get(payment.trip_id)
                    if trip.status is TripStatus.PENDING:
                        uow.trips.save(trip.confirmed(now))
                    outcome = WebhookOutcome.APPLIED
                elif event.status is PaymentStatus.FAILED:
                    uow.payments.save(payment.failed(f"provider event {event.type}", now))
                    outcome = WebhookOutcome.APPLIED
            uow.commit()
        return outcome

    def payments_for_trip(self, tenant_id: TenantId, trip_id: TripId) -> Sequence[Payment]:
        with self._uow(tenant_id) as uow:
            return uow.payments.for_trip(trip_id)

    def payment(self, tenant_id: TenantId, payment_id: PaymentId) -> Payment:
        with self._uow(tenant_id) as uow:
            return uow.payments.get(payment_id)
