"""Contracts for payment repositories and payment gateways, plus webhook-signing helpers."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest

from travelcore.kernel import (
    AlreadyExists,
    Conflict,
    Money,
    NotFound,
    PaymentDeclined,
    StaleVersion,
    TenantId,
    ValidationFailed,
    new_uuid,
)
from travelcore.payments import (
    TENANT_METADATA_KEY,
    Payment,
    PaymentGateway,
    PaymentId,
    PaymentStatus,
    Refund,
)
from travelcore.travel import TripId

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


class PaymentGatewayContract:
    """Subclass and provide ``gateway``, ``card`` and ``declined_card`` (callables returning
    fresh payment-method tokens) and ``webhook_secret``."""

    def _pay(self, gateway: PaymentGateway, card: str, amount: str = "42.50") -> str:
        key = new_uuid().hex
        created = gateway.create_payment(
            Money.of(amount, "EUR"),
            payment_method=card,
            idempotency_key=f"{key}:create",
            metadata={"trip_id": "t"},
        )
        assert created.status is PaymentStatus.INITIATED
        assert created.amount == Money.of(amount, "EUR")
        confirmed = gateway.confirm_payment(created.provider_ref, idempotency_key=f"{key}:c")
        assert confirmed.status is PaymentStatus.SUCCEEDED
        assert confirmed.provider_ref == created.provider_ref
        return created.provider_ref

    def test_pay_and_refund_in_parts(
        self, gateway: PaymentGateway, card: Callable[[], str]
    ) -> None:
        ref = self._pay(gateway, card())
        part = gateway.refund(ref, Money.of("10.00", "EUR"), idempotency_key=new_uuid().hex)
        assert part.amount == Money.of("10.00", "EUR")
        rest = gateway.refund(ref, Money.of("32.50", "EUR"), idempotency_key=new_uuid().hex)
        assert rest.amount == Money.of("32.50", "EUR")
        assert part.provider_ref != rest.provider_ref

    def test_zero_decimal_currency(self, gateway: PaymentGateway, card: Callable[[], str]) -> None:
        created = gateway.create_payment(
            Money.of("1200", "JPY"),
            payment_method=card(),
            idempotency_key=new_uuid().hex,
            metadata={},
        )
        assert created.amount == Money.of("1200", "JPY")

    def test_declined_card(self, gateway: PaymentGateway, declined_card: Callable[[], str]) -> None:
        created = gateway.create_payment(
            Money.of("10", "EUR"),
            payment_method=declined_card(),
            idempotency_key=new_uuid().hex,
            metadata={},
        )
        with pytest.raises(PaymentDeclined):
            gateway.confirm_payment(created.provider_ref, idempotency_key=new_uuid().hex)

    def test_webhook_signature_is_verified(
        self, gateway: PaymentGateway, webhook_secret: str
    ) -> None:
        tenant = TenantId(new_uuid())
        payload = event_payload("evt_1", "payment_intent.succeeded", "pi_1", tenant)
        event = gateway.parse_webhook(payload, sign_payload(payload, webhook_secret))
        assert (event.id, event.provider_ref, event.tenant_id) == ("evt_1", "pi_1", tenant)
        assert event.status is PaymentStatus.SUCCEEDED
        with pytest.raises(ValidationFailed):
            gateway.parse_webhook(payload, sign_payload(payload, "whsec_wrong"))
        tampered = payload.replace(b"evt_1", b"evt_2")
        with pytest.raises(ValidationFailed):
            gateway.parse_webhook(tampered, sign_payload(payload, webhook_secret))

    def test_failed_payment_event(self, gateway: PaymentGateway, webhook_secret: str) -> None:
        payload = event_payload("evt_9", "payment_intent.payment_failed", "pi_9", None)
        event = gateway.parse_webhook(payload, sign_payload(payload, webhook_secret))
        assert event.status is PaymentStatus.FAILED
        assert event.tenant_id is None
        assert attrs.asdict(event)["type"] == "payment_intent.payment_failed"
