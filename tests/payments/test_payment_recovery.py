"""No transaction open across a provider call: the intent is committed first, the outcome
after. A crash between the two (simulated by a gateway wrapper that raises after the provider
has acted) is completed by a retry with the same key, on the memory adapter and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any

import pytest

from travelcore.kernel import (
    Conflict,
    ManualClock,
    Money,
    StaleVersion,
    TenantId,
    UserId,
    new_uuid,
)
from travelcore.kernel.errors import RefundExceedsCaptured
from travelcore.payments import (
    PaymentService,
    PaymentStatus,
    PayTrip,
    RefundPayment,
    RefundStatus,
    RefundTrip,
)
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
from travelcore_adapters.memory.payment_gateway import MemoryPaymentGateway
from travelcore_adapters.postgres import PostgresDatabase
from travelcore_adapters.postgres.provision import ProvisionedDatabase


class Crash(Exception):
    """The process died after the provider acted and before the outcome was recorded."""


class CrashingGateway:
    """Calls the real gateway, remembers its replies, then raises ``Crash`` after the calls
    named in ``crash_after`` (once each)."""

    def __init__(self, inner: MemoryPaymentGateway) -> None:
        self.inner = inner
        self.name = inner.name
        self.crash_after: set[str] = set()
        self.replies: list[tuple[str, Any]] = []

    def __getattr__(self, attribute: str) -> Any:
        target = getattr(self.inner, attribute)

        def call(*args: Any, **kwargs: Any) -> Any:
            reply = target(*args, **kwargs)
            self.replies.append((attribute, reply))
            if attribute in self.crash_after:
                self.crash_after.discard(attribute)
                raise Crash(attribute)
            return reply

        return call

    def refs(self, attribute: str) -> list[str]:
        return [reply.provider_ref for name, reply in self.replies if name == attribute]


class World:
    def __init__(self, db: Callable[[TenantId], Any], clock: ManualClock) -> None:
        self.db = db
        self.gateway = CrashingGateway(MemoryPaymentGateway())
        self.travel = TravelService(db, clock)
        self.payments = PaymentService(db, clock, gateway=self.gateway)  # type: ignore[arg-type]
        self.tenant = TenantId(new_uuid())
        self.travel.register_tenant(
            RegisterTenant(tenant_id=self.tenant, name="Acme", idempotency_key="t")
        )

    def trip(self) -> TripId:
        start = date(2026, 5, 1)
        booked = self.travel.book_trip(
            BookTrip(
                tenant_id=self.tenant,
                user_id=UserId(new_uuid()),
                currency="EUR",
                items=(
                    LineItem.hotel(
                        provider="Booking.com",
                        external_ref="H",
                        price_per_night=Money.of("110.00", "EUR"),
                        check_in=start,
                        check_out=start + timedelta(days=2),
                    ),
                ),
                idempotency_key=new_uuid().hex,
            )
        )
        return TripId(booked.id)

    def pay(self, trip: TripId, key: str) -> Any:
        return self.payments.pay(
            PayTrip(
                tenant_id=self.tenant,
                trip_id=trip,
                payment_method="pm_card_visa",
                idempotency_key=key,
            )
        )

    def refund(self, payment_id: Any, amount: str, key: str) -> Any:
        return self.payments.refund(
            RefundPayment(
                tenant_id=self.tenant,
                payment_id=payment_id,
                amount=Money.of(amount, "EUR"),
                idempotency_key=key,
            )
        )


@pytest.fixture(params=["memory", "postgres"])
def world(request: pytest.FixtureRequest, clock: ManualClock) -> World:
    if request.param == "memory":
        return World(MemoryDatabase(), clock)
    database: PostgresDatabase = request.getfixturevalue("postgres_database")
    return World(database, clock)


@pytest.mark.parametrize("crash_after", ["create_payment", "confirm_payment"])
def test_a_retry_after_a_crash_completes_the_initiated_payment(
    world: World, crash_after: str
) -> None:
    trip = world.trip()
    world.gateway.crash_after = {crash_after}
    with pytest.raises(Crash):
        world.pay(trip, "pay")
    (initiated,) = world.payments.payments_for_trip(world.tenant, trip)
    assert initiated.status is PaymentStatus.INITIATED
    assert world.travel.trip(world.tenant, trip).status is TripStatus.PENDING
    with pytest.raises(Conflict):
        world.pay(trip, "other-key")
    done = world.pay(trip, "pay")
    assert (done.payment_id, done.status) == (initiated.id, PaymentStatus.SUCCEEDED)
    assert done.amount == Money.of("220.00", "EUR")
    (stored,) = world.payments.payments_for_trip(world.tenant, trip)
    assert stored.status is PaymentStatus.SUCCEEDED
    # the provider saw the same idempotency keys: one payment intent, not two
    assert set(world.gateway.refs("create_payment")) == {done.provider_ref}
    assert world.travel.trip(world.tenant, trip).status is TripStatus.CONFIRMED
    calls = len(world.gateway.replies)
    assert world.pay(trip, "pay") == done
    assert len(world.gateway.replies) == calls


def test_a_retry_after_a_crash_completes_the_pending_refund(world: World) -> None:
    paid = world.pay(world.trip(), "pay")
    world.gateway.crash_after = {"refund"}
    with pytest.raises(Crash):
        world.refund(paid.payment_id, "150.00", "r1")
    payment = world.payments.payment(world.tenant, paid.payment_id)
    (pending,) = payment.refunds
    assert pending.status is RefundStatus.PENDING
    # the pending refund already counts against the cap, from committed state
    assert payment.refundable == Money.of("70.00", "EUR")
    assert payment.refunded == Money.of("0.00", "EUR")
    with pytest.raises(RefundExceedsCaptured):
        world.refund(paid.payment_id, "70.01", "r2")
    done = world.refund(paid.payment_id, "150.00", "r1")
    assert done.amount == Money.of("150.00", "EUR")
    assert (done.refunded, done.refundable) == (Money.of("150.00", "EUR"), Money.of("70.00", "EUR"))
    assert world.gateway.refs("refund") == [done.provider_ref, done.provider_ref]
    assert world.gateway.inner.refunded(paid.provider_ref) == Money.of("150.00", "EUR")
    (settled,) = world.payments.payment(world.tenant, paid.payment_id).refunds
    assert (settled.status, settled.provider_ref) == (RefundStatus.SUCCEEDED, done.provider_ref)
    assert world.refund(paid.payment_id, "150.00", "r1") == done


def test_a_retry_after_a_crash_completes_the_trip_refund(world: World) -> None:
    trip = world.trip()
    paid = world.pay(trip, "pay")
    world.travel.cancel_trip(ChangeTrip(tenant_id=world.tenant, trip_id=trip, idempotency_key="c"))
    command = RefundTrip(tenant_id=world.tenant, trip_id=trip, idempotency_key="all")
    world.gateway.crash_after = {"refund"}
    with pytest.raises(Crash):
        world.payments.refund_trip(command)
    assert world.payments.payment(world.tenant, paid.payment_id).refundable.is_zero()
    done = world.payments.refund_trip(command)
    assert [r.amount for r in done.refunds] == [Money.of("220.00", "EUR")]
    assert world.gateway.inner.refunded(paid.provider_ref) == Money.of("220.00", "EUR")
    assert world.payments.refund_trip(command) == done


def test_concurrent_refunds_never_exceed_the_capture(
    postgres_test_database: ProvisionedDatabase, clock: ManualClock
) -> None:
    with PostgresDatabase(postgres_test_database.app_url, pool_size=4) as database:
        world = World(database, clock)
        paid = world.pay(world.trip(), "pay")

        def refund(n: int) -> Money | None:
            try:
                return world.refund(paid.payment_id, "60.00", f"r{n}").amount  # type: ignore[no-any-return]
            except (StaleVersion, RefundExceedsCaptured):
                return None

        with ThreadPoolExecutor(max_workers=4) as pool:
            amounts = [a for a in pool.map(refund, range(12)) if a is not None]
        payment = world.payments.payment(world.tenant, paid.payment_id)
        assert 1 <= len(amounts) <= 3  # 3 x 60 <= 220 < 4 x 60
        assert payment.refunded == Money.of(60 * len(amounts), "EUR")
        assert world.gateway.inner.refunded(paid.provider_ref) == payment.refunded
        assert all(r.status is RefundStatus.SUCCEEDED for r in payment.refunds)
