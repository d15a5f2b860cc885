"""Who may act on bookings and waitlist entries (DOMAIN.md section 10): a parent on their
own, a venue admin on their venue's sessions and bookings, admins on all, the system actor
on the sweeps. Scopes: ``read:bookings``, ``write:bookings``."""

from __future__ import annotations

from uuid import UUID

from travelcore.kernel import Actor, UserId, permit

READ, WRITE = "read:bookings", "write:bookings"


def as_family(actor: Actor, parent_id: UserId) -> None:
    """Book, join a waitlist, answer an offer, leave, cancel as the parent."""
    permit(actor, WRITE, parent=parent_id)


def as_venue(actor: Actor, venue_id: UUID, *, jobs: bool = False) -> None:
    """Cancel as the venue, cancel or complete a session, attendance, partial refunds,
    compensation, promotion."""
    permit(actor, WRITE, venue=venue_id, jobs=jobs)


def confirm(actor: Actor, parent_id: UserId, venue_id: UUID) -> None:
    permit(actor, WRITE, parent=parent_id, venue=venue_id, jobs=True)


def sweep(actor: Actor) -> None:
    """The offer-expiry sweep."""
    permit(actor, WRITE, jobs=True)


def read_booking(actor: Actor, parent_id: UserId, venue_id: UUID) -> None:
    permit(actor, READ, parent=parent_id, venue=venue_id)


def read_session(actor: Actor, venue_id: UUID) -> None:
    """The bookings or waitlist of one session."""
    permit(actor, READ, venue=venue_id)
