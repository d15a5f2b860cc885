"""Per-tenant policy overrides, persisted and checked on write; the service is the
:class:`~travelcore.kernel.PolicyProvider` the other services take."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from travelcore.kernel import (
    Actor,
    Clock,
    NotFound,
    Policy,
    TenantId,
    UserId,
    ValidationFailed,
    checked_clock,
    require_tenant,
)
from travelcore.kernel import validation as v
from travelcore.settings import access
from travelcore.settings.model import PlatformSettings, normalized
from travelcore.settings.ports import SettingsUowFactory

MAX_OVERRIDES = 50


class PlatformSettingsService:
    """``policy_for`` reads the tenant's record on each call (one primary-key read)."""

    def __init__(
        self, uow_factory: SettingsUowFactory, clock: Clock, *, default: Policy | None = None
    ) -> None:
        self._uow = uow_factory
        self._clock = checked_clock(clock)
        self._default = default or Policy()

    def update(
        self,
        tenant_id: TenantId,
        overrides: Mapping[str, Any],
        *,
        updated_by: UserId | None = None,
        actor: Actor,
    ) -> Policy:
        """Merge ``overrides`` into the tenant's settings (a ``None`` value drops an
        override); every value is checked before anything is written."""
        require_tenant(actor, tenant_id)
        access.administer(actor)
        if not isinstance(overrides, Mapping) or len(overrides) > MAX_OVERRIDES:
            raise ValidationFailed("overrides", f"mapping_of_at_most_{MAX_OVERRIDES}")
        v.optional(v.uuid)(updated_by, "updated_by")
        with self._uow(tenant_id) as uow:
            uow.actor = actor  # who the audit log names
            try:
                settings: PlatformSettings | None = uow.platform_settings.get_for_update()
            except NotFound:
                settings = None
            merged = dict(settings.overrides) if settings else {}
            merged.update(overrides)
            kept = normalized(self._default, {k: v for k, v in merged.items() if v is not None})
            now = self._clock.now()
            if settings is None:
                settings = PlatformSettings(
                    tenant_id=tenant_id, overrides=kept, updated_at=now, updated_by=updated_by
                )
                uow.platform_settings.add(settings)
            else:
                settings.overrides, settings.updated_at = kept, now
                settings.updated_by = updated_by
                uow.platform_settings.save(settings)
            uow.commit()
        return settings.policy(self._default)

    def policy_for(self, tenant_id: TenantId) -> Policy:
        with self._uow(tenant_id) as uow:
            try:
                settings = uow.platform_settings.get()
            except NotFound:
                return self._default
        return settings.policy(self._default)
