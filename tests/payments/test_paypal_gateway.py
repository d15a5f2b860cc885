"""The PayPal adapter against the PayPal stand-in server (``travelcore_adapters.paypal.testing``,
which follows PayPal's documented Orders v2 / Payments v2 REST contract; no PayPal sandbox)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.payments.conftest import _free_port
from travelcore.kernel import (
    ManualClock,
    Money,
    PaymentDeclined,
    PaymentGatewayUnavailable,
    ValidationFailed,
    new_uuid,
)
from travelcore.payments import PaymentStatus
from travelcore.testing import PaymentGatewayContract
from travelcore_adapters.memory import MemoryDatabase
from travelcore_adapters.paypal import PayPalGateway, from_value, to_value
from travelcore_adapters.paypal.testing import DECLINED_VAULT_ID, PayPalSigner, PayPalStandIn


class TestPayPalGateway(PaymentGatewayContract):
    @pytest.fixture
    def signer(self, paypal_standin: PayPalStandIn) -> PayPalSigner:
        return PayPalSigner(paypal_standin)

    @pytest.fixture
    def gateway(self, paypal_gateway: PayPalGateway) -> PayPalGateway:
        return paypal_gateway

    @pytest.fixture
    def card(self) -> Callable[[], str]:
        return lambda: f"vault-{new_uuid().hex}"

    @pytest.fixture
    def declined_card(self) -> Callable[[], str]:
        return lambda: DECLINED_VAULT_ID

    @pytest.fixture
    def database(self) -> MemoryDatabase:
        return MemoryDatabase()


def test_amounts_are_written_with_the_currency_decimals() -> None:
    assert to_value(Money.of("1200", "JPY")) == {"currency_code": "JPY", "value": "1200"}
    assert to_value(Money.of("42.5", "EUR")) == {"currency_code": "EUR", "value": "42.50"}
    assert from_value({"currency_code": "USD", "value": "10.00"}) == Money.of("10", "USD")


def test_requests_carry_paypal_request_id_and_the_provider_honours_it(
    paypal_gateway: PayPalGateway, paypal_standin: PayPalStandIn
) -> None:
    amount = Money.of("10.00", "USD")
    first = paypal_gateway.create_payment(
        amount, payment_method="vault-a", idempotency_key="k-create", metadata={}
    )
    again = paypal_gateway.create_payment(
        amount, payment_method="vault-a", idempotency_key="k-create", metadata={}
    )
    assert first.provider_ref == again.provider_ref
    paypal_gateway.confirm_payment(first.provider_ref, idempotency_key="k-capture")
    refund = paypal_gateway.refund(first.provider_ref, amount, idempotency_key="k-refund")
    assert paypal_gateway.refund(first.provider_ref, amount, idempotency_key="k-refund") == refund
    with pytest.raises(ValidationFailed) as exceeded:  # PayPal's own cap: 422
        paypal_gateway.refund(first.provider_ref, amount, idempotency_key="k-refund-2")
    assert exceeded.value.rule == "provider_rejected"


def test_an_expired_token_is_renewed(
    paypal_gateway: PayPalGateway, paypal_standin: PayPalStandIn
) -> None:
    tokens = paypal_standin.requests.count(("POST", "/v1/oauth2/token"))
    for _ in range(2):
        created = paypal_gateway.create_payment(
            Money.of("1", "EUR"), payment_method="v", idempotency_key=new_uuid().hex, metadata={}
        )
        assert created.status is PaymentStatus.INITIATED
        paypal_standin.expire_tokens()
    assert paypal_standin.requests.count(("POST", "/v1/oauth2/token")) == tokens + 2


def test_wrong_credentials_and_no_server_mean_unavailable(
    paypal_standin: PayPalStandIn, clock: ManualClock
) -> None:
    for base_url, secret in (
        (paypal_standin.url, "wrong"),
        (f"http://127.0.0.1:{_free_port()}", paypal_standin.client_secret),
    ):
        gateway = PayPalGateway(
            paypal_standin.client_id, secret, webhook_id="WH", base_url=base_url, clock=clock
        )
        with pytest.raises(PaymentGatewayUnavailable):
            gateway.payment_status("ORDER")


def test_unknown_orders_are_rejected_and_declines_are_declines(
    paypal_gateway: PayPalGateway,
) -> None:
    with pytest.raises(ValidationFailed):
        paypal_gateway.refund("MISSING", Money.of("1", "EUR"), idempotency_key="k")
    created = paypal_gateway.create_payment(
        Money.of("5", "EUR"), payment_method=DECLINED_VAULT_ID, idempotency_key="d", metadata={}
    )
    with pytest.raises(PaymentDeclined):
        paypal_gateway.confirm_payment(created.provider_ref, idempotency_key="dc")
    assert paypal_gateway.payment_status(created.provider_ref).status is PaymentStatus.INITIATED


def test_secrets_stay_out_of_repr(
    paypal_gateway: PayPalGateway, paypal_standin: PayPalStandIn
) -> None:
    assert paypal_standin.client_secret not in repr(paypal_gateway)


def test_capturing_a_captured_order_again_reads_it(paypal_gateway: PayPalGateway) -> None:
    created = paypal_gateway.create_payment(
        Money.of("8.00", "EUR"),
        payment_method="vault-x",
        idempotency_key=new_uuid().hex,
        metadata={},
    )
    first = paypal_gateway.confirm_payment(created.provider_ref, idempotency_key="first")
    again = paypal_gateway.confirm_payment(created.provider_ref, idempotency_key="second")
    assert first.status is again.status is PaymentStatus.SUCCEEDED
    assert again.amount == Money.of("8.00", "EUR")
