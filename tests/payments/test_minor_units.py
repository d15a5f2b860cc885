"""Amounts finer than their currency's minor unit are refused when the command is built, before
anything is recorded: a sub-cent refund cannot lock a payment, a trip priced 100.5 JPY cannot
be booked (so it cannot leave a payment ``initiated``). On memory and Stripe (localstripe)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from travelcore.kernel import (
    ManualClock,
    Money,
    PaymentDeclined,
    ValidationFailed,
)
from travelcore.payments import (
    PaymentService,
    PaymentStatus,
    RefundPayment,
    RefundStatus,
)
from travelcore.testing.actors import admin
from travelcore.testing.payments import CountingGateway, GatewayShop
from travelcore.travel import LineItem
from travelcore_adapters.memory import MemoryDatabase
from travelcore_adapters.memory.payment_gateway import MemoryPaymentGateway


@pytest.fixture(params=["memory", "stripe"])
def shop(request: pytest.FixtureRequest, clock: ManualClock) -> GatewayShop:
    if request.param == "memory":
        return GatewayShop(MemoryPaymentGateway(), MemoryDatabase(), clock, lambda: "pm_card_visa")
    gateway = request.getfixturevalue("stripe_gateway")
    return GatewayShop(gateway, MemoryDatabase(), clock, request.getfixturevalue("stripe_card"))


def test_a_sub_cent_refund_is_refused_before_it_is_recorded(shop: GatewayShop) -> None:
    paid = shop.pay(shop.trip(Money.of("10.00", "USD")), "pay")
    with pytest.raises(ValidationFailed) as refused:
        RefundPayment(
            tenant_id=shop.tenant,
            payment_id=paid.payment_id,
            amount=Money(Decimal("5.005"), "USD"),
            idempotency_key="sub-cent",
        )
    assert (refused.value.field, refused.value.rule) == ("amount", "minor_units")
    payment = shop.payments.payment(shop.tenant, paid.payment_id, actor=admin(shop.tenant))
    assert payment.refunds == ()
    assert payment.refundable == Money.of("10.00", "USD")
    assert "refund" not in shop.gateway.calls
    done = shop.payments.refund(
        RefundPayment(
            tenant_id=shop.tenant,
            payment_id=paid.payment_id,
            amount=Money.of("5.00", "USD"),
            idempotency_key="five",
        ),
        actor=admin(shop.tenant),
    )
    assert (done.refunded, done.refundable) == (Money.of("5.00", "USD"), Money.of("5.00", "USD"))


def test_a_trip_priced_finer_than_a_yen_cannot_be_booked_and_whole_yen_pay(
    shop: GatewayShop,
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        shop.trip(Money(Decimal("100.5"), "JPY"))
    assert (refused.value.field, refused.value.rule) == ("unit_price", "minor_units")
    assert shop.gateway.calls == []
    trip = shop.trip(Money.of("100", "JPY"))
    paid = shop.pay(trip, "pay")
    assert (paid.status, paid.amount) == (PaymentStatus.SUCCEEDED, Money.of("100", "JPY"))
    (payment,) = shop.payments.payments_for_trip(shop.tenant, trip, actor=admin(shop.tenant))
    assert payment.status is PaymentStatus.SUCCEEDED


@pytest.mark.parametrize(
    ("price", "finer"),
    [("10.00", "10.001"), ("1200", "1200.5"), ("1.250", "1.2505")],
    ids=["USD", "JPY", "KWD"],
)
def test_each_currency_keeps_its_own_minor_unit(shop: GatewayShop, price: str, finer: str) -> None:
    currency = {"10.00": "USD", "1200": "JPY", "1.250": "KWD"}[price]
    with pytest.raises(ValidationFailed):
        shop.trip(Money(Decimal(finer), currency))
    paid = shop.pay(shop.trip(Money.of(price, currency)), "pay")
    assert paid.amount == Money.of(price, currency)
    assert paid.status is PaymentStatus.SUCCEEDED


def test_amounts_out_of_range_are_refused(shop: GatewayShop) -> None:
    with pytest.raises(ValidationFailed) as refused:
        shop.trip(Money(Decimal(10) ** 12, "USD"))
    assert refused.value.rule == "range"
    with pytest.raises(ValidationFailed) as total:
        LineItem.tour(
            provider="Viator",
            external_ref="T",
            price_per_person=Money.of("999999999999", "JPY"),
            participants=2,
            scheduled_on=date(2026, 5, 1),
        )
    assert (total.value.field, total.value.rule) == ("quantity", "range")


class RejectingRefunds(CountingGateway):
    """The provider refuses every refund request as invalid."""

    def refund(self, provider_ref: str, amount: Money, *, idempotency_key: str) -> Any:
        self.calls.append("refund")
        raise ValidationFailed("payment", "provider_rejected", "the provider refused the refund")


def test_a_refund_the_provider_rejects_no_longer_counts_against_the_cap(
    clock: ManualClock,
) -> None:
    shop = GatewayShop(MemoryPaymentGateway(), MemoryDatabase(), clock, lambda: "pm_card_visa")
    shop.gateway = RejectingRefunds(shop.gateway.inner)
    shop.payments = PaymentService(shop.database, clock, gateway=shop.gateway)  # type: ignore[arg-type]
    paid = shop.pay(shop.trip(Money.of("10.00", "USD")), "pay")
    with pytest.raises(PaymentDeclined):
        shop.payments.refund(
            RefundPayment(tenant_id=shop.tenant, payment_id=paid.payment_id, idempotency_key="r"),
            actor=admin(shop.tenant),
        )
    payment = shop.payments.payment(shop.tenant, paid.payment_id, actor=admin(shop.tenant))
    assert [r.status for r in payment.refunds] == [RefundStatus.FAILED]
    assert payment.refundable == Money.of("10.00", "USD")
