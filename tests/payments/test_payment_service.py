"""Paying for trips, refunds and webhooks, on the memory gateway and on Stripe (localstripe)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from tests.payments.conftest import WEBHOOK_SECRET
from travelcore.kernel import (
    Conflict,
    IdempotencyConflict,
    InvalidTransition,
    ManualClock,
    Money,
    PaymentGatewayUnavailable,
    TenantId,
    UserId,
    ValidationFailed,
    new_uuid,
)
from travelcore.kernel.errors import RefundExceedsCaptured
from travelcore.payments import (
    PaymentGateway,
    PaymentService,
    PaymentStatus,
    PayTrip,
    RefundPayment,
    RefundTrip,
    WebhookOutcome,
)
from travelcore.testing.payments import event_payload, sign_payload
from travelcore.travel import (
    BookTrip,
    ChangeTrip,
    LineItem,
    RegisterTenant,
    TravelService,
    TripId,
    TripStatus,
)
from travelcore_adapters.memory import MemoryDatabase
from travelcore_adapters.memory.payment_gateway import DECLINED_METHOD, MemoryPaymentGateway
from travelcore_adapters.stripe import StripeGateway


class CountingGateway:
    """Wraps a gateway and counts calls, to prove retries never reach the provider."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.name = inner.name
        self.calls: list[str] = []

    def __getattr__(self, attribute: str) -> Any:
        target = getattr(self._inner, attribute)

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(attribute)
            return target(*args, **kwargs)

        return call


class Env:
    def __init__(
        self,
        gateway: PaymentGateway,
        clock: ManualClock,
        card: Callable[[], str],
        declined: Callable[[], str],
        secret: str,
    ) -> None:
        self.db = MemoryDatabase()
        self.gateway = CountingGateway(gateway)
        self.travel = TravelService(self.db, clock)
        self.payments = PaymentService(self.db, clock, gateway=self.gateway)  # type: ignore[arg-type]
        self.card, self.declined, self.secret = card, declined, secret
        self.tenant = TenantId(new_uuid())
        self.user = UserId(new_uuid())
        self.travel.register_tenant(
            RegisterTenant(tenant_id=self.tenant, name="Acme", idempotency_key="t")
        )

    def trip(self, fare: str = "120.00") -> TripId:
        start = date(2026, 5, 1)
        booked = self.travel.book_trip(
            BookTrip(
                tenant_id=self.tenant,
                user_id=self.user,
                currency="EUR",
                items=(
                    LineItem.flight(
                        provider="Amadeus",
                        external_ref="PNR",
                        fare=Money.of(fare, "EUR"),
                        passengers=1,
                        departs_on=start,
                        destination="OSL",
                    ),
                    LineItem.hotel(
                        provider="Booking.com",
                        external_ref="H",
                        price_per_night=Money.of("100.00", "EUR"),
                        check_in=start,
                        check_out=start + timedelta(days=1),
                    ),
                ),
                idempotency_key=new_uuid().hex,
            )
        )
        return TripId(booked.id)

    def pay(self, trip: TripId, key: str, method: str | None = None) -> Any:
        return self.payments.pay(
            PayTrip(
                tenant_id=self.tenant,
                trip_id=trip,
                payment_method=method or self.card(),
                idempotency_key=key,
            )
        )

    def refund(self, payment_id: Any, amount: str | None, key: str) -> Any:
        return self.payments.refund(
            RefundPayment(
                tenant_id=self.tenant,
                payment_id=payment_id,
                amount=None if amount is None else Money.of(amount, "EUR"),
                idempotency_key=key,
            )
        )


@pytest.fixture(params=["memory", "stripe"])
def env(request: pytest.FixtureRequest, clock: ManualClock) -> Env:
    if request.param == "memory":
        return Env(
            MemoryPaymentGateway(WEBHOOK_SECRET),
            clock,
            lambda: "pm_card_visa",
            lambda: DECLINED_METHOD,
            WEBHOOK_SECRET,
        )
    gateway: StripeGateway = request.getfixturevalue("stripe_gateway")
    return Env(
        gateway,
        clock,
        request.getfixturevalue("stripe_card"),
        request.getfixturevalue("stripe_declined_card"),
        WEBHOOK_SECRET,
    )


