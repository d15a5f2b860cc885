"""Paying for trips, refunding, and applying provider webhooks at most once.

No database transaction stays open across a call to the provider. Each use case runs in
three steps: a first unit of work records the intent (a payment ``initiated``, or a refund
``pending``, which already counts against the refund cap) together with the request's
idempotency key, and commits; then the gateway is called with idempotency keys derived from
the request's; then a second unit of work records the outcome and the final result. A retry
with the same key after a crash between the steps finds the committed intent and completes
it (the provider, given the same idempotency keys, returns what it did the first time).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar

import attrs

from travelcore.kernel import (
    Actor,
    Clock,
    Conflict,
    IdempotencyRecord,
    InvalidTransition,
    Money,
    PaymentDeclined,
    PaymentGatewayUnavailable,
    TenantId,
    ValidationFailed,
    checked_clock,
    exact_money,
    from_data,
    new_uuid,
    require_tenant,
    run_idempotent,
    run_use_case,
    to_data,
    total,
)
from travelcore.kernel import validation as v
from travelcore.kernel.idempotency import fingerprint
from travelcore.payments.model import (
    Payment,
    PaymentId,
    PaymentStatus,
    Refund,
    RefundId,
    RefundStatus,
)
from travelcore.payments.ports import TENANT_METADATA_KEY, PaymentGateway, PaymentsUnitOfWork
from travelcore.travel import TripId, TripStatus
from travelcore.travel import access as travel_access

PaymentsUowFactory = Callable[[TenantId], PaymentsUnitOfWork]
R = TypeVar("R")


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
    """Refund ``amount`` of a payment, or everything still refundable when ``None``. An amount
    finer than its currency's minor unit is refused here, before anything is recorded."""

    tenant_id: TenantId
    payment_id: PaymentId
    amount: Money | None = attrs.field(default=None, validator=exact_money)
    idempotency_key: str


@attrs.frozen(kw_only=True)
class RefundTrip:
    """Return everything still refundable on a cancelled trip."""

    tenant_id: TenantId
    trip_id: TripId
    idempotency_key: str


#: How long a payment may stay ``initiated`` before :meth:`PaymentService.reconcile` settles it.
RECONCILE_AFTER = timedelta(minutes=15)


@attrs.frozen(kw_only=True)
class ReconcilePayments:
    """Settle the tenant's payments ``initiated`` for longer than ``older_than``."""

    tenant_id: TenantId
    older_than: timedelta = RECONCILE_AFTER


@attrs.frozen(kw_only=True)
class Reconciliation:
    """What a run of the reconciliation job did: payments settled ``succeeded`` or ``failed``,
    those still ``unknown`` (the provider could not be asked), and payments on cancelled trips
    whose automatic refund was completed."""

    succeeded: tuple[PaymentId, ...] = ()
    failed: tuple[PaymentId, ...] = ()
    unknown: tuple[PaymentId, ...] = ()
    refunded: tuple[PaymentId, ...] = ()


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


@attrs.frozen(kw_only=True)
class PaymentStarted:
    """What the first unit of work of ``pay`` committed under the request's key."""

    payment_id: PaymentId


@attrs.frozen(kw_only=True)
class RefundStarted:
    """A pending refund recorded by the first unit of work of a refund."""

    payment_id: PaymentId
    refund_id: RefundId


@attrs.frozen(kw_only=True)
class TripRefundStarted:
    trip_id: TripId
    refunds: tuple[RefundStarted, ...]


def settled_key(key: str) -> str:
    """The key under which the final result of the request with ``key`` is stored."""
    return f"settled:{hashlib.sha256(key.encode()).hexdigest()}"


def _find_settled(uow: PaymentsUnitOfWork, key: str, result_type: type[R]) -> R | None:
    record = uow.idempotency.get(settled_key(key))
    return None if record is None else from_data(record.result, result_type)


