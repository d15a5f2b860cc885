"""The feature-flag repository contract, run against every adapter."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import attrs

from travelcore.flags import FeatureFlag, FlagSet
from travelcore.kernel import TenantId, new_uuid
from travelcore.testing.repositories import RepositoryContract, UowFactory

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def make_flag(tenant_id: TenantId, key: str | None = None) -> FeatureFlag:
    """A flag using every field."""
    return FeatureFlag(
        tenant_id=tenant_id,
        key=key or f"flag_{new_uuid().hex[:12]}",
        name="New search",
        description="The semantic search page",
        category="ai",
        enabled=True,
        rollout_percentage=25,
        target_roles=frozenset({"parent", "hr_admin"}),
        target_corporate_ids=frozenset({new_uuid()}),
        target_user_ids=frozenset({new_uuid(), new_uuid()}),
        environments=frozenset({"staging", "production"}),
        variants={"rich": 20, "control": 50, "compact": 30},
        starts_at=T0,
        ends_at=datetime(2027, 1, 1, tzinfo=UTC),
    )


class FeatureFlagRepositoryContract(RepositoryContract):
    repository = "feature_flags"

    def build(self, uow: Any) -> FeatureFlag:
        return make_flag(uow.tenant_id)

    def change(self, entity: FeatureFlag) -> None:
        entity.rollout_percentage = 60
        entity.variants = {"control": 1}
        entity.target_roles = None

    def key(self, entity: FeatureFlag) -> str:
        return entity.key

    def missing_key(self) -> str:
        return "missing_flag"

    def test_variants_keep_their_declared_order(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        entity = self.stored(uow_factory, tenant)
        with uow_factory(tenant, None) as uow:
            variants = uow.feature_flags.get(entity.key).variants
        assert list(variants) == ["rich", "control", "compact"]

    def test_a_flag_set_loads_the_tenants_flags_only(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        other = TenantId(new_uuid())
        with uow_factory(tenant, None) as uow:
            for key in ("b_flag", "a_flag"):
                uow.feature_flags.add(make_flag(tenant, key))
            uow.commit()
        with uow_factory(other, None) as uow:
            uow.feature_flags.add(attrs.evolve(make_flag(other, "c_flag")))
            uow.commit()
        with uow_factory(tenant, None) as uow:
            assert [flag.key for flag in uow.feature_flags.all()] == ["a_flag", "b_flag"]
            flags = FlagSet.load(uow.feature_flags)
        assert "a_flag" in flags
        assert "c_flag" not in flags
