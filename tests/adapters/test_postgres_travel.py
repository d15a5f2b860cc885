"""The travel, payments and accounts repositories on PostgreSQL: the shared contracts, and
tenant isolation of itineraries and trip bookings through the adapter and raw SQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import pytest
from sqlalchemy import text

from travelcore.accounts import AccountService, CredentialId, Secret, StoreCredential
from travelcore.kernel import (
    AccessDenied,
    EventBus,
    IdempotencyConflict,
    ManualClock,
    NotFound,
    TenantId,
    UserId,
    ValidationFailed,
    new_uuid,
)
from travelcore.testing import (
    AccountRepositoriesContract,
    PaymentRepositoriesContract,
    TravelRepositoriesContract,
)
from travelcore.testing.actors import admin
from travelcore.testing.travel import T0, make_itinerary, make_trip
from travelcore.travel import Itinerary, Trip
from travelcore_adapters.postgres import PostgresDatabase, PostgresUnitOfWork
from travelcore_adapters.security import AesGcmSecretBox, Argon2PasswordHasher


@pytest.fixture
def uow_factory(postgres_database: PostgresDatabase) -> Callable[..., Any]:
    def make(tenant_id: TenantId, bus: EventBus | None = None) -> PostgresUnitOfWork:
        return PostgresUnitOfWork(postgres_database.engine, tenant_id, bus)

    return make


class TestPostgresTravelRepositories(TravelRepositoriesContract):
    pass


class TestPostgresPaymentRepositories(PaymentRepositoriesContract):
    pass


class TestPostgresAccountRepositories(AccountRepositoriesContract):
    pass


# --- tenant isolation of itineraries and trip bookings ------------------------------------

TABLES = ("itineraries", "itinerary_days", "trips", "trip_items")


def _seed(database: PostgresDatabase, tenant: TenantId) -> tuple[Itinerary, Trip]:
    user = UserId(new_uuid())
    itinerary = make_itinerary(tenant, user)
    trip = attrs.evolve(make_trip(tenant, user), itinerary_id=itinerary.id)
    with database(tenant) as uow:
        uow.itineraries.add(itinerary)
        uow.trips.add(trip)
        uow.commit()
    return itinerary, trip


def test_itineraries_and_trips_of_tenant_b_are_invisible_and_untouchable_from_a(
    postgres_database: PostgresDatabase,
) -> None:
    a, b = TenantId(new_uuid()), TenantId(new_uuid())
    mine = _seed(postgres_database, a)
    theirs_itinerary, theirs_trip = _seed(postgres_database, b)
    with postgres_database(a) as uow:
        # through the adapter
        assert [i.id for i in uow.itineraries.list()] == [mine[0].id]
        assert [t.id for t in uow.trips.list()] == [mine[1].id]
        with pytest.raises(NotFound):
            uow.itineraries.get(theirs_itinerary.id)
        with pytest.raises(NotFound):
            uow.trips.get(theirs_trip.id)
        with pytest.raises(ValidationFailed):
            uow.trips.save(theirs_trip.confirmed(T0))
        with pytest.raises(ValidationFailed):
            uow.itineraries.save(theirs_itinerary.booked())
        # through raw SQL on the adapter's own connection
        raw = uow.connection
        params = {"b": str(b)}
        for table in TABLES:
            assert (
                raw.execute(
                    text(f"SELECT count(*) FROM {table} WHERE tenant_id = :b"), params
                ).scalar()
                == 0
            )
            assert raw.execute(text(f"SELECT count(DISTINCT tenant_id) FROM {table}")).scalar() == 1
        assert (
            raw.execute(
                text("UPDATE trips SET status = 'cancelled' WHERE tenant_id = :b"), params
            ).rowcount
            == 0
        )
        assert (
            raw.execute(
                text("UPDATE itineraries SET is_draft = false WHERE tenant_id = :b"), params
            ).rowcount
            == 0
        )
        assert (
            raw.execute(text("DELETE FROM itinerary_days WHERE tenant_id = :b"), params).rowcount
            == 0
        )
        assert (
            raw.execute(text("DELETE FROM trip_items WHERE tenant_id = :b"), params).rowcount == 0
        )
        uow.commit()
    with postgres_database(a) as uow, pytest.raises(AccessDenied):  # rows for B are refused
        uow.execute(
            text(
                "INSERT INTO itineraries (tenant_id, id, user_id, start_date, end_date, "
                "destinations, is_draft, created_at, version) "
                "VALUES (:b, gen_random_uuid(), gen_random_uuid(), '2026-01-01', '2026-01-02', "
                "'[\"Oslo\"]', true, now(), 1)"
            ),
            {"b": str(b)},
        )
    with postgres_database(a) as uow, pytest.raises(AccessDenied):  # moving a row to B too
        uow.execute(text("UPDATE trips SET tenant_id = :b"), {"b": str(b)})
    with postgres_database(a) as uow, pytest.raises(ValidationFailed):
        uow.trips.add(make_trip(b, UserId(new_uuid())))
    with postgres_database(a) as uow, pytest.raises(NotFound):  # B's itinerary is no parent
        uow.trips.add(
            attrs.evolve(make_trip(a, UserId(new_uuid())), itinerary_id=theirs_itinerary.id)
        )
    with postgres_database(b) as uow:
        assert uow.itineraries.get(theirs_itinerary.id) == theirs_itinerary
        assert uow.trips.get(theirs_trip.id) == theirs_trip


def test_credentials_reach_postgres_only_as_ciphertext(
    postgres_database: PostgresDatabase, clock: ManualClock
) -> None:
    box = AesGcmSecretBox({"k1": AesGcmSecretBox.generate_key()}, current="k1")
    hasher = Argon2PasswordHasher(time_cost=1, memory_cost=512, parallelism=1)
    service = AccountService(postgres_database, clock, secret_box=box, hasher=hasher)
    tenant, user = TenantId(new_uuid()), UserId(new_uuid())

    def store(api_key: str) -> CredentialId:
        return service.store_credential(
            StoreCredential(
                tenant_id=tenant,
                user_id=user,
                provider="Amadeus",
                fields={"api_key": Secret(api_key)},
                idempotency_key="store",
            ),
            actor=admin(tenant),
        )

    credential_id = store("AMADEUS-KEY-123")
    assert store("AMADEUS-KEY-123") == credential_id
    with pytest.raises(IdempotencyConflict):
        store("ANOTHER-KEY")
    with postgres_database(tenant) as uow:
        (sealed,) = uow.connection.execute(text("SELECT sealed FROM credentials")).one()
        dump = uow.connection.execute(
            text("SELECT string_agg(t::text, ' ') FROM idempotency_keys t")
        ).scalar()
    assert isinstance(sealed, bytes)
    assert b"AMADEUS" not in sealed
    assert "AMADEUS" not in str(dump)
    assert service.reveal_credential(tenant, credential_id, actor=admin(tenant))[
        "api_key"
    ].reveal() == ("AMADEUS-KEY-123")
