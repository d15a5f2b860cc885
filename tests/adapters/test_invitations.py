"""The invitation repository contract and service behaviour on memory and PostgreSQL, and
concurrent accepts of one token on PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar

import pytest

from travelcore.invitations import InvitationAlreadyAccepted
from travelcore.kernel import EventBus, ManualClock, TenantId, TravelcoreError
from travelcore.testing import InvitationRepositoryContract, InvitationServiceContract
from travelcore.testing.invitations import T0, Company
from travelcore_adapters.memory import MemoryStore, MemoryUnitOfWork
from travelcore_adapters.postgres import PostgresDatabase, PostgresUnitOfWork, StatementPath
from travelcore_adapters.postgres.provision import ProvisionedDatabase
from travelcore_adapters.postgres.repositories.invitations import PostgresInvitations
from travelcore_adapters.security import AesGcmSecretBox

THREADS, ROUNDS = 6, 8


@pytest.fixture(params=["memory", "postgres"])
def uow_factory(request: pytest.FixtureRequest) -> Callable[..., Any]:
    if request.param == "memory":
        store = MemoryStore()

        def memory(tenant_id: TenantId, bus: EventBus | None = None) -> MemoryUnitOfWork:
            return MemoryUnitOfWork(store, tenant_id, bus)

        return memory
    database: PostgresDatabase = request.getfixturevalue("postgres_database")

    def postgres(tenant_id: TenantId, bus: EventBus | None = None) -> PostgresUnitOfWork:
        return PostgresUnitOfWork(database.engine, tenant_id, bus)

    return postgres


@pytest.fixture
def digest() -> AesGcmSecretBox:
    return AesGcmSecretBox({"k1": AesGcmSecretBox.generate_key()}, "k1")


class TestInvitationRepository(InvitationRepositoryContract):
    pass


class TestInvitationService(InvitationServiceContract):
    pass


# -- concurrent accepts ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def pooled(
    postgres_test_database: ProvisionedDatabase, statement_path: StatementPath
) -> Iterator[PostgresDatabase]:
    with PostgresDatabase(
        postgres_test_database.app_url,
        pool_size=THREADS,
        pool_timeout=60,
        statement_path=statement_path,
    ) as database:
        yield database


class UnlockedInvitations(PostgresInvitations):
    lock_on_get: ClassVar[bool] = False


def race(factory: Callable[[TenantId, EventBus | None], Any]) -> list[Counter[str]]:
    """``ROUNDS`` times: ``THREADS`` threads accept one token at once; per round, how each
    ended and how many users have the invitee's email."""
    key = AesGcmSecretBox.generate_key()
    rounds = []
    for _ in range(ROUNDS):
        company = Company(factory, AesGcmSecretBox({"k": key}, "k"), ManualClock(T0))
        token = company.invite().token
        start = threading.Barrier(THREADS)

        with ThreadPoolExecutor(THREADS) as pool:
            outcomes = Counter(pool.map(accept, [(company, token, start)] * THREADS))
        with company.db(company.tenant) as uow:
            users = uow.users.find_by_email("ada@example.com")
            outcomes["users"] = 0 if users is None else 1
        rounds.append(outcomes)
    return rounds


def accept(attempt: tuple[Company, str, threading.Barrier]) -> str:
    company, token, start = attempt
    start.wait()
    try:
        company.accept(token)
    except TravelcoreError as error:
        return type(error).__name__
    return "accepted"


def test_concurrent_accepts_of_one_token_create_one_user(pooled: PostgresDatabase) -> None:
    for outcome in race(lambda t, bus: pooled(t)):
        assert outcome == Counter(
            {"accepted": 1, "users": 1, InvitationAlreadyAccepted.__name__: THREADS - 1}
        )


def test_without_the_row_lock_the_losers_pass_the_invitation_check(
    pooled: PostgresDatabase,
) -> None:
    """The negative control: read without the lock, several accepts find the invitation
    pending and go on to create the user; the users' unique email (or the invitation's
    version) then stops them, with another error than the one the lock gives."""

    def unlocked(tenant: TenantId, bus: EventBus | None) -> PostgresUnitOfWork:
        uow = pooled(tenant)
        uow.invitations = UnlockedInvitations(uow.scope)
        return uow

    rounds = race(unlocked)
    assert all(outcome["accepted"] == 1 and outcome["users"] == 1 for outcome in rounds)
    others = Counter(
        name
        for outcome in rounds
        for name in outcome
        if name not in ("accepted", "users", InvitationAlreadyAccepted.__name__)
    )
    assert others, rounds
