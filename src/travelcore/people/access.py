"""Who may act on people (DOMAIN.md section 10): admins register corporates and users; an
HR admin registers their own corporate's employees; a parent adds and reads their own
children. Scopes: ``read:employees``, ``write:employees``."""

from __future__ import annotations

from uuid import UUID

from travelcore.kernel import Actor, permit

READ, WRITE = "read:employees", "write:employees"


def register(actor: Actor, employer: UUID | None = None) -> None:
    """A corporate, or a user (``employer``: the corporate a new parent works for)."""
    permit(actor, WRITE, corporate=employer)


def family(actor: Actor, parent_id: UUID) -> None:
    permit(actor, WRITE, parent=parent_id)


def read_family(actor: Actor, parent_id: UUID) -> None:
    permit(actor, READ, parent=parent_id)


def look_up(actor: Actor, user_id: UUID) -> None:
    """A user's full actor: the user themselves, admins and jobs (sign-in, key checks)."""
    if actor.user_id != user_id:
        permit(actor, READ, jobs=True)
