"""Contracts for payment repositories and payment gateways, plus webhook-signing helpers."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

import attrs
import pytest

from travelcore.kernel import (
    AlreadyExists,
    Conflict,
    IdempotencyConflict,
    ManualClock,
    Money,
    NotFound,
    StaleVersion,
    TenantId,
    UserId,
    ValidationFailed,
    new_uuid,
)
from travelcore.kernel.errors import RefundExceedsCaptured
from travelcore.payments import (
    TENANT_METADATA_KEY,
    Payment,
    PaymentGateway,
    PaymentId,
    PaymentResult,
    PaymentService,
    PaymentStatus,
    PayTrip,
    Refund,
    RefundPayment,
    RefundResult,
    RefundStatus,
    WebhookOutcome,
)
from travelcore.testing.actors import admin
from travelcore.travel import BookTrip, LineItem, RegisterTenant, TravelService, TripId, TripStatus

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def sign_payload(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` header value for ``payload``."""
    stamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + payload, hashlib.sha256)
    return f"t={stamp},v1={digest.hexdigest()}"


def event_payload(
    event_id: str, event_type: str, provider_ref: str, tenant_id: TenantId | None
) -> bytes:
    """A Stripe-shaped event about the payment intent ``provider_ref``."""
    metadata = {TENANT_METADATA_KEY: str(tenant_id)} if tenant_id else {}
    event = {
        "id": event_id,
        "object": "event",
        "type": event_type,
        "data": {"object": {"id": provider_ref, "object": "payment_intent", "metadata": metadata}},
    }
    return json.dumps(event).encode()


def make_payment(tenant: TenantId, trip: TripId | None = None, at: datetime = T0) -> Payment:
    return Payment(
        id=PaymentId(new_uuid()),
        tenant_id=tenant,
        trip_id=trip or TripId(new_uuid()),
        amount=Money.of("250.00", "EUR"),
        provider="memory",
        provider_ref=f"pi_{new_uuid().hex}",
        created_at=at,
        updated_at=at,
    )