def test_pay_refund_partially_refund_the_rest_and_refuse_more(env: Env) -> None:
    trip = env.trip()
    paid = env.pay(trip, "pay-1")
    assert paid.status is PaymentStatus.SUCCEEDED
    assert paid.amount == Money.of("220.00", "EUR")
    assert paid.provider_ref.startswith("pi_")
    assert env.travel.trip(env.tenant, trip).status is TripStatus.CONFIRMED
    part = env.refund(paid.payment_id, "20.00", "r-1")
    assert (part.refunded, part.refundable) == (Money.of("20.00", "EUR"), Money.of("200.00", "EUR"))
    rest = env.refund(paid.payment_id, None, "r-2")
    assert rest.amount == Money.of("200.00", "EUR")
    assert rest.refundable == Money.of("0.00", "EUR")
    calls = len(env.gateway.calls)
    with pytest.raises(RefundExceedsCaptured):
        env.refund(paid.payment_id, "0.01", "r-3")
    assert len(env.gateway.calls) == calls  # refused before reaching the provider


def test_over_refund_is_refused_even_if_the_provider_would_allow_it(env: Env) -> None:
    paid = env.pay(env.trip(), "pay")
    with pytest.raises(RefundExceedsCaptured):
        env.refund(paid.payment_id, "220.01", "r")
    payment = env.payments.payment(env.tenant, paid.payment_id)
    assert payment.refunds == ()


def test_retry_with_the_same_key_is_one_payment(env: Env) -> None:
    trip = env.trip()
    method = env.card()
    first = env.pay(trip, "same", method)
    again = env.pay(trip, "same", method)
    assert first == again
    assert env.gateway.calls == ["create_payment", "confirm_payment"]
    assert len(env.payments.payments_for_trip(env.tenant, trip)) == 1
    refund = env.refund(first.payment_id, "5.00", "rk")
    assert env.refund(first.payment_id, "5.00", "rk") == refund
    assert env.gateway.calls.count("refund") == 1
    with pytest.raises(IdempotencyConflict):
        env.refund(first.payment_id, "6.00", "rk")
    with pytest.raises(Conflict):
        env.pay(trip, "another-key")


def test_declined_card_records_a_failed_payment(env: Env) -> None:
    trip = env.trip()
    result = env.pay(trip, "declined", env.declined())
    assert result.status is PaymentStatus.FAILED
    assert result.failure
    assert env.travel.trip(env.tenant, trip).status is TripStatus.PENDING
    with pytest.raises(RefundExceedsCaptured):
        env.refund(result.payment_id, "1.00", "r")
    retried = env.pay(trip, "second-card")
    assert retried.status is PaymentStatus.SUCCEEDED


def test_cancelling_a_trip_refunds_what_is_left(env: Env) -> None:
    trip = env.trip()
    paid = env.pay(trip, "p")
    env.refund(paid.payment_id, "20.00", "r1")
    command = RefundTrip(tenant_id=env.tenant, trip_id=trip, idempotency_key="all")
    with pytest.raises(InvalidTransition):
        env.payments.refund_trip(command)
    env.travel.cancel_trip(ChangeTrip(tenant_id=env.tenant, trip_id=trip, idempotency_key="c"))
    result = env.payments.refund_trip(command)
    assert [r.amount for r in result.refunds] == [Money.of("200.00", "EUR")]
    assert env.payments.refund_trip(command) == result
    payment = env.payments.payment(env.tenant, paid.payment_id)
    assert payment.refundable == Money.of("0.00", "EUR")
    again = RefundTrip(tenant_id=env.tenant, trip_id=trip, idempotency_key="all-2")
    assert env.payments.refund_trip(again).refunds == ()


def test_cancelled_trips_cannot_be_paid(env: Env) -> None:
    trip = env.trip()
    env.travel.cancel_trip(ChangeTrip(tenant_id=env.tenant, trip_id=trip, idempotency_key="c"))
    with pytest.raises(InvalidTransition):
        env.pay(trip, "p")


def test_refund_amount_must_be_positive_and_in_currency(env: Env) -> None:
    paid = env.pay(env.trip(), "p")
    with pytest.raises(ValidationFailed):
        env.refund(paid.payment_id, "0", "r0")
    with pytest.raises(ValidationFailed):
        env.payments.refund(
            RefundPayment(
                tenant_id=env.tenant,
                payment_id=paid.payment_id,
                amount=Money.of("1", "USD"),
                idempotency_key="r1",
            )
        )


