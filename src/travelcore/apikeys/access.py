"""Who may manage API keys (``docs/access.md``; DOMAIN.md section 10 gives HR admins no
keys): tenant and platform admins issue and revoke the tenant's keys, and only a platform
admin issues a platform admin's key. Authenticating needs no actor. Scope:
``write:api_keys``."""

from __future__ import annotations

from travelcore.kernel import AccessDenied, Actor, Role, permit

WRITE = "write:api_keys"


def issue(actor: Actor, role: str) -> None:
    """Issue a key acting as ``role``."""
    permit(actor, WRITE)
    if role == Role.PLATFORM_ADMIN and actor.role is not Role.PLATFORM_ADMIN:
        raise AccessDenied("only a platform admin issues a platform admin's key", rule="role")


def revoke(actor: Actor) -> None:
    permit(actor, WRITE)
