"""With every logger at DEBUG, payments and webhooks (Stripe against localstripe, PayPal
against its stand-in), credential storage, sign-in and API-key authentication (on
PostgreSQL) and a Pinecone store (against needledb) log no secret: no API key, card token,
client secret, access token, webhook secret, password or credential."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.adapters.vector_servers import (  # noqa: F401  (fixtures)
    needledb_server,
    pinecone_store_factory,
)
from tests.payments.conftest import API_KEY, WEBHOOK_SECRET
from travelcore.accounts import AccountService, RegisterAccount, Secret, StoreCredential
from travelcore.apikeys import ApiKeyService, CreateApiKey
from travelcore.kernel import ManualClock, Money, TenantId, UserId, new_uuid
from travelcore.testing import StripeSigner
from travelcore.testing.actors import admin
from travelcore.testing.vectors import DIMENSION, unit
from travelcore.vectors import VectorRecord
from travelcore_adapters.log_redaction import SecretRedactor
from travelcore_adapters.paypal import PayPalGateway
from travelcore_adapters.paypal.testing import PayPalSigner, PayPalStandIn
from travelcore_adapters.pinecone.testing import DEFAULT_API_KEY
from travelcore_adapters.postgres import PostgresDatabase
from travelcore_adapters.security import AesGcmSecretBox, Argon2PasswordHasher
from travelcore_adapters.stripe import StripeGateway

PEERS = ("mail.log", "localstripe", "aiohttp")
"""The test peers' own loggers (servers running in this process, not travelcore's)."""

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)


@pytest.fixture
def every_logger_at_debug(caplog: pytest.LogCaptureFixture) -> Iterator[Callable[[], str]]:
    """Every logger (those that exist and those made later) at DEBUG; returns a function
    giving everything logged so far: messages, arguments, extra fields and tracebacks."""
    manager = logging.getLogger().manager
    levels = {
        name: logger.level
        for name, logger in manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
    }
    for name in levels:
        logging.getLogger(name).setLevel(logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    formatter = logging.Formatter()

    def logged() -> str:
        records = [r for r in caplog.records if not r.name.startswith(PEERS)]
        assert records, "nothing was logged: the check would pass vacuously"
        return "\n".join(f"{formatter.format(r)} {vars(r)!r}" for r in records)

    yield logged
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def assert_absent(text: str, secrets: dict[str, str]) -> None:
    leaked = {name for name, secret in secrets.items() if secret in text}
    assert leaked == set(), f"logged: {sorted(leaked)}"


def test_a_stripe_payment_refund_and_webhook_log_no_secret(
    localstripe_url: str,
    stripe_card: Callable[[], str],
    every_logger_at_debug: Callable[[], str],
) -> None:
    card = stripe_card()
    gateway = StripeGateway(
        API_KEY, webhook_secret=WEBHOOK_SECRET, api_base=localstripe_url, clock=ManualClock(NOW)
    )
    started = gateway.create_payment(
        Money.of("12.50", "EUR"), payment_method=card, idempotency_key="pay-1", metadata={}
    )
    paid = gateway.confirm_payment(started.provider_ref, idempotency_key="confirm-1")
    gateway.refund(paid.provider_ref, Money.of("2.50", "EUR"), idempotency_key="refund-1")
    signer = StripeSigner(WEBHOOK_SECRET)
    payload, headers = signer.payment_event(
        "evt_1", paid.provider_ref, TenantId(new_uuid()), succeeded=True, signed_at=NOW
    )
    gateway.parse_webhook(payload, headers)
    client_secret = gateway._client.v1.payment_intents.retrieve(paid.provider_ref).client_secret

    logged = every_logger_at_debug()
    assert "Post details" in logged  # the negative control: the SDK logged its requests
    secrets = {"api key": API_KEY, "webhook secret": WEBHOOK_SECRET, "card token": card}
    assert_absent(logged, secrets | {"client secret": client_secret or API_KEY})


def test_negative_control_without_the_filter_stripe_logs_card_tokens(
    localstripe_url: str,
    stripe_card: Callable[[], str],
    every_logger_at_debug: Callable[[], str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gateway = StripeGateway(API_KEY, webhook_secret=WEBHOOK_SECRET, api_base=localstripe_url)
    monkeypatch.setattr(logging.getLogger("stripe"), "filters", [])
    card = stripe_card()
    gateway.create_payment(
        Money.of("12.50", "EUR"), payment_method=card, idempotency_key="pay-2", metadata={}
    )
    assert card in every_logger_at_debug()


def test_the_redactor_masks_logfmt_fields_registered_secrets_and_secret_shapes() -> None:
    redactor = SecretRedactor(fields=("post_data", "body"))
    redactor.add(["hunter2hunter2"])
    line = (
        "body='{\\n \"id\": \"x\"}' message='API response body' "
        "post_data=amount=1&payment_method=pm_1 password=hunter2hunter2 "
        "key=sk_test_abc secret=pi_1_secret_2 hook=whsec_3 ok=pi_4"
    )
    assert redactor.redact(line) == (
        "body=*** message='API response body' post_data=*** password=*** "
        "key=*** secret=*** hook=*** ok=pi_4"
    )


def test_a_paypal_payment_and_webhook_log_no_secret(
    paypal_standin: PayPalStandIn,
    paypal_gateway: PayPalGateway,
    every_logger_at_debug: Callable[[], str],
) -> None:
    card = f"vault-{new_uuid().hex}"
    started = paypal_gateway.create_payment(
        Money.of("12.50", "EUR"), payment_method=card, idempotency_key="pay-1", metadata={}
    )
    paid = paypal_gateway.confirm_payment(started.provider_ref, idempotency_key="confirm-1")
    payload, headers = PayPalSigner(paypal_standin).payment_event(
        "WH-1", paid.provider_ref, TenantId(new_uuid()), succeeded=True, signed_at=NOW
    )
    paypal_gateway.parse_webhook(payload, headers)
    token = paypal_gateway._access_token()

    logged = every_logger_at_debug()
    assert "HTTP Request: POST" in logged  # the negative control: httpx logged the requests
    assert_absent(
        logged,
        {"client secret": paypal_standin.client_secret, "access token": token, "card token": card},
    )


def test_credentials_sign_in_and_api_keys_log_no_secret(
    postgres_database: PostgresDatabase, every_logger_at_debug: Callable[[], str]
) -> None:
    box = AesGcmSecretBox({"k1": AesGcmSecretBox.generate_key()}, current="k1")
    hasher = Argon2PasswordHasher(time_cost=1, memory_cost=512, parallelism=1)
    clock = ManualClock(NOW)
    accounts = AccountService(postgres_database, clock, secret_box=box, hasher=hasher)
    keys = ApiKeyService(postgres_database, clock, digest=box)
    tenant, user = TenantId(new_uuid()), UserId(new_uuid())
    password, credential = "hunter2hunter2", "AMADEUS-KEY-9f2c41"
    accounts.register(
        RegisterAccount(
            tenant_id=tenant,
            user_id=user,
            email="ada@example.com",
            name="Ada",
            password=Secret(password),
            idempotency_key="register-1",
        ),
        actor=admin(tenant),
    )
    accounts.sign_in(tenant, "ada@example.com", Secret(password))
    stored = StoreCredential(
        tenant_id=tenant,
        user_id=user,
        provider="Amadeus",
        fields={"api_key": Secret(credential)},
        idempotency_key="store-1",
    )
    accounts.store_credential(stored, actor=admin(tenant))
    create = CreateApiKey(
        tenant_id=tenant,
        user_id=user,
        role="traveller",
        name="sync",
        scopes=frozenset({"read:trips"}),
    )
    token = keys.create(create, actor=admin(tenant)).token
    keys.authenticate(tenant, token, scope="read:trips")

    logged = every_logger_at_debug()
    assert "store-1" in logged  # the negative control: the use cases were logged
    assert_absent(logged, {"password": password, "credential": credential, "api key": token})


def test_a_pinecone_store_logs_no_api_key(
    pinecone_store_factory: Callable[..., Any],  # noqa: F811
    every_logger_at_debug: Callable[[], str],
) -> None:
    store = pinecone_store_factory(DIMENSION)
    record = VectorRecord(id="a", values=unit(0), metadata={"kind": "activity"})
    store.upsert("t", [record])
    store.query("t", vector=unit(0), top_k=1)
    logged = every_logger_at_debug()
    assert "Upserting 1 vectors" in logged  # the negative control: the SDK logged its calls
    assert_absent(logged, {"api key": DEFAULT_API_KEY})