class PaymentRepositoriesContract:
    """Subclass and provide ``uow_factory``: ``(TenantId, EventBus | None) -> unit of work``
    with ``payments`` and ``webhook_events``."""

    @pytest.fixture
    def tenant(self) -> TenantId:
        return TenantId(new_uuid())

    def test_payment_round_trip_and_versions(
        self, uow_factory: Callable[..., Any], tenant: TenantId
    ) -> None:
        payment = make_payment(tenant)
        with uow_factory(tenant, None) as uow:
            uow.payments.add(payment)
            uow.commit()
        with uow_factory(tenant, None) as uow:
            assert uow.payments.get(payment.id) == payment
            with pytest.raises(AlreadyExists):
                uow.payments.add(payment)
        done = payment.succeeded(T0)
        with uow_factory(tenant, None) as uow:
            uow.payments.save(done)
            refunded = done.with_refund(
                Refund(provider_ref="re_1", amount=Money.of("50", "EUR"), created_at=T0)
            )
            uow.payments.save(refunded)
            uow.commit()
        assert (payment.version, done.version, refunded.version) == (1, 2, 3)
        with uow_factory(tenant, None) as uow:
            stored = uow.payments.get(payment.id)
            assert stored == refunded
            assert stored.refundable == Money.of("200.00", "EUR")
            with pytest.raises(StaleVersion):
                uow.payments.save(done)

    def test_lookups_and_isolation(self, uow_factory: Callable[..., Any], tenant: TenantId) -> None:
        trip = TripId(new_uuid())
        first = make_payment(tenant, trip, T0).failed("declined", T0)
        second = make_payment(tenant, trip, T0 + timedelta(hours=1))
        unrelated = make_payment(tenant)
        with uow_factory(tenant, None) as uow:
            for payment in (second, first, unrelated):
                uow.payments.add(payment)
            uow.commit()
        with uow_factory(tenant, None) as uow:
            assert [p.id for p in uow.payments.for_trip(trip)] == [first.id, second.id]
            assert uow.payments.find_by_provider_ref(str(second.provider_ref)) == second
            assert uow.payments.find_by_provider_ref("pi_missing") is None
        other = TenantId(new_uuid())
        with uow_factory(other, None) as uow:
            assert list(uow.payments.for_trip(trip)) == []
            assert uow.payments.find_by_provider_ref(str(first.provider_ref)) is None
            with pytest.raises(NotFound):
                uow.payments.get(first.id)

    def test_one_initiated_payment_per_trip(
        self, uow_factory: Callable[..., Any], tenant: TenantId
    ) -> None:
        trip = TripId(new_uuid())
        first = make_payment(tenant, trip)
        with uow_factory(tenant, None) as uow:
            uow.payments.add(first)
            uow.commit()
        with uow_factory(tenant, None) as uow, pytest.raises(Conflict):
            uow.payments.add(make_payment(tenant, trip))
        with uow_factory(tenant, None) as uow:
            uow.payments.save(first.failed("declined", T0))
            uow.payments.add(make_payment(tenant, trip))
            uow.commit()
        with uow_factory(tenant, None) as uow:
            assert len(uow.payments.for_trip(trip)) == 2

    def test_payments_needing_settlement(
        self, uow_factory: Callable[..., Any], tenant: TenantId
    ) -> None:
        hour = timedelta(hours=1)
        old = make_payment(tenant, at=T0)
        new = make_payment(tenant, at=T0 + 2 * hour)
        settled = make_payment(tenant, at=T0).succeeded(T0)
        pending = settled.with_refund(
            Refund(
                provider_ref=None,
                amount=Money.of("5", "EUR"),
                created_at=T0,
                status=RefundStatus.PENDING,
            )
        )
        done = make_payment(tenant, at=T0).succeeded(T0)
        done = done.with_refund(
            Refund(provider_ref="re_1", amount=Money.of("5", "EUR"), created_at=T0)
        )
        with uow_factory(tenant, None) as uow:
            for payment in (new, old, pending, done):
                uow.payments.add(payment)
            uow.commit()
        with uow_factory(tenant, None) as uow:
            assert {p.id for p in uow.payments.needing_settlement(T0 + hour)} == {
                old.id,
                pending.id,
            }
            assert len(uow.payments.needing_settlement(T0 + 3 * hour)) == 3
            assert list(uow.payments.needing_settlement(T0)) == []
        with uow_factory(TenantId(new_uuid()), None) as uow:
            assert list(uow.payments.needing_settlement(T0 + 3 * hour)) == []

    def test_webhook_event_log(self, uow_factory: Callable[..., Any], tenant: TenantId) -> None:
        with uow_factory(tenant, None) as uow:
            assert not uow.webhook_events.seen("evt_1")
            uow.webhook_events.add("evt_1", T0)
            uow.commit()
        with uow_factory(tenant, None) as uow:
            assert uow.webhook_events.seen("evt_1")
            with pytest.raises(AlreadyExists):
                uow.webhook_events.add("evt_1", T0)
        with uow_factory(TenantId(new_uuid()), None) as uow:
            assert not uow.webhook_events.seen("evt_1")


Delivery = tuple[bytes, dict[str, str]]


class WebhookSigner(Protocol):
    """Makes webhook deliveries (raw body, HTTP headers) signed the way a provider signs them."""

    def payment_event(
        self,
        event_id: str,
        provider_ref: str,
        tenant_id: TenantId | None,
        *,
        succeeded: bool,
        signed_at: datetime,
    ) -> Delivery:
        """The provider's event that the payment ``provider_ref`` succeeded (or failed)."""
        ...

    def sign(self, payload: bytes, signed_at: datetime) -> dict[str, str]:
        """Headers that sign ``payload`` (any bytes) at ``signed_at``."""
        ...

    def forge(self, payload: bytes, signed_at: datetime) -> dict[str, str]:
        """Headers that sign ``payload`` with a key the gateway does not trust."""
        ...


@attrs.frozen
class StripeSigner:
    """Deliveries in Stripe's shape, signed with ``Stripe-Signature`` under ``secret``."""

    secret: str

    def payment_event(
        self,
        event_id: str,
        provider_ref: str,
        tenant_id: TenantId | None,
        *,
        succeeded: bool,
        signed_at: datetime,
    ) -> Delivery:
        kind = "payment_intent.succeeded" if succeeded else "payment_intent.payment_failed"
        payload = event_payload(event_id, kind, provider_ref, tenant_id)
        return payload, self.sign(payload, signed_at)

    def sign(self, payload: bytes, signed_at: datetime) -> dict[str, str]:
        stamp = int(signed_at.timestamp())
        return {"Stripe-Signature": sign_payload(payload, self.secret, stamp)}

    def forge(self, payload: bytes, signed_at: datetime) -> dict[str, str]:
        return StripeSigner(f"{self.secret}_forged").sign(payload, signed_at)


