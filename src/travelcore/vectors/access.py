"""Who may write the vector store (``docs/access.md``): the system actor (the sync jobs) and
platform admins. Scope: ``write:vectors``."""

from __future__ import annotations

from travelcore.kernel import ADMINS, Actor, Role, permit

WRITE = "write:vectors"
PLATFORM = ADMINS - {Role.TENANT_ADMIN}


def sync(actor: Actor) -> None:
    """Embed and upsert documents, delete them."""
    permit(actor, WRITE, jobs=True, admins=PLATFORM)