def test_webhook_replays_are_ignored(env: Env) -> None:
    paid = env.pay(env.trip(), "p")
    payload = event_payload("evt_ok", "payment_intent.succeeded", paid.provider_ref, env.tenant)
    signature = sign_payload(payload, env.secret)
    # already succeeded: recorded, nothing to change
    assert env.payments.handle_webhook(payload, signature) is WebhookOutcome.RECORDED
    assert env.payments.handle_webhook(payload, signature) is WebhookOutcome.REPLAY
    with pytest.raises(ValidationFailed):
        env.payments.handle_webhook(payload, sign_payload(payload, "whsec_forged"))


def test_webhook_settles_an_initiated_payment_once(clock: ManualClock) -> None:
    """A payment left ``initiated`` (e.g. 3-D Secure) is settled by the provider's event."""
    env = Env(MemoryPaymentGateway(WEBHOOK_SECRET), clock, str, str, WEBHOOK_SECRET)
    trip = env.trip()
    from travelcore.payments import Payment, PaymentId

    payment = Payment(
        id=PaymentId(new_uuid()),
        tenant_id=env.tenant,
        trip_id=trip,
        amount=Money.of("220.00", "EUR"),
        provider="memory",
        provider_ref="pi_pending",
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    with env.db(env.tenant) as uow:
        uow.payments.add(payment)
        uow.commit()
    payload = event_payload("evt_1", "payment_intent.succeeded", "pi_pending", env.tenant)
    signature = sign_payload(payload, WEBHOOK_SECRET)
    assert env.payments.handle_webhook(payload, signature) is WebhookOutcome.APPLIED
    assert env.payments.handle_webhook(payload, signature) is WebhookOutcome.REPLAY
    stored = env.payments.payment(env.tenant, payment.id)
    assert (stored.status, stored.version) == (PaymentStatus.SUCCEEDED, 2)
    assert env.travel.trip(env.tenant, trip).status is TripStatus.CONFIRMED
    no_tenant = event_payload("evt_2", "payment_intent.succeeded", "pi_pending", None)
    outcome = env.payments.handle_webhook(no_tenant, sign_payload(no_tenant, WEBHOOK_SECRET))
    assert outcome is WebhookOutcome.UNROUTED


def test_webhook_fails_an_initiated_payment(clock: ManualClock) -> None:
    env = Env(MemoryPaymentGateway(WEBHOOK_SECRET), clock, str, str, WEBHOOK_SECRET)
    trip = env.trip()
    from travelcore.payments import Payment, PaymentId

    payment = Payment(
        id=PaymentId(new_uuid()),
        tenant_id=env.tenant,
        trip_id=trip,
        amount=Money.of("220.00", "EUR"),
        provider="memory",
        provider_ref="pi_3ds",
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    with env.db(env.tenant) as uow:
        uow.payments.add(payment)
        uow.commit()
    payload = event_payload("evt_f", "payment_intent.payment_failed", "pi_3ds", env.tenant)
    outcome = env.payments.handle_webhook(payload, sign_payload(payload, WEBHOOK_SECRET))
    assert outcome is WebhookOutcome.APPLIED
    stored = env.payments.payment(env.tenant, payment.id)
    assert stored.status is PaymentStatus.FAILED
    assert stored.failure == "provider event payment_intent.payment_failed"
    assert env.travel.trip(env.tenant, trip).status is TripStatus.PENDING


def test_gateway_outage_leaves_an_initiated_payment_that_the_same_key_completes(
    clock: ManualClock,
) -> None:
    gateway = MemoryPaymentGateway()
    env = Env(gateway, clock, lambda: "pm_card_visa", str, "whsec_memory")
    trip = env.trip()
    gateway.available = False
    with pytest.raises(PaymentGatewayUnavailable):
        env.pay(trip, "p")
    (pending,) = env.payments.payments_for_trip(env.tenant, trip)
    assert (pending.status, pending.provider_ref) == (PaymentStatus.INITIATED, None)
    with pytest.raises(Conflict):
        env.pay(trip, "another-key")  # one payment of a trip in flight at a time
    gateway.available = True
    done = env.pay(trip, "p")
    assert (done.status, done.payment_id) == (PaymentStatus.SUCCEEDED, pending.id)
    assert len(env.payments.payments_for_trip(env.tenant, trip)) == 1
