"""Actors for tests that exercise a use case rather than who may call it: a platform admin
(allowed everything) and the system actor of a job, each in the tenant given."""

from __future__ import annotations

from uuid import UUID

from travelcore.kernel import Actor, TenantId, UserId

PLATFORM_ADMIN_ID = UserId(UUID("00000000-0000-4000-8000-00000000ad01"))


def admin(tenant_id: TenantId) -> Actor:
    """A platform admin of ``tenant_id``."""
    return Actor.platform_admin(tenant_id, PLATFORM_ADMIN_ID)


def job(tenant_id: TenantId, name: str = "test") -> Actor:
    """The system actor of the job ``name`` in ``tenant_id``."""
    return Actor.system(tenant_id, name)
