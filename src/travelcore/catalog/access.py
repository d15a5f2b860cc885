"""Who may change the catalog (DOMAIN.md section 10): admins register and review venues; a
venue admin manages their own venue's insurance, activities, sessions and schedules; the
system actor generates sessions and releases inventory. Reading the catalog needs only an
actor of the tenant. Scope: ``write:activities``."""

from __future__ import annotations

from uuid import UUID

from travelcore.kernel import Actor, permit

WRITE = "write:activities"


def review(actor: Actor) -> None:
    """Register a venue, approve, reject, suspend or reinstate one."""
    permit(actor, WRITE)


def manage(actor: Actor, venue_id: UUID, *, jobs: bool = False) -> None:
    """The venue's insurance, activities, sessions and schedules."""
    permit(actor, WRITE, venue=venue_id, jobs=jobs)


def job(actor: Actor) -> None:
    permit(actor, WRITE, jobs=True)
