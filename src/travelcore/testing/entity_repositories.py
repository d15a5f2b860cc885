""":class:`~travelcore.testing.repositories.RepositoryContract` for the repositories of the
travel, payments, accounts and ledger contexts (the catalog, people and booking ones live
with their contexts' suites)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import attrs

from travelcore.accounts import Conversation, ConversationId, Credential, CredentialId, UserAccount
from travelcore.kernel import NotFound, UserId, new_uuid
from travelcore.ledger import BillingPeriod, CreditBalance
from travelcore.testing.ledger import subscription
from travelcore.testing.payments import make_payment
from travelcore.testing.repositories import RepositoryContract
from travelcore.testing.travel import make_itinerary, make_trip
from travelcore.travel import (
    PolicyKey,
    PolicyRule,
    Reminder,
    ReminderId,
    Tenant,
    TravelPreferences,
    TripId,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


class TenantRepositoryContract(RepositoryContract):
    """The unit of work's own tenant record: keyed by the unit of work itself."""

    repository = "tenants"

    def build(self, uow: Any) -> Tenant:
        return Tenant(id=uow.tenant_id, name="Acme", created_at=T0)

    def change(self, entity: Tenant) -> Tenant:
        return attrs.evolve(entity, name="Acme GmbH")

    def fetch(self, uow: Any, key: Any) -> Tenant:
        return uow.tenants.get()  # type: ignore[no-any-return]


class PolicyRuleRepositoryContract(RepositoryContract):
    repository = "travel_policies"

    def build(self, uow: Any) -> PolicyRule:
        return PolicyRule(
            tenant_id=uow.tenant_id,
            key=PolicyKey.ADVANCE_BOOKING,
            value={"min_days": 7},
            updated_at=T0,
        )

    def change(self, entity: PolicyRule) -> PolicyRule:
        return attrs.evolve(entity, value={"min_days": entity.value["min_days"] + 7})

    def key(self, entity: PolicyRule) -> PolicyKey:
        return entity.key

    def missing_key(self) -> PolicyKey:
        return PolicyKey.CABIN_CLASS


class TravelPreferencesRepositoryContract(RepositoryContract):
    repository = "travel_preferences"

    def build(self, uow: Any) -> TravelPreferences:
        return TravelPreferences(tenant_id=uow.tenant_id, user_id=UserId(new_uuid()))

    def change(self, entity: TravelPreferences) -> TravelPreferences:
        return attrs.evolve(entity, language="fr", hotel_rating=4)

    def key(self, entity: TravelPreferences) -> UserId:
        return entity.user_id

    def fetch(self, uow: Any, key: Any) -> TravelPreferences:
        found = uow.travel_preferences.find(key)
        if found is None:
            raise NotFound("travel preferences", key)
        return found  # type: ignore[no-any-return]


class ItineraryRepositoryContract(RepositoryContract):
    repository = "itineraries"

    def build(self, uow: Any) -> Any:
        return make_itinerary(uow.tenant_id, UserId(new_uuid()))

    def change(self, entity: Any) -> Any:
        return entity.booked()


class TripRepositoryContract(RepositoryContract):
    repository = "trips"

    def build(self, uow: Any) -> Any:
        return make_trip(uow.tenant_id, UserId(new_uuid()))

    def change(self, entity: Any) -> Any:
        return entity.confirmed(T0 + timedelta(hours=1))


class ReminderRepositoryContract(RepositoryContract):
    repository = "reminders"

    def build(self, uow: Any) -> Reminder:
        return Reminder(
            id=ReminderId(new_uuid()),
            tenant_id=uow.tenant_id,
            trip_id=TripId(new_uuid()),
            user_id=UserId(new_uuid()),
            due_at=T0,
            message="check in",
        )

    def change(self, entity: Reminder) -> Reminder:
        return attrs.evolve(entity, message="check in now")


class PaymentRepositoryContract(RepositoryContract):
    repository = "payments"

    def build(self, uow: Any) -> Any:
        return make_payment(uow.tenant_id)

    def change(self, entity: Any) -> Any:
        return entity.succeeded(T0)


class AccountRepositoryContract(RepositoryContract):
    repository = "accounts"

    def build(self, uow: Any) -> UserAccount:
        return UserAccount(
            tenant_id=uow.tenant_id,
            user_id=UserId(new_uuid()),
            email=f"{new_uuid().hex}@example.com",
            name="Ada",
            password_hash="$argon2id$fake",  # noqa: S106
            created_at=T0,
        )

    def change(self, entity: UserAccount) -> UserAccount:
        return entity.with_password_hash("$argon2id$other")

    def key(self, entity: UserAccount) -> UserId:
        return entity.user_id


class CredentialRepositoryContract(RepositoryContract):
    repository = "credentials"

    def build(self, uow: Any) -> Credential:
        return Credential(
            id=CredentialId(new_uuid()),
            tenant_id=uow.tenant_id,
            user_id=UserId(new_uuid()),
            provider="Amadeus",
            sealed=b"sealed",
            created_at=T0,
            updated_at=T0,
        )

    def change(self, entity: Credential) -> Credential:
        return entity.resealed(b"resealed", T0 + timedelta(hours=1))


class ConversationRepositoryContract(RepositoryContract):
    repository = "conversations"

    def build(self, uow: Any) -> Conversation:
        return Conversation(
            id=ConversationId(new_uuid()),
            tenant_id=uow.tenant_id,
            user_id=UserId(new_uuid()),
            started_at=T0,
        )

    def change(self, entity: Conversation) -> Conversation:
        return entity.ended(T0 + timedelta(hours=1))


MARCH = BillingPeriod(date(2026, 3, 1), date(2026, 4, 1))


class CreditBalanceRepositoryContract(RepositoryContract):
    repository = "credits"

    def build(self, uow: Any) -> CreditBalance:
        balance = CreditBalance.open(uow.tenant_id, UserId(new_uuid()), MARCH, T0)
        balance.allocate(10, T0, actor="hr")
        return balance

    def change(self, entity: CreditBalance) -> None:
        entity.allocate(5, T0 + timedelta(hours=1), actor="hr")


class CorporateSubscriptionRepositoryContract(RepositoryContract):
    repository = "subscriptions"

    def build(self, uow: Any) -> Any:
        return subscription(uow.tenant_id)

    def change(self, entity: Any) -> None:
        entity.cancel(T0, "budget cut")


ENTITY_REPOSITORY_CONTRACTS = (
    TenantRepositoryContract,
    PolicyRuleRepositoryContract,
    TravelPreferencesRepositoryContract,
    ItineraryRepositoryContract,
    TripRepositoryContract,
    ReminderRepositoryContract,
    PaymentRepositoryContract,
    AccountRepositoryContract,
    CredentialRepositoryContract,
    ConversationRepositoryContract,
    CreditBalanceRepositoryContract,
    CorporateSubscriptionRepositoryContract,
)