class CountingGateway:
    """Forwards to a gateway and records the names of the calls that reached it."""

    def __init__(self, inner: PaymentGateway) -> None:
        self.inner = inner
        self.name = inner.name
        self.calls: list[str] = []

    def __getattr__(self, attribute: str) -> Any:
        target = getattr(self.inner, attribute)

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(attribute)
            return target(*args, **kwargs)

        return call


class GatewayShop:
    """A tenant that books trips and pays for them through one gateway."""

    def __init__(
        self,
        gateway: PaymentGateway,
        database: Callable[[TenantId], Any],
        clock: ManualClock,
        card: Callable[[], str],
    ) -> None:
        self.gateway = CountingGateway(gateway)
        self.database = database
        self.clock = clock
        self.card = card
        self.travel = TravelService(database, clock)
        self.payments = PaymentService(database, clock, gateway=self.gateway)
        self.tenant = TenantId(new_uuid())
        self.travel.register_tenant(
            RegisterTenant(tenant_id=self.tenant, name="Acme", idempotency_key="tenant"),
            actor=admin(self.tenant),
        )

    def trip(self, price: Money) -> TripId:
        tour = LineItem.tour(
            provider="Viator",
            external_ref="T-1",
            price_per_person=price,
            participants=1,
            scheduled_on=date(2026, 6, 1),
        )
        booked = self.travel.book_trip(
            BookTrip(
                tenant_id=self.tenant,
                user_id=UserId(new_uuid()),
                currency=price.currency,
                items=(tour,),
                idempotency_key=new_uuid().hex,
            ),
            actor=admin(self.tenant),
        )
        return TripId(booked.id)

    def pay(self, trip: TripId, key: str, method: str | None = None) -> PaymentResult:
        return self.payments.pay(
            PayTrip(
                tenant_id=self.tenant,
                trip_id=trip,
                payment_method=method or self.card(),
                idempotency_key=key,
            ),
            actor=admin(self.tenant),
        )

    def refund(self, payment_id: PaymentId, amount: Money | None, key: str) -> RefundResult:
        return self.payments.refund(
            RefundPayment(
                tenant_id=self.tenant, payment_id=payment_id, amount=amount, idempotency_key=key
            ),
            actor=admin(self.tenant),
        )

    def initiated(self, trip: TripId, provider_ref: str, amount: Money) -> Payment:
        """Record a payment the provider knows but has not reported on (e.g. 3-D Secure)."""
        now = self.clock.now()
        payment = Payment(
            id=PaymentId(new_uuid()),
            tenant_id=self.tenant,
            trip_id=trip,
            amount=amount,
            provider=self.gateway.name,
            provider_ref=provider_ref,
            created_at=now,
            updated_at=now,
        )
        with self.database(self.tenant) as uow:
            uow.payments.add(payment)
            uow.commit()
        return payment


def _eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


