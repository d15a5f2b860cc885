"""No transaction open across a provider call: the intent is committed first, the outcome
after. A crash between the two (simulated by a gateway wrapper that raises after the provider
has acted) is completed by a retry with the same key, on the memory adapter and PostgreSQL.
A provider that goes away mid-payment (a proxy in front of localstripe or the PayPal stand-in
cuts the traffic) leaves payments stuck, which the reconciliation job settles once it returns."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest
import stripe

from tests.payments.conftest import API_KEY, WEBHOOK_SECRET
from tests.payments.outage import Outage
from travelcore.kernel import (
    Conflict,
    ManualClock,
    Money,
    PaymentGatewayUnavailable,
    StaleVersion,
    TenantId,
    UserId,
    new_uuid,
    total,
)
from travelcore.kernel.errors import RefundExceedsCaptured
from travelcore.payments import (
    PaymentGateway,
    PaymentService,
    PaymentStatus,
    PayTrip,
    ReconcilePayments,
    Reconciliation,
    RefundPayment,
    RefundStatus,
    RefundTrip,
)
from travelcore.testing.actors import admin, job
from travelcore.testing.payments import GatewayShop
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
from travelcore_adapters.paypal import PayPalGateway
from travelcore_adapters.paypal.testing import PayPalStandIn
from travelcore_adapters.postgres import PostgresDatabase
from travelcore_adapters.postgres.provision import ProvisionedDatabase
from travelcore_adapters.stripe import StripeGateway, from_minor_units


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
            RegisterTenant(tenant_id=self.tenant, name="Acme", idempotency_key="t"),
            actor=admin(self.tenant),
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
            ),
            actor=admin(self.tenant),
        )
        return TripId(booked.id)

    def pay(self, trip: TripId, key: str) -> Any:
        return self.payments.pay(
            PayTrip(
                tenant_id=self.tenant,
                trip_id=trip,
                payment_method="pm_card_visa",
                idempotency_key=key,
            ),
            actor=admin(self.tenant),
        )

    def refund(self, payment_id: Any, amount: str, key: str) -> Any:
        return self.payments.refund(
            RefundPayment(
                tenant_id=self.tenant,
                payment_id=payment_id,
                amount=Money.of(amount, "EUR"),
                idempotency_key=key,
            ),
            actor=admin(self.tenant),
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
    (initiated,) = world.payments.payments_for_trip(world.tenant, trip, actor=admin(world.tenant))
    assert initiated.status is PaymentStatus.INITIATED
    assert (
        world.travel.trip(world.tenant, trip, actor=admin(world.tenant)).status
        is TripStatus.PENDING
    )
    with pytest.raises(Conflict):
        world.pay(trip, "other-key")
    done = world.pay(trip, "pay")
    assert (done.payment_id, done.status) == (initiated.id, PaymentStatus.SUCCEEDED)
    assert done.amount == Money.of("220.00", "EUR")
    (stored,) = world.payments.payments_for_trip(world.tenant, trip, actor=admin(world.tenant))
    assert stored.status is PaymentStatus.SUCCEEDED
    # the provider saw the same idempotency keys: one payment intent, not two
    assert set(world.gateway.refs("create_payment")) == {done.provider_ref}
    assert (
        world.travel.trip(world.tenant, trip, actor=admin(world.tenant)).status
        is TripStatus.CONFIRMED
    )
    calls = len(world.gateway.replies)
    assert world.pay(trip, "pay") == done
    assert len(world.gateway.replies) == calls


def test_a_retry_after_a_crash_completes_the_pending_refund(world: World) -> None:
    paid = world.pay(world.trip(), "pay")
    world.gateway.crash_after = {"refund"}
    with pytest.raises(Crash):
        world.refund(paid.payment_id, "150.00", "r1")
    payment = world.payments.payment(world.tenant, paid.payment_id, actor=admin(world.tenant))
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
    (settled,) = world.payments.payment(
        world.tenant, paid.payment_id, actor=admin(world.tenant)
    ).refunds
    assert (settled.status, settled.provider_ref) == (RefundStatus.SUCCEEDED, done.provider_ref)
    assert world.refund(paid.payment_id, "150.00", "r1") == done


def test_a_retry_after_a_crash_completes_the_trip_refund(world: World) -> None:
    trip = world.trip()
    paid = world.pay(trip, "pay")
    world.travel.cancel_trip(
        ChangeTrip(tenant_id=world.tenant, trip_id=trip, idempotency_key="c"),
        actor=admin(world.tenant),
    )
    command = RefundTrip(tenant_id=world.tenant, trip_id=trip, idempotency_key="all")
    world.gateway.crash_after = {"refund"}
    with pytest.raises(Crash):
        world.payments.refund_trip(command, actor=admin(command.tenant_id))
    assert world.payments.payment(
        world.tenant, paid.payment_id, actor=admin(world.tenant)
    ).refundable.is_zero()
    done = world.payments.refund_trip(command, actor=admin(command.tenant_id))
    assert [r.amount for r in done.refunds] == [Money.of("220.00", "EUR")]
    assert world.gateway.inner.refunded(paid.provider_ref) == Money.of("220.00", "EUR")
    assert world.payments.refund_trip(command, actor=admin(command.tenant_id)) == done


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
        payment = world.payments.payment(world.tenant, paid.payment_id, actor=admin(world.tenant))
        assert 1 <= len(amounts) <= 3  # 3 x 60 <= 220 < 4 x 60
        assert payment.refunded == Money.of(60 * len(amounts), "EUR")
        assert world.gateway.inner.refunded(paid.provider_ref) == payment.refunded
        assert all(r.status is RefundStatus.SUCCEEDED for r in payment.refunds)


# -- the provider stopped mid-payment: the reconciliation job settles every stuck payment ----


class Staged:
    """Forwards to a gateway; ``before[name]`` runs once before the call ``name``."""

    def __init__(self, inner: Any) -> None:
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


@attrs.define
class Provider:
    """A real provider server behind an :class:`Outage` proxy, and how to ask it what it did."""

    gateway: PaymentGateway
    outage: Outage
    card: Callable[[], str]
    captures: Callable[[set[str]], Counter[str]]  # trip id -> captured payments
    refunded: Callable[[str], Money]  # provider reference -> refunded at the provider


def _stripe_provider(
    request: pytest.FixtureRequest, outage_of: Callable[[str], Outage]
) -> Provider:
    client: stripe.StripeClient = request.getfixturevalue("stripe_client")
    outage = outage_of(request.getfixturevalue("localstripe_url"))
    gateway = StripeGateway(API_KEY, webhook_secret=WEBHOOK_SECRET, api_base=outage.url)

    def captures(trips: set[str]) -> Counter[str]:
        intents = client.v1.payment_intents.list(params={"limit": 100}).auto_paging_iter()
        found = ((i.status, i.to_dict().get("metadata") or {}) for i in intents)
        return Counter(
            meta["trip_id"]
            for status, meta in found
            if status == "succeeded" and meta.get("trip_id") in trips
        )

    def refunded(ref: str) -> Money:
        refunds = client.v1.refunds.list(params={"payment_intent": ref, "limit": 100})
        return total((from_minor_units(r.amount, r.currency) for r in refunds.data), "EUR")

    return Provider(gateway, outage, request.getfixturevalue("stripe_card"), captures, refunded)


def _paypal_provider(
    request: pytest.FixtureRequest, outage_of: Callable[[str], Outage]
) -> Provider:
    standin: PayPalStandIn = request.getfixturevalue("paypal_standin")
    outage = outage_of(standin.url)
    gateway = PayPalGateway(
        standin.client_id,
        standin.client_secret,
        webhook_id=standin.webhook_id,
        base_url=outage.url,
    )

    def captures(trips: set[str]) -> Counter[str]:
        return Counter(
            o["purchase_units"][0]["reference_id"]
            for o in standin.orders.values()
            if o["status"] == "COMPLETED" and o["purchase_units"][0].get("reference_id") in trips
        )

    def refunded(ref: str) -> Money:
        capture = standin.orders[ref]["purchase_units"][0]["payments"]["captures"][0]
        return Money.of(sum(capture["_refunds"], Decimal(0)), "EUR")

    return Provider(gateway, outage, lambda: f"vault-{new_uuid().hex}", captures, refunded)


@pytest.fixture
def outage_of() -> Iterator[Callable[[str], Outage]]:
    made: list[Outage] = []

    def make(target: str) -> Outage:
        made.append(Outage(target))
        return made[-1]

    yield make
    for outage in made:
        outage.close()


@pytest.fixture(params=["stripe", "paypal"])
def provider(request: pytest.FixtureRequest, outage_of: Callable[[str], Outage]) -> Provider:
    if request.param == "stripe":
        return _stripe_provider(request, outage_of)
    return _paypal_provider(request, outage_of)


@pytest.mark.parametrize("store", ["memory", "postgres"])
def test_the_job_settles_every_payment_stuck_by_an_outage_and_nothing_is_charged_twice(
    request: pytest.FixtureRequest, provider: Provider, clock: ManualClock, store: str
) -> None:
    db = MemoryDatabase() if store == "memory" else request.getfixturevalue("postgres_database")
    staged = Staged(provider.gateway)
    shop = GatewayShop(staged, db, clock, provider.card)  # type: ignore[arg-type]
    trips = {name: shop.trip(Money.of("64.00", "EUR")) for name in "ABCD"}
    keys = {name: f"pay-{name}" for name in trips}
    methods = {name: provider.card() for name in trips}

    def pay(name: str) -> None:
        with pytest.raises(PaymentGatewayUnavailable):
            shop.pay(trips[name], keys[name], methods[name])
        provider.outage.up()

    # C and D: the provider captures, then its reply is lost (D's trip is cancelled meanwhile)
    for name in "CD":
        staged.before["confirm_payment"] = provider.outage.lose_replies
        pay(name)
    shop.travel.cancel_trip(
        ChangeTrip(tenant_id=shop.tenant, trip_id=trips["D"], idempotency_key="cancel-D"),
        actor=admin(shop.tenant),
    )
    # B: the provider creates the payment and its reply is lost; A: the provider is down
    provider.outage.lose_replies()
    pay("B")
    provider.outage.down()
    pay("A")
    provider.outage.down()
    stuck = {
        n: shop.payments.payments_for_trip(shop.tenant, t, actor=admin(shop.tenant))[0]
        for n, t in trips.items()
    }
    assert {p.status for p in stuck.values()} == {PaymentStatus.INITIATED}
    with pytest.raises(Conflict):
        shop.pay(trips["A"], "another-key")

    clock.advance(timedelta(minutes=16))
    while_down = shop.payments.reconcile(
        ReconcilePayments(tenant_id=shop.tenant), actor=job(shop.tenant)
    )
    # A and B never reached the capture step: they fail without asking the provider
    assert set(while_down.failed) == {stuck["A"].id, stuck["B"].id}
    assert set(while_down.unknown) == {stuck["C"].id, stuck["D"].id}

    provider.outage.up()
    back = shop.payments.reconcile(ReconcilePayments(tenant_id=shop.tenant), actor=job(shop.tenant))
    assert set(back.succeeded) == {stuck["C"].id, stuck["D"].id}
    assert back.refunded == (stuck["D"].id,)
    assert (
        shop.payments.reconcile(ReconcilePayments(tenant_id=shop.tenant), actor=job(shop.tenant))
        == Reconciliation()
    )

    # no trip stays blocked; the original keys never charge again
    assert (
        shop.travel.trip(shop.tenant, trips["C"], actor=admin(shop.tenant)).status
        is TripStatus.CONFIRMED
    )
    for name in "AB":
        assert shop.pay(trips[name], keys[name], methods[name]).status is PaymentStatus.FAILED
        assert shop.pay(trips[name], f"again-{name}").status is PaymentStatus.SUCCEEDED
    assert shop.pay(trips["C"], keys["C"], methods["C"]).status is PaymentStatus.SUCCEEDED
    trip_ids = {str(t) for t in trips.values()}
    assert provider.captures(trip_ids) == Counter(trip_ids)  # one capture per trip
    refunded_d = shop.payments.payment(shop.tenant, stuck["D"].id, actor=admin(shop.tenant))
    assert refunded_d.refunded == Money.of("64.00", "EUR")
    assert provider.refunded(str(refunded_d.provider_ref)) == Money.of("64.00", "EUR")