def _store_settled(
    uow: PaymentsUnitOfWork, key: str, request: object, result: object, now: datetime
) -> None:
    uow.idempotency.add(
        IdempotencyRecord(
            key=settled_key(key),
            fingerprint=fingerprint(request),
            result=to_data(result),
            created_at=now,
        )
    )


SETTLE_ATTEMPTS = 10
"""How many times a unit of work that records an outcome the provider already gave runs on
``StaleVersion``: recording an outcome commutes with concurrent changes, so it re-reads and
applies it instead of leaving it unrecorded."""


def _failure(status: PaymentStatus) -> str | None:
    return "the provider did not capture the payment" if status is PaymentStatus.FAILED else None


def _auto_refund(payment: Payment) -> RefundPayment:
    """The refund of everything left of a payment that succeeded on a cancelled trip."""
    return RefundPayment(
        tenant_id=payment.tenant_id,
        payment_id=payment.id,
        idempotency_key=f"auto-refund:{payment.id}",
    )


def _payment_result(payment: Payment) -> PaymentResult:
    return PaymentResult(
        payment_id=payment.id,
        status=payment.status,
        amount=payment.amount,
        provider_ref=payment.provider_ref,
        failure=payment.failure,
    )


@attrs.frozen
class _Charge:
    """What the provider said about a payment."""

    provider_ref: str | None
    status: PaymentStatus
    failure: str | None = None


