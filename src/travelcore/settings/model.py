"""Platform settings (seed 003 ``platform_settings``): one tenant's policy overrides."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from travelcore.kernel import Policy, TenantId, UserId, to_data


@attrs.define(kw_only=True)
class PlatformSettings:
    """The tenant's overrides of :class:`~travelcore.kernel.Policy`, as JSON data
    (durations in seconds, decimals as strings); one record per tenant."""

    tenant_id: TenantId
    overrides: dict[str, Any]
    updated_at: datetime
    updated_by: UserId | None = None
    version: int = 1

    def policy(self, default: Policy) -> Policy:
        return default.with_overrides(self.overrides)


def normalized(default: Policy, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """``overrides`` checked against :class:`Policy` (``ValidationFailed`` naming the
    parameter) and written as the JSON data of the values they give."""
    policy = default.with_overrides(overrides)
    return {name: to_data(getattr(policy, name)) for name in sorted(overrides)}
