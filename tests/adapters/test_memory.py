"""The shared contract suites, run against the memory adapter."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from travelcore.kernel import EventBus, TenantId, new_uuid
from travelcore.testing import (
    AccountRepositoriesContract,
    AccountRepositoryContract,
    ActivityRepositoryContract,
    BookingRepositoryContract,
    ChildRepositoryContract,
    ConversationRepositoryContract,
    CorporateRepositoryContract,
    CorporateSubscriptionRepositoryContract,
    CredentialRepositoryContract,
    CreditBalanceRepositoryContract,
    ItineraryRepositoryContract,
    LedgerRepositoryContract,
    PaymentGatewayContract,
    PaymentRepositoriesContract,
    PaymentRepositoryContract,
    PolicyRuleRepositoryContract,
    ReminderRepositoryContract,
    ScheduleRepositoryContract,
    SessionRepositoryContract,
    SubscriptionRepositoryContract,
    TenantRepositoryContract,
    TextSearchContract,
    TravelPreferencesRepositoryContract,
    TravelRepositoriesContract,
    TripRepositoryContract,
    UnitOfWorkContract,
    UserRepositoryContract,
    VectorStoreContract,
    VectorSyncRepositoryContract,
    VenueRepositoryContract,
    WaitlistRepositoryContract,
)
from travelcore.testing.vectors import DIMENSION
from travelcore_adapters.memory import MemoryDatabase, MemoryStore, MemoryUnitOfWork
from travelcore_adapters.memory.payment_gateway import DECLINED_METHOD, MemoryPaymentGateway
from travelcore_adapters.memory.text_search import MemoryTextSearch
from travelcore_adapters.memory.vectors import MemoryVectorStore


@pytest.fixture
def memory_store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def uow_factory(memory_store: MemoryStore) -> Callable[..., Any]:
    def make(tenant_id: TenantId, bus: EventBus | None = None) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(memory_store, tenant_id, bus)

    return make


class TestMemoryUnitOfWork(UnitOfWorkContract):
    pass


class TestMemoryTravelRepositories(TravelRepositoriesContract):
    pass


class TestMemoryPaymentRepositories(PaymentRepositoriesContract):
    pass


class TestMemoryAccountRepositories(AccountRepositoriesContract):
    pass


class TestMemoryPaymentGateway(PaymentGatewayContract):
    @pytest.fixture
    def webhook_secret(self) -> str:
        return "whsec_test"

    @pytest.fixture
    def gateway(self, webhook_secret: str) -> MemoryPaymentGateway:
        return MemoryPaymentGateway(webhook_secret)

    @pytest.fixture
    def card(self) -> Callable[[], str]:
        return lambda: "pm_card_visa"

    @pytest.fixture
    def declined_card(self) -> Callable[[], str]:
        return lambda: DECLINED_METHOD


class TestMemoryLedgerRepository(LedgerRepositoryContract):
    pass


class TestMemorySubscriptionRepository(SubscriptionRepositoryContract):
    pass


class TestMemoryVectorSyncRepository(VectorSyncRepositoryContract):
    pass


class TestMemoryVectorStore(VectorStoreContract):
    @pytest.fixture
    def vector_store(self) -> MemoryVectorStore:
        return MemoryVectorStore(DIMENSION)


def test_database_hands_out_units_of_work_for_a_tenant() -> None:
    database = MemoryDatabase()
    tenant = TenantId(new_uuid())
    with database(tenant) as uow:
        assert uow.tenant_id == tenant


class TestMemoryTextSearch(TextSearchContract):
    @pytest.fixture
    def text_search(self) -> MemoryTextSearch:
        return MemoryTextSearch()


class TestMemoryCorporates(CorporateRepositoryContract):
    pass


class TestMemoryUsers(UserRepositoryContract):
    pass


class TestMemoryChildren(ChildRepositoryContract):
    pass


class TestMemoryVenues(VenueRepositoryContract):
    pass


class TestMemoryActivities(ActivityRepositoryContract):
    pass


class TestMemorySessions(SessionRepositoryContract):
    pass


class TestMemorySchedules(ScheduleRepositoryContract):
    pass


class TestMemoryBookings(BookingRepositoryContract):
    pass


class TestMemoryWaitlist(WaitlistRepositoryContract):
    pass


# -- the repository contract, for the repositories of travel, payments, accounts, ledger --


class TestMemoryTenantRepository(TenantRepositoryContract):
    pass


class TestMemoryPolicyRuleRepository(PolicyRuleRepositoryContract):
    pass


class TestMemoryTravelPreferencesRepository(TravelPreferencesRepositoryContract):
    pass


class TestMemoryItineraryRepository(ItineraryRepositoryContract):
    pass


class TestMemoryTripRepository(TripRepositoryContract):
    pass


class TestMemoryReminderRepository(ReminderRepositoryContract):
    pass


class TestMemoryPaymentRepository(PaymentRepositoryContract):
    pass


class TestMemoryAccountRepository(AccountRepositoryContract):
    pass


class TestMemoryCredentialRepository(CredentialRepositoryContract):
    pass


class TestMemoryConversationRepository(ConversationRepositoryContract):
    pass


class TestMemoryCreditBalanceRepository(CreditBalanceRepositoryContract):
    pass


class TestMemoryCorporateSubscriptionRepository(CorporateSubscriptionRepositoryContract):
    pass
