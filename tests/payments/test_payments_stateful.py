"""Random pay/refund/retry sequences: refunds never exceed the captured money, retries with the
same key change nothing. Run on the memory gateway and, shorter, on Stripe (localstripe)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from travelcore.kernel import ManualClock, Money, TenantId, UserId, ValidationFailed, new_uuid
from travelcore.kernel.errors import RefundExceedsCaptured
from travelcore.payments import (
    PaymentGateway,
    PaymentService,
    PaymentStatus,
    PayTrip,
    RefundPayment,
)
from travelcore.testing.actors import admin
from travelcore.travel import BookTrip, LineItem, RegisterTenant, TravelService
from travelcore_adapters.memory import MemoryDatabase
from travelcore_adapters.memory.payment_gateway import MemoryPaymentGateway

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(400), places=2)


class PaymentsMachine(RuleBasedStateMachine):
    make_gateway: ClassVar[Callable[[], PaymentGateway]] = MemoryPaymentGateway
    make_db: ClassVar[Callable[[], Any]] = MemoryDatabase
    card: ClassVar[Callable[[], str]] = staticmethod(lambda: "pm_card_visa")

    payments = Bundle("payments")

    @initialize()
    def setup(self) -> None:
        clock = ManualClock(datetime(2026, 3, 1, tzinfo=UTC))
        db = type(self).make_db()
        self.travel = TravelService(db, clock)
        self.gateway = type(self).make_gateway()
        self.service = PaymentService(db, clock, gateway=self.gateway)
        self.tenant = TenantId(new_uuid())
        self.travel.register_tenant(
            RegisterTenant(tenant_id=self.tenant, name="T", idempotency_key="t"),
            actor=admin(self.tenant),
        )
        self.captured: dict[Any, Decimal] = {}
        self.refunded: dict[Any, Decimal] = {}
        self.last: tuple[RefundPayment, Any] | None = None
        self.keys = 0

    def key(self) -> str:
        self.keys += 1
        return f"k{self.keys}"

    @rule(target=payments, fare=amounts)
    def pay(self, fare: Decimal) -> Any:
        booked = self.travel.book_trip(
            BookTrip(
                tenant_id=self.tenant,
                user_id=UserId(new_uuid()),
                currency="EUR",
                items=(
                    LineItem.flight(
                        provider="A",
                        external_ref="F",
                        fare=Money(fare, "EUR"),
                        passengers=1,
                        departs_on=date(2026, 6, 1),
                        destination="X",
                    ),
                ),
                idempotency_key=self.key(),
            ),
            actor=admin(self.tenant),
        )
        paid = self.service.pay(
            PayTrip(
                tenant_id=self.tenant,
                trip_id=booked.id,
                payment_method=type(self).card(),
                idempotency_key=self.key(),
            ),
            actor=admin(self.tenant),
        )
        assert paid.status is PaymentStatus.SUCCEEDED
        self.captured[paid.payment_id] = fare
        self.refunded[paid.payment_id] = Decimal(0)
        return paid.payment_id

    def _refund(self, payment_id: Any, amount: Money | None) -> None:
        remaining = self.captured[payment_id] - self.refunded[payment_id]
        wanted = remaining if amount is None else amount.amount
        command = RefundPayment(
            tenant_id=self.tenant, payment_id=payment_id, amount=amount, idempotency_key=self.key()
        )
        try:
            result = self.service.refund(command, actor=admin(command.tenant_id))
        except RefundExceedsCaptured:
            assert wanted > remaining
            return
        except ValidationFailed:
            assert wanted <= 0
            return
        assert Decimal(0) < wanted <= remaining
        assert result.amount.amount == wanted
        self.refunded[payment_id] += wanted
        self.last = (command, result)

    @rule(payment_id=payments, amount=amounts)
    def refund(self, payment_id: Any, amount: Decimal) -> None:
        self._refund(payment_id, Money(amount, "EUR"))

    @rule(payment_id=payments)
    def refund_the_rest(self, payment_id: Any) -> None:
        self._refund(payment_id, None)

    @rule()
    def retry_last_refund(self) -> None:
        if self.last is not None:
            command, result = self.last
            assert self.service.refund(command, actor=admin(command.tenant_id)) == result

    @invariant()
    def refunds_never_exceed_captured(self) -> None:
        if not hasattr(self, "service"):
            return
        for payment_id, captured in self.captured.items():
            payment = self.service.payment(self.tenant, payment_id, actor=admin(self.tenant))
            assert payment.captured.amount == captured
            assert payment.refunded.amount == self.refunded[payment_id]
            assert payment.refunded <= payment.captured
            if isinstance(self.gateway, MemoryPaymentGateway):  # the provider agrees
                assert self.gateway.refunded(str(payment.provider_ref)) == payment.refunded


def test_memory_gateway_sequences() -> None:
    run_state_machine_as_test(
        PaymentsMachine, settings=settings(max_examples=60, stateful_step_count=15, deadline=None)
    )


def test_stripe_gateway_sequences(stripe_gateway: Any, stripe_card: Callable[[], str]) -> None:
    class StripeMachine(PaymentsMachine):
        make_gateway = staticmethod(lambda: stripe_gateway)
        card = staticmethod(stripe_card)

    run_state_machine_as_test(
        StripeMachine,
        settings=settings(max_examples=10, stateful_step_count=10, deadline=None, database=None),
    )


def test_memory_gateway_sequences_on_postgres(postgres_database: Any) -> None:
    class PostgresMachine(PaymentsMachine):
        make_db = staticmethod(lambda: postgres_database)

    run_state_machine_as_test(
        PostgresMachine,
        settings=settings(max_examples=20, stateful_step_count=10, deadline=None, database=None),
    )
