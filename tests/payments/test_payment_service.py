"""Trip refunds, cancelled trips and outages, on the memory gateway and on Stripe (localstripe);
the rest of paying and refunding is the gateway contract (``PaymentGatewayContract``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from travelcore.kernel import (
    Conflict,
    InvalidTransition,
    ManualClock,
    Money,
    PaymentGatewayUnavailable,
    TenantId,
    UserId,
    ValidationFailed,
    new_uuid,
)
from travelcore.payments import (
    PaymentGateway,
    PaymentService,
    PaymentStatus,
    PayTrip,
    RefundPayment,
    RefundTrip,
)
from travelcore.testing.actors import admin
from travelcore.testing.payments import CountingGateway
from travelcore.travel import (
    BookTrip,
    ChangeTrip,
    LineItem,
    RegisterTenant,
    TravelService,
    TripId,
)
from travelcore_adapters.memory import MemoryDatabase
from travelcore_adapters.memory.payment_gateway import MemoryPaymentGateway
from travelcore_adapters.stripe import StripeGateway


class Env:
    def __init__(
        self,
        gateway: PaymentGateway,
        clock: ManualClock,
        card: Callable[[], str],
    ) -> None:
        self.db = MemoryDatabase()
        self.gateway = CountingGateway(gateway)
        self.travel = TravelService(self.db, clock)
        self.payments = PaymentService(self.db, clock, gateway=self.gateway)  # type: ignore[arg-type]
        self.card = card
        self.tenant = TenantId(new_uuid())
        self.user = UserId(new_uuid())
        self.travel.register_tenant(
            RegisterTenant(tenant_id=self.tenant, name="Acme", idempotency_key="t"),
            actor=admin(self.tenant),
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
            ),
            actor=admin(self.tenant),
        )
        return TripId(booked.id)

    def pay(self, trip: TripId, key: str, method: str | None = None) -> Any:
        return self.payments.pay(
            PayTrip(
                tenant_id=self.tenant,
                trip_id=trip,
                payment_method=method or self.card(),
                idempotency_key=key,
            ),
            actor=admin(self.tenant),
        )

    def refund(self, payment_id: Any, amount: str | None, key: str) -> Any:
        return self.payments.refund(
            RefundPayment(
                tenant_id=self.tenant,
                payment_id=payment_id,
                amount=None if amount is None else Money.of(amount, "EUR"),
                idempotency_key=key,
            ),
            actor=admin(self.tenant),
        )


@pytest.fixture(params=["memory", "stripe"])
def env(request: pytest.FixtureRequest, clock: ManualClock) -> Env:
    if request.param == "memory":
        return Env(MemoryPaymentGateway(), clock, lambda: "pm_card_visa")
    gateway: StripeGateway = request.getfixturevalue("stripe_gateway")
    return Env(gateway, clock, request.getfixturevalue("stripe_card"))


def test_cancelling_a_trip_refunds_what_is_left(env: Env) -> None:
    trip = env.trip()
    paid = env.pay(trip, "p")
    env.refund(paid.payment_id, "20.00", "r1")
    command = RefundTrip(tenant_id=env.tenant, trip_id=trip, idempotency_key="all")
    with pytest.raises(InvalidTransition):
        env.payments.refund_trip(command, actor=admin(command.tenant_id))
    env.travel.cancel_trip(
        ChangeTrip(tenant_id=env.tenant, trip_id=trip, idempotency_key="c"), actor=admin(env.tenant)
    )
    result = env.payments.refund_trip(command, actor=admin(command.tenant_id))
    assert [r.amount for r in result.refunds] == [Money.of("200.00", "EUR")]
    assert env.payments.refund_trip(command, actor=admin(command.tenant_id)) == result
    payment = env.payments.payment(env.tenant, paid.payment_id, actor=admin(env.tenant))
    assert payment.refundable == Money.of("0.00", "EUR")
    again = RefundTrip(tenant_id=env.tenant, trip_id=trip, idempotency_key="all-2")
    assert env.payments.refund_trip(again, actor=admin(again.tenant_id)).refunds == ()


def test_cancelled_trips_cannot_be_paid(env: Env) -> None:
    trip = env.trip()
    env.travel.cancel_trip(
        ChangeTrip(tenant_id=env.tenant, trip_id=trip, idempotency_key="c"), actor=admin(env.tenant)
    )
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
            ),
            actor=admin(env.tenant),
        )


def test_gateway_outage_leaves_an_initiated_payment_that_the_same_key_completes(
    clock: ManualClock,
) -> None:
    gateway = MemoryPaymentGateway()
    env = Env(gateway, clock, lambda: "pm_card_visa")
    trip = env.trip()
    gateway.available = False
    with pytest.raises(PaymentGatewayUnavailable):
        env.pay(trip, "p")
    (pending,) = env.payments.payments_for_trip(env.tenant, trip, actor=admin(env.tenant))
    assert (pending.status, pending.provider_ref) == (PaymentStatus.INITIATED, None)
    with pytest.raises(Conflict):
        env.pay(trip, "another-key")  # one payment of a trip in flight at a time
    gateway.available = True
    done = env.pay(trip, "p")
    assert (done.status, done.payment_id) == (PaymentStatus.SUCCEEDED, pending.id)
    assert len(env.payments.payments_for_trip(env.tenant, trip, actor=admin(env.tenant))) == 1
