"""Who may act on credits (DOMAIN.md section 10): a parent reads their own balances, an HR
admin acts on their own corporate's subscriptions, holds, debits, refunds and forfeits are
the booking flow's (admins and jobs), corrections are the admins'. Scopes: ``read:credits``,
``write:credits``."""

from __future__ import annotations

from uuid import UUID

from travelcore.kernel import Actor, permit

READ, WRITE = "read:credits", "write:credits"


def subscribe(actor: Actor, corporate_id: UUID, *, jobs: bool = False) -> None:
    """Create a subscription or allocate its period credits."""
    permit(actor, WRITE, corporate=corporate_id, jobs=jobs)


def spend(actor: Actor) -> None:
    """Holds, captures, voids, debits, refunds and forfeits."""
    permit(actor, WRITE, jobs=True)


def correct(actor: Actor) -> None:
    """Direct allocations, adjustments and reversals."""
    permit(actor, WRITE)


def job(actor: Actor) -> None:
    permit(actor, WRITE, jobs=True)


def read_balance(actor: Actor, user_id: UUID) -> None:
    permit(actor, READ, parent=user_id)


def read_subscription(actor: Actor, corporate_id: UUID) -> None:
    permit(actor, READ, corporate=corporate_id)