class PaymentGatewayContract:
    """One contract for every :class:`PaymentGateway`, through :class:`PaymentService`.

    Subclass and provide ``gateway`` (verifying webhooks against the ``clock`` fixture, a
    :class:`ManualClock`), ``card`` and ``declined_card`` (callables returning fresh
    payment-method tokens), ``signer`` (a :class:`WebhookSigner` for the gateway's provider)
    and ``database`` (a unit-of-work factory with ``trips``, ``payments``, ``webhook_events``
    and ``idempotency``). Refund caps and idempotency are travelcore's: the tests count the
    calls that reach the provider."""

    @pytest.fixture
    def shop(
        self,
        gateway: PaymentGateway,
        database: Callable[[TenantId], Any],
        clock: ManualClock,
        card: Callable[[], str],
    ) -> GatewayShop:
        return GatewayShop(gateway, database, clock, card)

    def test_pay_refund_partially_refund_the_rest_and_refuse_more(self, shop: GatewayShop) -> None:
        trip = shop.trip(_eur("42.50"))
        paid = shop.pay(trip, "pay")
        assert (paid.status, paid.amount) == (PaymentStatus.SUCCEEDED, _eur("42.50"))
        assert paid.provider_ref
        assert (
            shop.travel.trip(shop.tenant, trip, actor=admin(shop.tenant)).status
            is TripStatus.CONFIRMED
        )
        part = shop.refund(paid.payment_id, _eur("10.00"), "part")
        assert (part.amount, part.refundable) == (_eur("10.00"), _eur("32.50"))
        rest = shop.refund(paid.payment_id, None, "rest")
        assert (rest.amount, rest.refunded, rest.refundable) == (
            _eur("32.50"),
            _eur("42.50"),
            _eur("0.00"),
        )
        assert part.provider_ref != rest.provider_ref
        calls = len(shop.gateway.calls)
        with pytest.raises(RefundExceedsCaptured):
            shop.refund(paid.payment_id, _eur("0.01"), "more")
        assert len(shop.gateway.calls) == calls

    def test_over_refund_is_refused_before_the_provider(self, shop: GatewayShop) -> None:
        paid = shop.pay(shop.trip(_eur("20.00")), "pay")
        with pytest.raises(RefundExceedsCaptured):
            shop.refund(paid.payment_id, _eur("20.01"), "over")
        assert "refund" not in shop.gateway.calls
        assert (
            shop.payments.payment(shop.tenant, paid.payment_id, actor=admin(shop.tenant)).refunds
            == ()
        )

    def test_retry_with_one_key_is_one_payment_and_one_refund(self, shop: GatewayShop) -> None:
        trip = shop.trip(_eur("30.00"))
        method = shop.card()
        first = shop.pay(trip, "same", method)
        assert shop.pay(trip, "same", method) == first
        assert shop.gateway.calls == ["create_payment", "confirm_payment"]
        assert (
            len(shop.payments.payments_for_trip(shop.tenant, trip, actor=admin(shop.tenant))) == 1
        )
        refund = shop.refund(first.payment_id, _eur("5.00"), "r")
        assert shop.refund(first.payment_id, _eur("5.00"), "r") == refund
        assert shop.gateway.calls.count("refund") == 1
        with pytest.raises(IdempotencyConflict):
            shop.refund(first.payment_id, _eur("6.00"), "r")

    def test_declined_instrument_records_a_failed_payment(
        self, shop: GatewayShop, declined_card: Callable[[], str]
    ) -> None:
        trip = shop.trip(_eur("15.00"))
        failed = shop.pay(trip, "declined", declined_card())
        assert failed.status is PaymentStatus.FAILED
        assert failed.failure
        assert (
            shop.travel.trip(shop.tenant, trip, actor=admin(shop.tenant)).status
            is TripStatus.PENDING
        )
        assert shop.pay(trip, "again").status is PaymentStatus.SUCCEEDED

    def test_whole_yen(self, shop: GatewayShop) -> None:
        paid = shop.pay(shop.trip(Money.of("1200", "JPY")), "pay")
        assert (paid.status, paid.amount) == (PaymentStatus.SUCCEEDED, Money.of("1200", "JPY"))
        done = shop.refund(paid.payment_id, Money.of("200", "JPY"), "r")
        assert done.refundable == Money.of("1000", "JPY")

    def test_status_and_cancel_of_payments(
        self, gateway: PaymentGateway, card: Callable[[], str]
    ) -> None:
        def create() -> str:
            return gateway.create_payment(
                _eur("12.00"), payment_method=card(), idempotency_key=new_uuid().hex, metadata={}
            ).provider_ref

        open_ref = create()
        assert gateway.payment_status(open_ref).status is PaymentStatus.INITIATED
        assert gateway.cancel_payment(open_ref).status is PaymentStatus.FAILED
        captured = create()
        gateway.confirm_payment(captured, idempotency_key=new_uuid().hex)
        status = gateway.payment_status(captured)
        assert (status.status, status.amount) == (PaymentStatus.SUCCEEDED, _eur("12.00"))
        assert gateway.cancel_payment(captured).status is PaymentStatus.SUCCEEDED

    def test_webhook_settles_an_initiated_payment_once_and_replays_are_ignored(
        self, shop: GatewayShop, gateway: PaymentGateway, signer: WebhookSigner
    ) -> None:
        trip = shop.trip(_eur("50.00"))
        created = gateway.create_payment(
            _eur("50.00"), payment_method=shop.card(), idempotency_key=new_uuid().hex, metadata={}
        )
        payment = shop.initiated(trip, created.provider_ref, _eur("50.00"))
        body, headers = signer.payment_event(
            "evt-ok", created.provider_ref, shop.tenant, succeeded=True, signed_at=shop.clock.now()
        )
        assert shop.payments.handle_webhook(body, headers) is WebhookOutcome.APPLIED
        assert shop.payments.handle_webhook(body, headers) is WebhookOutcome.REPLAY
        stored = shop.payments.payment(shop.tenant, payment.id, actor=admin(shop.tenant))
        assert (stored.status, stored.version) == (PaymentStatus.SUCCEEDED, 2)
        assert (
            shop.travel.trip(shop.tenant, trip, actor=admin(shop.tenant)).status
            is TripStatus.CONFIRMED
        )
        unrouted = signer.payment_event(
            "evt-x", created.provider_ref, None, succeeded=True, signed_at=shop.clock.now()
        )
        assert shop.payments.handle_webhook(*unrouted) is WebhookOutcome.UNROUTED

    def test_a_failure_event_fails_an_initiated_payment(
        self, shop: GatewayShop, signer: WebhookSigner
    ) -> None:
        trip = shop.trip(_eur("50.00"))
        payment = shop.initiated(trip, f"ref-{new_uuid().hex}", _eur("50.00"))
        delivery = signer.payment_event(
            "evt-f",
            str(payment.provider_ref),
            shop.tenant,
            succeeded=False,
            signed_at=shop.clock.now(),
        )
        assert shop.payments.handle_webhook(*delivery) is WebhookOutcome.APPLIED
        stored = shop.payments.payment(shop.tenant, payment.id, actor=admin(shop.tenant))
        assert stored.status is PaymentStatus.FAILED
        assert (
            shop.travel.trip(shop.tenant, trip, actor=admin(shop.tenant)).status
            is TripStatus.PENDING
        )

    def test_stale_webhooks_are_refused(self, shop: GatewayShop, signer: WebhookSigner) -> None:
        now = shop.clock.now()
        for skew in (timedelta(minutes=-6), timedelta(minutes=6)):
            delivery = signer.payment_event(
                f"evt{skew}", "ref", shop.tenant, succeeded=True, signed_at=now + skew
            )
            with pytest.raises(ValidationFailed) as refused:
                shop.payments.handle_webhook(*delivery)
            assert (refused.value.field, refused.value.rule) == ("signature", "fresh")
        recent = signer.payment_event(
            "evt-recent", "ref", shop.tenant, succeeded=True, signed_at=now - timedelta(minutes=4)
        )
        assert shop.payments.handle_webhook(*recent) is WebhookOutcome.RECORDED

    def test_forged_and_tampered_webhooks_are_refused(
        self, shop: GatewayShop, signer: WebhookSigner
    ) -> None:
        now = shop.clock.now()
        body, headers = signer.payment_event(
            "evt-1", "ref", shop.tenant, succeeded=True, signed_at=now
        )
        for delivery in (
            (body, signer.forge(body, now)),
            (body.replace(b"evt-1", b"evt-2"), headers),
        ):
            with pytest.raises(ValidationFailed) as refused:
                shop.payments.handle_webhook(*delivery)
            assert (refused.value.field, refused.value.rule) == ("signature", "valid")
        with pytest.raises(ValidationFailed) as missing:
            shop.payments.handle_webhook(body, {})
        assert (missing.value.field, missing.value.rule) == ("signature", "present")

    def test_malformed_webhooks_are_typed_errors(
        self, shop: GatewayShop, signer: WebhookSigner
    ) -> None:
        now = shop.clock.now()
        for body in (b"not json", b"\xff\xfe", b"[1, 2]", b'{"no": "event"}'):
            with pytest.raises(ValidationFailed) as refused:
                shop.payments.handle_webhook(body, signer.sign(body, now))
            assert refused.value.field == "payload"