class PaymentService:
    """Use cases over a :class:`PaymentGateway`. Travelcore itself enforces idempotency and
    refund caps: a provider that ignores idempotency keys or over-refunds changes nothing."""

    def __init__(
        self, uow_factory: PaymentsUowFactory, clock: Clock, *, gateway: PaymentGateway
    ) -> None:
        self._uow = uow_factory
        self._gateway = gateway
        self._clock = checked_clock(clock)

    # -- paying ----------------------------------------------------------------------------

    def pay(self, cmd: PayTrip, *, actor: Actor) -> PaymentResult:
        """Pay what is due (the total less what was captured already, refunds notwithstanding);
        success confirms a pending trip. A declined card gives a ``failed`` result (recorded,
        with the reason) rather than an exception. While a payment of the trip is in flight,
        another request for the trip raises ``Conflict`` (retry with the same key)."""
        started = self._run(
            cmd.tenant_id,
            cmd.idempotency_key,
            cmd,
            PaymentStarted,
            lambda uow, now: self._record_initiated(uow, cmd, now, actor),
            actor=actor,
        )
        with self._uow(cmd.tenant_id) as uow:
            settled = _find_settled(uow, cmd.idempotency_key, PaymentResult)
            payment = uow.payments.get(started.payment_id)
        if settled is not None:
            return settled
        charge = (
            self._charge(cmd, payment, actor) if payment.status is PaymentStatus.INITIATED else None
        )
        return self._record_outcome(cmd, payment.id, charge, actor)

    def _run(
        self,
        tenant_id: TenantId,
        key: str | None,
        request: object,
        result_type: type[R],
        action: Callable[[PaymentsUnitOfWork, datetime], R],
        *,
        actor: Actor,
        settling: bool = False,
    ) -> R:
        """One unit of work through ``run_use_case``; ``settling``: it records what the
        provider said, so a lost race reruns it (up to :data:`SETTLE_ATTEMPTS`), and a
        ``PaymentDeclined`` it raises still commits what it recorded."""
        return run_use_case(
            self._uow,
            tenant_id,
            self._clock,
            key,
            request,
            result_type,
            action,
            actor=actor,
            attempts=SETTLE_ATTEMPTS if settling else 1,
            commit_on=(PaymentDeclined,) if settling else (),
        )

    def _record_initiated(
        self, uow: PaymentsUnitOfWork, cmd: PayTrip, now: datetime, actor: Actor
    ) -> PaymentStarted:
        trip = uow.trips.get(cmd.trip_id)
        travel_access.travel(actor, trip.user_id)
        if trip.status is TripStatus.CANCELLED:
            raise InvalidTransition("trip", trip.status, "paid")
        payments = uow.payments.for_trip(trip.id)
        if any(p.status is PaymentStatus.INITIATED for p in payments):
            raise Conflict("a payment for this trip is in progress", trip_id=str(trip.id))
        due = trip.total - total((p.captured for p in payments), trip.currency)
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
        uow.payments.add(payment)
        return PaymentStarted(payment_id=payment.id)

    def _charge(self, cmd: PayTrip, payment: Payment, actor: Actor) -> _Charge | None:
        """Create the payment at the provider, record its reference, then capture it (no
        transaction is open during a provider call). A payment with a reference already (a
        retry) is asked about first, so it is never captured twice even by a provider that
        ignores idempotency keys. ``None``: the payment was settled meanwhile (by a webhook or
        :meth:`reconcile`) and is not captured."""
        key = f"{cmd.tenant_id}:{cmd.idempotency_key}"
        ref = payment.provider_ref
        if ref is None:
            try:
                created = self._gateway.create_payment(
                    payment.amount,
                    payment_method=cmd.payment_method,
                    idempotency_key=f"{key}:create",
                    metadata={
                        TENANT_METADATA_KEY: str(cmd.tenant_id),
                        "trip_id": str(payment.trip_id),
                    },
                )
            except (PaymentDeclined, ValidationFailed) as refused:
                return _Charge(None, PaymentStatus.FAILED, refused.message)
            ref = created.provider_ref
            if not self._record_started(cmd.tenant_id, payment.id, ref, actor):
                return None
        else:
            known = self._gateway.payment_status(ref)
            if known.status is not PaymentStatus.INITIATED:
                return _Charge(ref, known.status, _failure(known.status))
        try:
            outcome = self._gateway.confirm_payment(ref, idempotency_key=f"{key}:confirm")
        except (PaymentDeclined, ValidationFailed) as refused:
            return _Charge(ref, PaymentStatus.FAILED, refused.message)
        return _Charge(ref, outcome.status, _failure(outcome.status))

    def _record_started(
        self, tenant_id: TenantId, payment_id: PaymentId, ref: str, actor: Actor
    ) -> bool:
        """Record the provider's reference of a payment still ``initiated``; ``False`` if it
        is not ``initiated`` any more."""

        def action(uow: PaymentsUnitOfWork, now: datetime) -> bool:
            payment = uow.payments.get(payment_id)
            if payment.status is not PaymentStatus.INITIATED:
                return False
            if payment.provider_ref != ref:
                uow.payments.save(payment.started(ref, now))
            return True

        return self._run(tenant_id, None, None, bool, action, actor=actor, settling=True)

    def _settle(
        self, uow: PaymentsUnitOfWork, payment: Payment, charge: _Charge, now: datetime
    ) -> tuple[Payment, RefundPayment | None]:
        """Apply what the provider said to an ``initiated`` payment, in ``uow``. Success
        confirms a pending trip; success on a trip cancelled meanwhile records the intent of
        an automatic full refund (returned, to be sent once the unit of work commits)."""
        if charge.status is PaymentStatus.FAILED:
            failure = charge.failure or "the payment failed"
            failed = payment.failed(failure, now, charge.provider_ref)
            uow.payments.save(failed)
            return failed, None
        if charge.status is not PaymentStatus.SUCCEEDED:
            if charge.provider_ref and payment.provider_ref != charge.provider_ref:
                payment = payment.started(charge.provider_ref, now)
                uow.payments.save(payment)
            return payment, None
        paid = payment.succeeded(now, charge.provider_ref)
        uow.payments.save(paid)
        trip = uow.trips.get(paid.trip_id)
        if trip.status is TripStatus.PENDING:
            uow.trips.save(trip.confirmed(now))
            return paid, None
        if trip.status is not TripStatus.CANCELLED:
            return paid, None
        refund = _auto_refund(paid)
        run_idempotent(
            uow,
            refund.idempotency_key,
            refund,
            RefundStarted,
            now,
            lambda: self._record_pending(uow, paid, paid.refundable, now),
            actor=_auto_refunder(uow.tenant_id),
        )
        return uow.payments.get(paid.id), refund

    def _send_auto_refund(self, refund: RefundPayment | None) -> bool:
        """Complete a recorded automatic refund; ``False`` if the provider is unreachable
        (:meth:`reconcile` completes it later)."""
        if refund is None:
            return False
        try:
            self.refund(refund, actor=_auto_refunder(refund.tenant_id))
        except (PaymentGatewayUnavailable, PaymentDeclined):
            return False
        return True

    def _record_outcome(
        self, cmd: PayTrip, payment_id: PaymentId, charge: _Charge | None, actor: Actor
    ) -> PaymentResult:
        auto_refund: list[RefundPayment | None] = [None]

        def action(uow: PaymentsUnitOfWork, now: datetime) -> PaymentResult:
            auto_refund[0] = None
            settled = _find_settled(uow, cmd.idempotency_key, PaymentResult)
            if settled is not None:
                return settled  # a concurrent retry finished first
            payment = uow.payments.get(payment_id)
            if charge is not None and payment.status is PaymentStatus.INITIATED:
                payment, auto_refund[0] = self._settle(uow, payment, charge, now)
            result = _payment_result(payment)
            if payment.status is not PaymentStatus.INITIATED:
                _store_settled(uow, cmd.idempotency_key, cmd, result, now)
            return result

        result = self._run(
            cmd.tenant_id, None, cmd, PaymentResult, action, actor=actor, settling=True
        )
        self._send_auto_refund(auto_refund[0])
        return result

    # -- refunding -------------------------------------------------------------------------

    def refund(self, cmd: RefundPayment, *, actor: Actor) -> RefundResult:
        """Refund part or all of a payment; never more than was captured and not refunded.
        The refund is recorded ``pending`` (counted against the cap) before the provider is
        called, so concurrent refunds cannot together exceed the capture."""
        v.check_command(cmd)  # before anything is read or sent to the provider
        travel_access.refund(actor)

        def start(uow: PaymentsUnitOfWork, now: datetime) -> RefundStarted:
            payment = uow.payments.get(cmd.payment_id)
            if payment.provider_ref is None:
                raise InvalidTransition("payment", payment.status, "refunded")
            amount = cmd.amount if cmd.amount is not None else payment.refundable
            return self._record_pending(uow, payment, amount, now)

        started = self._run(
            cmd.tenant_id, cmd.idempotency_key, cmd, RefundStarted, start, actor=actor
        )
        settled = self._settled(cmd.tenant_id, cmd.idempotency_key, RefundResult)
        if settled is not None:
            return settled
        provider_key = f"{cmd.tenant_id}:{cmd.idempotency_key}:refund"
        outcome = self._refund_at_provider(cmd.tenant_id, started, provider_key)
        outcomes = {started: outcome}
        return self._record_refunds(cmd.tenant_id, cmd.idempotency_key, cmd, outcomes, actor)[0]

    def _settled(self, tenant_id: TenantId, key: str, result_type: type[R]) -> R | None:
        """The final result stored for the request with ``key``, if it was settled."""
        with self._uow(tenant_id) as uow:
            return _find_settled(uow, key, result_type)

    def refund_trip(self, cmd: RefundTrip, *, actor: Actor) -> TripRefund:
        """After a cancellation, refund every payment of the trip in full (what is left)."""
        v.check_command(cmd)  # before anything is read or sent to the provider
        travel_access.refund(actor)

        def start(uow: PaymentsUnitOfWork, now: datetime) -> TripRefundStarted:
            trip = uow.trips.get(cmd.trip_id)
            if trip.status is not TripStatus.CANCELLED:
                raise InvalidTransition("trip", trip.status, "refunded")
            pending = [
                self._record_pending(uow, payment, payment.refundable, now)
                for payment in uow.payments.for_trip(trip.id)
                if payment.provider_ref is not None and not payment.refundable.is_zero()
            ]
            return TripRefundStarted(trip_id=trip.id, refunds=tuple(pending))

        started = self._run(
            cmd.tenant_id, cmd.idempotency_key, cmd, TripRefundStarted, start, actor=actor
        )
        settled = self._settled(cmd.tenant_id, cmd.idempotency_key, TripRefund)
        if settled is not None:
            return settled
        outcomes = {
            item: self._refund_at_provider(
                cmd.tenant_id,
                item,
                f"{cmd.tenant_id}:{cmd.idempotency_key}:{item.payment_id}",
            )
            for item in started.refunds
        }
        results = self._record_refunds(cmd.tenant_id, cmd.idempotency_key, None, outcomes, actor)
        trip_refund = TripRefund(trip_id=started.trip_id, refunds=tuple(results))

        def store(uow: PaymentsUnitOfWork, now: datetime) -> TripRefund:
            settled = _find_settled(uow, cmd.idempotency_key, TripRefund)
            if settled is not None:
                return settled
            _store_settled(uow, cmd.idempotency_key, cmd, trip_refund, now)
            return trip_refund

        return self._run(cmd.tenant_id, None, cmd, TripRefund, store, actor=actor)

    def _record_pending(
        self, uow: PaymentsUnitOfWork, payment: Payment, amount: Money, now: datetime
    ) -> RefundStarted:
        refund = Refund(
            provider_ref=None, amount=amount, created_at=now, status=RefundStatus.PENDING
        )
        uow.payments.save(payment.with_refund(refund))
        return RefundStarted(payment_id=payment.id, refund_id=refund.id)

    def _refund_at_provider(
        self, tenant_id: TenantId, started: RefundStarted, provider_key: str
    ) -> str | None:
        """The provider's refund reference, or ``None`` if it declined (no transaction open).
        A refund settled already (by an earlier attempt) is not sent again."""
        with self._uow(tenant_id) as uow:
            payment = uow.payments.get(started.payment_id)
        refund = payment.refund(started.refund_id)
        if refund.status is not RefundStatus.PENDING:
            return refund.provider_ref
        if payment.provider_ref is None:
            raise InvalidTransition("payment", payment.status, "refunded")
        try:
            done = self._gateway.refund(
                payment.provider_ref, refund.amount, idempotency_key=provider_key
            )
        except (PaymentDeclined, ValidationFailed):
            return None  # refused for good: the pending refund fails and no longer counts
        return done.provider_ref

    def _record_refunds(
        self,
        tenant_id: TenantId,
        key: str,
        request: RefundPayment | None,
        outcomes: dict[RefundStarted, str | None],
        actor: Actor,
    ) -> list[RefundResult]:
        """Settle the pending refunds; store the result of a single refund (``request``). A
        refund the provider declined is recorded failed, then raises ``PaymentDeclined``."""

        def action(uow: PaymentsUnitOfWork, now: datetime) -> list[RefundResult]:
            if request is not None:
                settled = _find_settled(uow, key, RefundResult)
                if settled is not None:
                    return [settled]
            results = []
            for started, provider_ref in outcomes.items():
                payment = uow.payments.get(started.payment_id)
                refund = payment.refund(started.refund_id)
                if refund.status is RefundStatus.PENDING:
                    payment = payment.refund_settled(refund.id, provider_ref, now)
                    uow.payments.save(payment)
                    refund = payment.refund(refund.id)
                if refund.status is RefundStatus.FAILED or refund.provider_ref is None:
                    raise PaymentDeclined("the provider declined the refund", refund=str(refund.id))
                results.append(
                    RefundResult(
                        payment_id=payment.id,
                        provider_ref=refund.provider_ref,
                        amount=refund.amount,
                        refunded=payment.refunded,
                        refundable=payment.refundable,
                    )
                )
            if request is not None:
                _store_settled(uow, key, request, results[0], now)
            return results

        return self._run(tenant_id, None, request, list, action, actor=actor, settling=True)

    def handle_webhook(self, payload: bytes, headers: Mapping[str, str]) -> WebhookOutcome:
        """Verify a delivery (raw body and HTTP headers) and apply its event at most once (its
        id is stored with the change). The provider's signature is its authentication: the
        event is applied as the system actor (job ``payments.webhook``) of its tenant."""
        event = self._gateway.parse_webhook(payload, headers)
        if event.tenant_id is None:
            return WebhookOutcome.UNROUTED
        auto_refund: list[RefundPayment | None] = [None]

        def action(uow: PaymentsUnitOfWork, now: datetime) -> WebhookOutcome:
            auto_refund[0] = None
            if uow.webhook_events.seen(event.id):
                return WebhookOutcome.REPLAY
            uow.webhook_events.add(event.id, now)
            payment = (
                uow.payments.find_by_provider_ref(event.provider_ref)
                if event.provider_ref
                else None
            )
            outcome = WebhookOutcome.RECORDED
            if (
                payment is not None
                and payment.status is PaymentStatus.INITIATED
                and event.status in (PaymentStatus.SUCCEEDED, PaymentStatus.FAILED)
            ):
                charge = _Charge(None, event.status, f"provider event {event.type}")
                _, auto_refund[0] = self._settle(uow, payment, charge, now)
                outcome = WebhookOutcome.APPLIED
            return outcome

        webhook = Actor.system(event.tenant_id, "payments.webhook")
        outcome = self._run(event.tenant_id, None, event, WebhookOutcome, action, actor=webhook)
        self._send_auto_refund(auto_refund[0])
        return outcome

    # -- reconciling -----------------------------------------------------------------------

    def reconcile(self, cmd: ReconcilePayments, *, actor: Actor) -> Reconciliation:
        """A job: settle every payment ``initiated`` for longer than ``cmd.older_than`` from
        what the provider says, so that no trip stays blocked, and complete the automatic
        refunds of payments that succeeded on cancelled trips. A payment the provider has not
        captured is cancelled there and recorded ``failed``; one that never got a provider
        reference never reached the capture step and fails too; one the provider cannot be
        asked about now stays ``initiated`` (reported ``unknown``) for the next run. Running
        it again changes nothing more: settled payments are not looked at, and each automatic
        refund has one idempotency key.

        The threshold must exceed the longest payment request (create and capture), so that
        the job never gives up a payment a live request is about to capture."""
        v.check_command(cmd)  # before anything is read or sent to the provider
        require_tenant(actor, cmd.tenant_id)
        travel_access.refund(actor)
        now = self._clock.now()
        with self._uow(cmd.tenant_id) as uow:
            stuck = uow.payments.needing_settlement(now - cmd.older_than)
        report: dict[str, list[PaymentId]] = {
            "succeeded": [],
            "failed": [],
            "unknown": [],
            "refunded": [],
        }
        for payment in stuck:
            auto_refund = None
            if payment.status is PaymentStatus.INITIATED:
                charge = self._ask_provider(payment)
                if charge is None:
                    report["unknown"].append(payment.id)
                    continue
                settled, auto_refund = self._settle_stuck(cmd.tenant_id, payment.id, charge, actor)
                if settled.status is not PaymentStatus.INITIATED:
                    report[settled.status.value].append(payment.id)
            elif payment.status is PaymentStatus.SUCCEEDED:
                auto_refund = self._pending_auto_refund(cmd.tenant_id, payment)
            if auto_refund is not None:
                if self._send_auto_refund(auto_refund):
                    report["refunded"].append(payment.id)
                else:
                    report["unknown"].append(payment.id)
        return Reconciliation(**{k: tuple(v) for k, v in report.items()})

    def _ask_provider(self, payment: Payment) -> _Charge | None:
        """What the provider says of a stuck payment; ``None`` if it cannot tell now."""
        if payment.provider_ref is None:
            return _Charge(None, PaymentStatus.FAILED, "the payment never reached the provider")
        try:
            known = self._gateway.payment_status(payment.provider_ref)
            if known.status is PaymentStatus.INITIATED:
                known = self._gateway.cancel_payment(payment.provider_ref)
        except PaymentGatewayUnavailable:
            return None
        except ValidationFailed:
            return _Charge(None, PaymentStatus.FAILED, "the provider does not know the payment")
        if known.status is PaymentStatus.INITIATED:
            return None
        return _Charge(payment.provider_ref, known.status, _failure(known.status))

    def _settle_stuck(
        self, tenant_id: TenantId, payment_id: PaymentId, charge: _Charge, actor: Actor
    ) -> tuple[Payment, RefundPayment | None]:
        auto_refund: list[RefundPayment | None] = [None]

        def action(uow: PaymentsUnitOfWork, now: datetime) -> Payment:
            auto_refund[0] = None
            payment = uow.payments.get(payment_id)
            if payment.status is not PaymentStatus.INITIATED:
                return payment  # settled meanwhile
            settled, auto_refund[0] = self._settle(uow, payment, charge, now)
            return settled

        settled = self._run(tenant_id, None, None, Payment, action, actor=actor, settling=True)
        return settled, auto_refund[0]

    def _pending_auto_refund(self, tenant_id: TenantId, payment: Payment) -> RefundPayment | None:
        """The automatic refund of ``payment`` if one was recorded and is still pending."""
        refund = _auto_refund(payment)
        with self._uow(tenant_id) as uow:
            recorded = uow.idempotency.get(refund.idempotency_key)
            done = uow.idempotency.get(settled_key(refund.idempotency_key))
        return refund if recorded is not None and done is None else None

    def payments_for_trip(
        self, tenant_id: TenantId, trip_id: TripId, *, actor: Actor
    ) -> Sequence[Payment]:
        v.ids(trip_id=trip_id)
        require_tenant(actor, tenant_id)
        with self._uow(tenant_id) as uow:
            travel_access.read(actor, uow.trips.get(trip_id).user_id)
            return uow.payments.for_trip(trip_id)

    def payment(self, tenant_id: TenantId, payment_id: PaymentId, *, actor: Actor) -> Payment:
        v.ids(payment_id=payment_id)
        require_tenant(actor, tenant_id)
        with self._uow(tenant_id) as uow:
            payment = uow.payments.get(payment_id)
            travel_access.read(actor, uow.trips.get(payment.trip_id).user_id)
            return payment


