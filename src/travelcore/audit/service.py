"""Reading the audit log, and its retention (DOMAIN.md section 9: 730 days by default,
the ``audit_retention`` policy)."""

from __future__ import annotations

from uuid import UUID

from travelcore.audit.model import AuditPage, AuditQuery
from travelcore.audit.ports import AuditUowFactory
from travelcore.kernel import (
    AccessDenied,
    Actor,
    Clock,
    PolicyProvider,
    Role,
    StaticPolicies,
    TenantId,
    checked_clock,
)
from travelcore.kernel.validation import check_command

READERS = frozenset({Role.PLATFORM_ADMIN, Role.TENANT_ADMIN, Role.SYSTEM})
"""The roles that may read a tenant's audit log."""


class AuditService:
    def __init__(
        self,
        uow_factory: AuditUowFactory,
        clock: Clock,
        *,
        policies: PolicyProvider | None = None,
    ) -> None:
        self._uow_factory = uow_factory
        self._clock = checked_clock(clock)
        self._policies = policies or StaticPolicies()

    def entries(self, tenant_id: TenantId, query: AuditQuery, *, actor: Actor) -> AuditPage:
        """One page of the tenant's entries selected by ``query`` (by entity, by actor, by
        time range), for a platform admin, a tenant admin or the system."""
        check_command(query)
        _require_reader(tenant_id, actor)
        with self._uow_factory(tenant_id) as uow:
            return uow.audit_log.find(query)

    def purge_expired(self, tenant_id: TenantId, *, actor: Actor) -> int:
        """Remove the tenant's entries older than its ``audit_retention``; returns how many
        (the retention job runs it as the system)."""
        _require_system(tenant_id, actor, "purges the audit log")
        cutoff = self._clock.now() - self._policies.policy_for(tenant_id).audit_retention
        with self._uow_factory(tenant_id) as uow:
            purged = uow.audit_log.purge_before(cutoff)
            uow.commit()
        return purged

    def forget(self, tenant_id: TenantId, subject: UUID, replacement: UUID, *, actor: Actor) -> int:
        """For an erasure (run as the system): the entries of the entity ``subject`` go,
        and the other entries name ``replacement`` where they named ``subject``; returns
        how many entries were removed or rewritten."""
        _require_system(tenant_id, actor, "erases from the audit log")
        with self._uow_factory(tenant_id) as uow:
            forgotten = uow.audit_log.forget(subject, replacement)
            uow.commit()
        return forgotten


def _require_system(tenant_id: TenantId, actor: Actor, what: str) -> None:
    if not actor.is_system or actor.tenant_id != tenant_id:
        raise AccessDenied(f"only the system {what}", rule="system_only")


def _require_reader(tenant_id: TenantId, actor: Actor) -> None:
    if actor.tenant_id != tenant_id:
        raise AccessDenied("the actor belongs to another tenant", rule="same_tenant")
    if actor.role not in READERS:
        raise AccessDenied(
            "the audit log is read by platform admins, tenant admins and the system",
            rule="audit_reader",
            role=actor.role.value,
        )
