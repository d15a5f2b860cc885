"""Who may act on notifications (DOMAIN.md section 10, and ``docs/access.md`` where it is
silent): a user reads, marks read and sets the preferences of their own inbox; tenant and
platform admins save templates, announce and act on the tenant's; the system actor delivers
and announces. Scopes: ``read:notifications``, ``write:notifications``."""

from __future__ import annotations

from travelcore.kernel import Actor, UserId, permit

READ, WRITE = "read:notifications", "write:notifications"


def own(actor: Actor, user_id: UserId) -> None:
    """Change the user's preferences, mark one of their notifications read."""
    permit(actor, WRITE, user=user_id)


def read(actor: Actor, user_id: UserId) -> None:
    """The user's preferences, inbox, unread count and history."""
    permit(actor, READ, user=user_id)


def administer(actor: Actor) -> None:
    """Save a template."""
    permit(actor, WRITE)


def send(actor: Actor) -> None:
    """Announce to users, deliver what is due."""
    permit(actor, WRITE, jobs=True)
