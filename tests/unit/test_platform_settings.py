"""Persisted platform settings are the policy the other services follow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from travelcore.kernel import ManualClock, TenantId, UserId, new_uuid
from travelcore.ledger import AllocateCredits, LedgerService, PlaceHold
from travelcore.settings import PlatformSettingsService
from travelcore.testing.actors import admin
from travelcore_adapters.memory import MemoryDatabase

T0 = datetime(2026, 4, 1, 9, tzinfo=UTC)


def test_a_services_policy_follows_the_tenants_persisted_settings() -> None:
    database, clock = MemoryDatabase(), ManualClock(T0)
    settings = PlatformSettingsService(database, clock)
    ledger = LedgerService(database, clock, policies=settings)
    tenant, other = TenantId(new_uuid()), TenantId(new_uuid())
    settings.update(
        tenant, {"credit_hold_timeout": 3_600}, updated_by=UserId(new_uuid()), actor=admin(tenant)
    )

    def hold_lifetime(tenant_id: TenantId) -> timedelta:
        entry = ledger.allocate_credits(
            AllocateCredits(
                tenant_id=tenant_id, user_id=UserId(new_uuid()), credits=5, idempotency_key="a"
            ),
            actor=admin(tenant_id),
        )
        hold = ledger.place_hold(
            PlaceHold(
                tenant_id=tenant_id,
                balance_id=entry.balance_id,
                booking_id=new_uuid(),
                credits=2,
                idempotency_key="h",
            ),
            actor=admin(tenant_id),
        )
        return hold.expires_at - hold.created_at

    assert hold_lifetime(tenant) == timedelta(hours=1)
    assert hold_lifetime(other) == timedelta(hours=24)  # the default
