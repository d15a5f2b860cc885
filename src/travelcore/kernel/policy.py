"""Every tunable business rule, with the defaults the seeds state, overridable per tenant."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any, Protocol

import attrs

from travelcore.kernel.errors import ValidationFailed
from travelcore.kernel.ids import TenantId
from travelcore.kernel.serialization import from_data


def _positive_duration(instance: object, attribute: attrs.Attribute[timedelta], value: Any) -> None:
    if not isinstance(value, timedelta) or value <= timedelta(0):
        raise ValidationFailed(attribute.name, "positive_duration")


def _positive_int(instance: object, attribute: attrs.Attribute[int], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValidationFailed(attribute.name, "positive_integer")


def _score(instance: object, attribute: attrs.Attribute[int], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise ValidationFailed(attribute.name, "between_0_and_100")


def _rate(instance: object, attribute: attrs.Attribute[Decimal], value: Any) -> None:
    if not isinstance(value, Decimal) or not Decimal(0) <= value < Decimal(1):
        raise ValidationFailed(attribute.name, "decimal_rate_in_0_1")


@attrs.frozen(kw_only=True)
class Policy:
    """Policy parameters. ``Policy()`` carries the seeds' defaults."""

    cancellation_window: timedelta = attrs.field(
        default=timedelta(hours=48), validator=_positive_duration
    )
    waitlist_offer_window: timedelta = attrs.field(
        default=timedelta(hours=4), validator=_positive_duration
    )
    credit_expiry_warning: timedelta = attrs.field(
        default=timedelta(days=7), validator=_positive_duration
    )
    credit_hold_timeout: timedelta = attrs.field(
        default=timedelta(hours=24), validator=_positive_duration
    )
    curation_min_venue_score: int = attrs.field(default=60, validator=_score)
    max_suggestions_per_child_per_month: int = attrs.field(default=3, validator=_positive_int)
    feedback_request_delay: timedelta = attrs.field(
        default=timedelta(hours=1), validator=_positive_duration
    )
    audit_retention: timedelta = attrs.field(
        default=timedelta(days=730), validator=_positive_duration
    )
    search_log_retention: timedelta = attrs.field(
        default=timedelta(days=90), validator=_positive_duration
    )
    chat_retention: timedelta = attrs.field(
        default=timedelta(days=90), validator=_positive_duration
    )
    child_deletion_delay: timedelta = attrs.field(
        default=timedelta(days=30), validator=_positive_duration
    )
    inventory_release: timedelta = attrs.field(
        default=timedelta(hours=72), validator=_positive_duration
    )
    block_booking_horizon: timedelta = attrs.field(
        default=timedelta(days=30), validator=_positive_duration
    )
    idempotency_retention: timedelta = attrs.field(
        default=timedelta(hours=24), validator=_positive_duration
    )
    platform_fee_rate: Decimal = attrs.field(default=Decimal("0.175"), validator=_rate)
    invoice_terms: timedelta = attrs.field(default=timedelta(days=30), validator=_positive_duration)
    data_export_retention: timedelta = attrs.field(
        default=timedelta(days=7), validator=_positive_duration
    )
    delivered_outbox_retention: timedelta = attrs.field(
        default=timedelta(days=7), validator=_positive_duration
    )

    def with_overrides(self, overrides: Mapping[str, Any]) -> Policy:
        """A copy with ``overrides`` applied; values may be JSON data (seconds, strings)."""
        fields = attrs.fields_dict(attrs.resolve_types(Policy))
        changes: dict[str, Any] = {}
        for name, value in overrides.items():
            field = fields.get(name)
            if field is None or field.type is None:
                raise ValidationFailed(name, "known_policy_parameter", f"unknown policy {name!r}")
            try:
                changes[name] = from_data(value, field.type)
            except (ValueError, TypeError, ArithmeticError) as exc:
                raise ValidationFailed(name, "well_formed", f"{name}: {exc}") from exc
        return attrs.evolve(self, **changes)


class PolicyProvider(Protocol):
    def policy_for(self, tenant_id: TenantId) -> Policy: ...


class StaticPolicies:
    """A default policy plus per-tenant overrides held in memory."""

    def __init__(
        self,
        default: Policy | None = None,
        overrides: Mapping[TenantId, Mapping[str, Any]] | None = None,
    ) -> None:
        self._default = default or Policy()
        self._tenants: dict[TenantId, Policy] = {}
        for tenant_id, values in (overrides or {}).items():
            self.override(tenant_id, values)

    def override(self, tenant_id: TenantId, values: Mapping[str, Any]) -> Policy:
        policy = self._default.with_overrides(values)
        self._tenants[tenant_id] = policy
        return policy

    def policy_for(self, tenant_id: TenantId) -> Policy:
        return self._tenants.get(tenant_id, self._default)
