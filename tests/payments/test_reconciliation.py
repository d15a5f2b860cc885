"""The reconciliation job on the memory gateway, over the memory adapter and PostgreSQL:
stuck payments settled from what the provider says, trips unblocked, payments that succeed on
cancelled trips refunded automatically and once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from travelcore.kernel import (
    Conflict,
    ManualClock,
    Money,
    PaymentGatewayUnavailable,
    TenantId,
)
from travelcore.payments import (
    PaymentStatus,
    ReconcilePayments,
    Reconciliation,
    RefundStatus,
    WebhookOutcome,
)
from travelcore.testing import StripeSigner
from travelcore.testing.actors import admin, job
from travelcore.testing.payments import GatewayShop
from travelcore.travel import ChangeTrip, TripId, TripStatus
from travelcore_adapters.memory import MemoryDatabase
from travelcore_adapters.memory.payment_gateway import MemoryPaymentGateway
from travelcore_adapters.postgres import PostgresDatabase

SECRET = "whsec_reconcile"
LATER = timedelta(minutes=16)


class Staged:
    """Forwards to the memory gateway; ``before[name]`` runs once before the call ``name``."""

    def __init__(self, inner: MemoryPaymentGateway) -> None:
        self.inner = inner
        self.name = inner.name
        self.before: dict[str, Callable[[], None]] = {}

    def __getattr__(self, attribute: str) -> Any:
        target = getattr(self.inner, attribute)

        def call(*args: Any, **kwargs: Any) -> Any:
            hook = self.before.pop(attribute, None)
            if hook is not None:
                hook()
            return target(*args, **kwargs)

        return call


class Shop(GatewayShop):
    def __init__(self, database: Callable[[TenantId], Any], clock: ManualClock) -> None:
        self.memory = MemoryPaymentGateway(SECRET, clock=clock)
        self.staged = Staged(self.memory)
        super().__init__(self.staged, database, clock, lambda: "pm_card_visa")  # type: ignore[arg-type]

    def eur_trip(self) -> TripId:
        return self.trip(Money.of("80.00", "EUR"))

    def reconcile(self) -> Reconciliation:
        return self.payments.reconcile(
            ReconcilePayments(tenant_id=self.tenant), actor=job(self.tenant)
        )

    def cancel(self, trip: TripId) -> None:
        self.travel.cancel_trip(
            ChangeTrip(tenant_id=self.tenant, trip_id=trip, idempotency_key=f"cancel-{trip}"),
            actor=admin(self.tenant),
        )

    def stuck_in_capture(self, trip: TripId, key: str) -> None:
        """Pay, with the provider going away right before the capture."""

        def away() -> None:
            self.memory.available = False

        self.staged.before["confirm_payment"] = away
        with pytest.raises(PaymentGatewayUnavailable):
            self.pay(trip, key)
        self.memory.available = True


@pytest.fixture(params=["memory", "postgres"])
def shop(request: pytest.FixtureRequest, clock: ManualClock) -> Shop:
    if request.param == "memory":
        return Shop(MemoryDatabase(), clock)
    database: PostgresDatabase = request.getfixturevalue("postgres_database")
    return Shop(database, clock)


def test_a_payment_that_never_reached_the_provider_fails_and_frees_its_trip(shop: Shop) -> None:
    trip = shop.eur_trip()
    shop.memory.available = False
    with pytest.raises(PaymentGatewayUnavailable):
        shop.pay(trip, "pay")
    (stuck,) = shop.payments.payments_for_trip(shop.tenant, trip, actor=admin(shop.tenant))
    assert shop.reconcile() == Reconciliation()  # not old enough yet
    shop.clock.advance(LATER)
    assert shop.reconcile() == Reconciliation(failed=(stuck.id,))  # no provider call needed
    calls = len(shop.gateway.calls)
    assert shop.pay(trip, "pay").status is PaymentStatus.FAILED  # a late retry charges nothing
    assert len(shop.gateway.calls) == calls
    shop.memory.available = True
    assert shop.pay(trip, "again").status is PaymentStatus.SUCCEEDED
    assert shop.reconcile() == Reconciliation()


def test_an_uncaptured_payment_is_cancelled_at_the_provider_and_failed(shop: Shop) -> None:
    trip = shop.eur_trip()
    shop.stuck_in_capture(trip, "pay")
    (stuck,) = shop.payments.payments_for_trip(shop.tenant, trip, actor=admin(shop.tenant))
    assert stuck.provider_ref is not None
    shop.clock.advance(LATER)
    assert shop.reconcile() == Reconciliation(failed=(stuck.id,))
    assert shop.memory.payment_status(stuck.provider_ref).status is PaymentStatus.FAILED
    assert shop.pay(trip, "pay").status is PaymentStatus.FAILED  # the old key never captures
    assert shop.pay(trip, "again").status is PaymentStatus.SUCCEEDED


def test_a_payment_captured_while_its_reply_was_lost_succeeds_once(shop: Shop) -> None:
    trip = shop.eur_trip()

    def capture_then_vanish() -> None:
        (payment,) = shop.payments.payments_for_trip(shop.tenant, trip, actor=admin(shop.tenant))
        shop.memory.confirm_payment(str(payment.provider_ref), idempotency_key="elsewhere")
        shop.memory.available = False

    shop.staged.before["confirm_payment"] = capture_then_vanish
    with pytest.raises(PaymentGatewayUnavailable):
        shop.pay(trip, "pay")
    shop.clock.advance(LATER)
    (stuck,) = shop.payments.payments_for_trip(shop.tenant, trip, actor=admin(shop.tenant))
    with pytest.raises(Conflict):
        shop.pay(trip, "other")
    assert shop.reconcile() == Reconciliation(unknown=(stuck.id,))  # the provider is away
    shop.memory.available = True
    assert shop.reconcile() == Reconciliation(succeeded=(stuck.id,))
    assert shop.reconcile() == Reconciliation()
    assert (
        shop.travel.trip(shop.tenant, trip, actor=admin(shop.tenant)).status is TripStatus.CONFIRMED
    )
    assert shop.pay(trip, "pay").status is PaymentStatus.SUCCEEDED
    with pytest.raises(Conflict):
        shop.pay(trip, "other")  # paid: nothing is due
    assert shop.gateway.calls.count("confirm_payment") == 1


def test_a_webhook_after_cancel_refunds_the_payment_once(shop: Shop) -> None:
    trip = shop.eur_trip()
    shop.stuck_in_capture(trip, "pay")
    (payment,) = shop.payments.payments_for_trip(shop.tenant, trip, actor=admin(shop.tenant))
    ref = str(payment.provider_ref)
    shop.memory.confirm_payment(ref, idempotency_key="3ds")  # the payer completes 3-D Secure
    shop.cancel(trip)
    signer = StripeSigner(SECRET)
    delivery = signer.payment_event(
        "evt-late", ref, shop.tenant, succeeded=True, signed_at=shop.clock.now()
    )
    assert shop.payments.handle_webhook(*delivery) is WebhookOutcome.APPLIED
    assert shop.payments.handle_webhook(*delivery) is WebhookOutcome.REPLAY
    stored = shop.payments.payment(shop.tenant, payment.id, actor=admin(shop.tenant))
    assert stored.status is PaymentStatus.SUCCEEDED
    assert [r.status for r in stored.refunds] == [RefundStatus.SUCCEEDED]
    assert stored.refunded == Money.of("80.00", "EUR")
    assert shop.memory.refunded(ref) == Money.of("80.00", "EUR")
    shop.clock.advance(LATER)
    assert shop.reconcile() == Reconciliation()
    assert shop.gateway.calls.count("refund") == 1


def test_an_automatic_refund_the_provider_missed_is_completed_by_the_job(shop: Shop) -> None:
    trip = shop.eur_trip()
    shop.stuck_in_capture(trip, "pay")
    (payment,) = shop.payments.payments_for_trip(shop.tenant, trip, actor=admin(shop.tenant))
    ref = str(payment.provider_ref)
    shop.memory.confirm_payment(ref, idempotency_key="3ds")
    shop.cancel(trip)

    def away() -> None:
        shop.memory.available = False

    shop.staged.before["refund"] = away
    delivery = StripeSigner(SECRET).payment_event(
        "evt-late", ref, shop.tenant, succeeded=True, signed_at=shop.clock.now()
    )
    assert shop.payments.handle_webhook(*delivery) is WebhookOutcome.APPLIED
    pending = shop.payments.payment(shop.tenant, payment.id, actor=admin(shop.tenant))
    assert [r.status for r in pending.refunds] == [RefundStatus.PENDING]
    assert pending.refundable.is_zero()
    shop.clock.advance(LATER)
    assert shop.reconcile() == Reconciliation(unknown=(payment.id,))
    shop.memory.available = True
    assert shop.reconcile() == Reconciliation(refunded=(payment.id,))
    assert shop.reconcile() == Reconciliation()
    assert shop.memory.refunded(ref) == Money.of("80.00", "EUR")
    done = shop.payments.payment(shop.tenant, payment.id, actor=admin(shop.tenant))
    assert [r.status for r in done.refunds] == [RefundStatus.SUCCEEDED]


def test_a_stuck_payment_on_a_cancelled_trip_is_settled_and_refunded(shop: Shop) -> None:
    trip = shop.eur_trip()
    shop.stuck_in_capture(trip, "pay")
    (payment,) = shop.payments.payments_for_trip(shop.tenant, trip, actor=admin(shop.tenant))
    shop.memory.confirm_payment(str(payment.provider_ref), idempotency_key="3ds")
    shop.cancel(trip)
    shop.clock.advance(LATER)
    assert shop.reconcile() == Reconciliation(succeeded=(payment.id,), refunded=(payment.id,))
    assert shop.reconcile() == Reconciliation()
    assert shop.memory.refunded(str(payment.provider_ref)) == Money.of("80.00", "EUR")
