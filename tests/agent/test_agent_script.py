"""The travel agent's scripted conversation end to end: on PostgreSQL with the pgvector
store and the ONNX embedder, paying through Stripe (localstripe); and on memory, where it
answers the same."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from examples.agent.agent import TravelAgent, run_script
from examples.agent.offers import TariffSearch
from sqlalchemy import Engine, create_engine

from travelcore.accounts import Role
from travelcore.agent import RuleBasedUnderstanding
from travelcore.kernel import TenantId, UserId, new_uuid
from travelcore.payments import PaymentService, PaymentStatus
from travelcore.testing.actors import admin
from travelcore.travel import Category, RegisterTenant, TripStatus
from travelcore.vectors import Embedder, namespace_for
from travelcore_adapters import bootstrap
from travelcore_adapters.memory.payment_gateway import MemoryPaymentGateway
from travelcore_adapters.onnx import all_minilm_l6_v2
from travelcore_adapters.pgvector import PgVectorStore, create_schema
from travelcore_adapters.postgres import ProvisionedDatabase
from travelcore_adapters.stripe import StripeGateway

SCRIPT = (Path(__file__).parents[2] / "examples" / "agent" / "script.txt").read_text()
TABLE = "agent_vectors"


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return all_minilm_l6_v2(threads=1)


@pytest.fixture(scope="module")
def engines(postgres_test_database: ProvisionedDatabase) -> Iterator[tuple[Engine, Engine]]:
    owner, app = (
        create_engine(url.set(drivername="postgresql+psycopg"))
        for url in (postgres_test_database.owner_url, postgres_test_database.app_url)
    )
    yield owner, app
    owner.dispose()
    app.dispose()


def converse(app: bootstrap.App, card: Callable[[], str]) -> tuple[TravelAgent, list[str]]:
    tenant = TenantId(new_uuid())
    app.travel.register_tenant(
        RegisterTenant(tenant_id=tenant, name="Acme Travel"), actor=admin(tenant)
    )
    agent = TravelAgent(
        app,
        tenant_id=tenant,
        user_id=UserId(new_uuid()),
        understanding=RuleBasedUnderstanding(),
        search=TariffSearch(),
        card=card,
    )
    return agent, [answer for _, answer in run_script(agent, SCRIPT.splitlines())]


def test_the_script_books_pays_and_recalls_on_postgres_and_stripe(
    postgres_test_database: ProvisionedDatabase,
    engines: tuple[Engine, Engine],
    embedder: Embedder,
    stripe_gateway: StripeGateway,
    stripe_card: Callable[[], str],
) -> None:
    owner, app_engine = engines
    create_schema(owner, embedder.dimension, TABLE, app_role=postgres_test_database.app_role)
    store = PgVectorStore(app_engine, embedder.dimension, table=TABLE)
    with bootstrap.postgres(
        postgres_test_database.app_url,
        pool_size=2,
        embedder=embedder,
        vector_store=store,
        gateway=stripe_gateway,
    ) as app:
        agent, answers = converse(app, stripe_card)
        tenant, user = agent.tenant_id, agent.user_id
        assert agent.trip_id is not None
        trip = app.travel.trip(tenant, agent.trip_id, actor=agent.actor)
        payments = PaymentService(app.database, app.clock, gateway=stripe_gateway)  # type: ignore[arg-type]
        [payment] = payments.payments_for_trip(tenant, agent.trip_id, actor=agent.actor)
        transcript = app.conversations.transcript(tenant, agent.conversation_id, actor=agent.actor)
        [conversation] = app.conversations.conversations(tenant, user, actor=agent.actor)
        remembered = store.list_ids(namespace_for(tenant, "user_memory"))

    # the trip: both flights in business class and a 4-star hotel, as remembered
    kinds = sorted(str(item.kind) for item in trip.items)
    assert kinds == sorted(
        str(k)
        for k in (Category.FLIGHT, Category.FLIGHT, Category.HOTEL, Category.CAR, Category.TOUR)
    )
    assert {str(i.cabin_class) for i in trip.items if i.kind is Category.FLIGHT} == {"business"}
    [hotel] = [i for i in trip.items if i.kind is Category.HOTEL]
    assert (hotel.hotel_stars, hotel.quantity) == (4, 4)
    assert trip.status is TripStatus.CONFIRMED
    # the payment: the whole total, captured by Stripe
    assert payment.status is PaymentStatus.SUCCEEDED
    assert payment.amount == trip.total
    assert payment.provider_ref is not None
    assert payment.provider_ref.startswith("pi_")
    assert f"Paid {payment.amount.currency} {payment.amount.amount:,.2f}" in answers[5]
    # the recall: the diet, not the hotel preference
    assert answers[6] == "You told me: you are vegetarian and allergic to peanuts."
    # the conversation: every message kept, in turn, and ended
    assert [m.role for m in transcript] == [Role.USER, Role.AGENT] * len(answers)
    assert [m.content for m in transcript[1::2]] == answers
    assert conversation.ended_at is not None
    assert len(remembered.ids) == 2  # the two facts, in the tenant's user_memory namespace


def test_the_script_answers_the_same_on_memory(embedder: Embedder) -> None:
    with bootstrap.memory(embedder=embedder, gateway=MemoryPaymentGateway()) as app:
        agent, answers = converse(app, lambda: "pm_card_visa")
    assert agent.trip_id is not None
    booked = answers[4]
    assert booked.startswith(f"Booked: trip {agent.trip_id} for EUR 2,114.00.")
    assert answers[5] == "Paid EUR 2,114.00: your trip is confirmed."
    assert answers[6] == "You told me: you are vegetarian and allergic to peanuts."
    assert "4-star hotel in Lisbon, 4 night(s): EUR 640.00" in answers[3]
