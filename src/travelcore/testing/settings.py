"""The platform settings repository contract and the settings service's behaviour, run
against every adapter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from travelcore.kernel import ManualClock, Policy, TenantId, UserId, ValidationFailed, new_uuid
from travelcore.settings import PlatformSettings, PlatformSettingsService
from travelcore.testing.actors import admin
from travelcore.testing.repositories import RepositoryContract, UowFactory

T0 = datetime(2026, 1, 1, tzinfo=UTC)


class PlatformSettingsRepositoryContract(RepositoryContract):
    """The unit of work's own settings record: keyed by the unit of work itself."""

    repository = "platform_settings"

    def build(self, uow: Any) -> PlatformSettings:
        return PlatformSettings(
            tenant_id=uow.tenant_id,
            overrides={"cancellation_window": 86_400.0, "platform_fee_rate": "0.15"},
            updated_at=T0,
            updated_by=UserId(new_uuid()),
        )

    def change(self, entity: PlatformSettings) -> None:
        entity.overrides = {"curation_min_venue_score": 70}
        entity.updated_by = None

    def key(self, entity: PlatformSettings) -> TenantId:
        return entity.tenant_id

    def fetch(self, uow: Any, key: Any) -> PlatformSettings:
        return uow.platform_settings.get()  # type: ignore[no-any-return]

    def test_the_service_persists_checked_overrides_per_tenant(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        service = PlatformSettingsService(lambda t: uow_factory(t, None), ManualClock(T0))
        other = TenantId(new_uuid())
        assert service.policy_for(tenant) == Policy()
        service.update(
            tenant,
            {"cancellation_window": 86_400, "platform_fee_rate": "0.15"},
            actor=admin(tenant),
        )
        policy = service.update(tenant, {"waitlist_offer_window": 7_200}, actor=admin(tenant))
        assert policy.cancellation_window == timedelta(days=1)
        assert policy.platform_fee_rate == Decimal("0.15")
        assert policy.waitlist_offer_window == timedelta(hours=2)
        assert service.policy_for(tenant) == policy
        assert service.policy_for(other) == Policy()
        dropped = service.update(tenant, {"platform_fee_rate": None}, actor=admin(tenant))
        assert dropped.platform_fee_rate == Policy().platform_fee_rate

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"cancellation_window": -5}, "cancellation_window"),
            ({"platform_fee_rate": "1.5"}, "platform_fee_rate"),
            ({"curation_min_venue_score": 101}, "curation_min_venue_score"),
            ({"no_such_rule": 1}, "no_such_rule"),
            ({"waitlist_offer_window": "soon"}, "waitlist_offer_window"),
        ],
    )
    def test_bad_overrides_are_refused_before_any_write(
        self, uow_factory: UowFactory, tenant: TenantId, overrides: dict[str, Any], field: str
    ) -> None:
        service = PlatformSettingsService(lambda t: uow_factory(t, None), ManualClock(T0))
        service.update(tenant, {"curation_min_venue_score": 70}, actor=admin(tenant))
        with pytest.raises(ValidationFailed) as error:
            service.update(tenant, overrides, actor=admin(tenant))
        assert error.value.field == field
        assert service.policy_for(tenant) == Policy(curation_min_venue_score=70)
