"""Who may act in the travel products (DOMAIN.md section 10): a traveller on their own
preferences, itineraries and trips; a tenant admin (or platform admin) on the whole tenant,
its travel policy and refunds included; the system actor sends reminders, reconciles
payments and makes automatic refunds. Scopes: ``read:trips``,
``write:trips``."""

from __future__ import annotations

from uuid import UUID

from travelcore.kernel import Actor, permit

READ, WRITE = "read:trips", "write:trips"


def administer(actor: Actor) -> None:
    """Register the tenant, set or remove a policy rule."""
    permit(actor, WRITE)


def travel(actor: Actor, traveller: UUID) -> None:
    """Preferences, itineraries and trips of ``traveller``."""
    permit(actor, WRITE, traveller=traveller)


def read(actor: Actor, traveller: UUID | None) -> None:
    """What ``traveller`` planned or booked (``None``: the whole tenant's)."""
    permit(actor, READ, traveller=traveller)


def refund(actor: Actor) -> None:
    """Refunds (the automatic ones run as the system) and reconciliation."""
    permit(actor, WRITE, jobs=True)


def remind(actor: Actor) -> None:
    permit(actor, WRITE, jobs=True)
