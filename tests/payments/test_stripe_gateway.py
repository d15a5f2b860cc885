"""The Stripe adapter through the official SDK against localstripe."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.payments.conftest import API_KEY, WEBHOOK_SECRET, _free_port
from travelcore.kernel import ManualClock, Money, PaymentGatewayUnavailable, ValidationFailed
from travelcore.testing import PaymentGatewayContract, StripeSigner
from travelcore_adapters.memory import MemoryDatabase
from travelcore_adapters.stripe import StripeGateway, from_minor_units, to_minor_units


class TestStripeGateway(PaymentGatewayContract):
    @pytest.fixture
    def signer(self) -> StripeSigner:
        return StripeSigner(WEBHOOK_SECRET)

    @pytest.fixture
    def gateway(self, localstripe_url: str, clock: ManualClock) -> StripeGateway:
        return StripeGateway(
            API_KEY, webhook_secret=WEBHOOK_SECRET, api_base=localstripe_url, clock=clock
        )

    @pytest.fixture
    def database(self) -> MemoryDatabase:
        return MemoryDatabase()

    @pytest.fixture
    def card(self, stripe_card: Callable[[], str]) -> Callable[[], str]:
        return stripe_card

    @pytest.fixture
    def declined_card(self, stripe_declined_card: Callable[[], str]) -> Callable[[], str]:
        return stripe_declined_card


def test_connection_errors_mean_unavailable() -> None:
    gateway = StripeGateway(
        API_KEY, webhook_secret=WEBHOOK_SECRET, api_base=f"http://127.0.0.1:{_free_port()}"
    )
    with pytest.raises(PaymentGatewayUnavailable):
        gateway.create_payment(
            Money.of("1", "EUR"), payment_method="pm_x", idempotency_key="k", metadata={}
        )


def test_unknown_payment_is_a_rejected_request(stripe_gateway: StripeGateway) -> None:
    with pytest.raises(ValidationFailed):
        stripe_gateway.refund("pi_missing", Money.of("1", "EUR"), idempotency_key="k")


def test_minor_units() -> None:
    assert to_minor_units(Money.of("12.34", "EUR")) == 1234
    assert to_minor_units(Money.of("500", "JPY")) == 500
    assert to_minor_units(Money.of("1.234", "KWD")) == 1234
    assert from_minor_units(1234, "eur") == Money.of("12.34", "EUR")
    with pytest.raises(ValidationFailed):
        to_minor_units(Money.of("1", "EUR") * 0 + Money(Money.of("0.001", "KWD").amount, "EUR"))


def test_secrets_stay_out_of_repr(stripe_gateway: StripeGateway) -> None:
    assert API_KEY not in repr(stripe_gateway)
    assert WEBHOOK_SECRET not in repr(stripe_gateway)