def _auto_refunder(tenant_id: TenantId) -> Actor:
    """The actor of the automatic refund of a payment that succeeded on a cancelled trip."""
    return Actor.system(tenant_id, "payments.auto-refund")


# -- boundary checks -----------------------------------------------------------------------

MAX_RECONCILE_AGE = timedelta(days=3_650)
_KEY = v.text(255)


def _age(value: Any, field: str) -> None:
    """A ``timedelta`` from one minute to ten years."""
    if not isinstance(value, timedelta):
        raise ValidationFailed(field, "timedelta", f"{field} must be a timedelta")
    if not timedelta(minutes=1) <= value <= MAX_RECONCILE_AGE:
        raise ValidationFailed(
            field, "between_1_minute_and_10_years", f"{field} must be 1 minute to 10 years"
        )


v.validated(
    PayTrip,
    tenant_id=v.uuid,
    trip_id=v.uuid,
    payment_method=v.text(255),
    idempotency_key=_KEY,
)
v.validated(
    RefundPayment,
    tenant_id=v.uuid,
    payment_id=v.uuid,
    amount=v.optional(v.money()),
    idempotency_key=_KEY,
)
v.validated(RefundTrip, tenant_id=v.uuid, trip_id=v.uuid, idempotency_key=_KEY)
v.validated(ReconcilePayments, tenant_id=v.uuid, older_than=_age)
