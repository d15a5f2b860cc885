"""Who may change the platform settings of a tenant (``docs/access.md``): tenant and
platform admins. Scope: ``write:settings``."""

from __future__ import annotations

from travelcore.kernel import Actor, permit

WRITE = "write:settings"


def administer(actor: Actor) -> None:
    """Override the tenant's policy values."""
    permit(actor, WRITE)
