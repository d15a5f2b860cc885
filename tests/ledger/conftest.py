"""Fixtures for the ledger tests: a memory back end, a manual clock and the service."""

from __future__ import annotations

from datetime import date

import attrs
import pytest

from travelcore.kernel import (
    EventBus,
    ManualClock,
    Money,
    StaticPolicies,
    TenantId,
    UserId,
    new_uuid,
)
from travelcore.ledger import (
    AllocateCredits,
    BalanceId,
    CorporateId,
    CorporateSubscription,
    CreateSubscription,
    LedgerService,
    SubscriptionTier,
)
from travelcore.testing.actors import admin
from travelcore_adapters.memory import MemoryDatabase


@attrs.define
class Ledger:
    """The service with its back end, clock and a tenant, plus small helpers."""

    service: LedgerService
    database: MemoryDatabase
    bus: EventBus
    clock: ManualClock
    policies: StaticPolicies
    tenant: TenantId
    keys: int = 0

    def key(self) -> str:
        self.keys += 1
        return f"k{self.keys}"

    def funded(self, credits: int = 100, user: UserId | None = None) -> BalanceId:
        entry = self.service.allocate_credits(
            AllocateCredits(
                tenant_id=self.tenant,
                user_id=user or UserId(new_uuid()),
                day=self.clock.now().date(),
                credits=credits,
                idempotency_key=self.key(),
            ),
            actor=admin(self.tenant),
        )
        return entry.balance_id

    def subscription(self, covered: int = 2, credits: int = 40) -> CorporateSubscription:
        return self.service.create_subscription(
            CreateSubscription(
                tenant_id=self.tenant,
                corporate_id=CorporateId(new_uuid()),
                tier=SubscriptionTier.STANDARD,
                covered_employees=covered,
                credits_per_employee=credits,
                monthly_cost=Money.of("250", "EUR"),
                start_date=date(2026, 1, 1),
                billing_cycle_day=1,
                idempotency_key=self.key(),
            ),
            actor=admin(self.tenant),
        )


@pytest.fixture
def ledger(clock: ManualClock) -> Ledger:
    bus = EventBus()
    database = MemoryDatabase(bus)
    policies = StaticPolicies()
    return Ledger(
        service=LedgerService(database, clock, policies=policies),
        database=database,
        bus=bus,
        clock=clock,
        policies=policies,
        tenant=TenantId(new_uuid()),
    )
