"""Who may act in discovery (DOMAIN.md section 10, and ``docs/access.md`` where it is
silent): a parent on their own family's reviews, feedback, favourites, suggestions,
locations, memory and searches; a venue admin hides reviews of and places their own venue;
platform admins moderate and, with the system actor, run scoring and curation; a tenant
admin acts on the tenant's families but neither moderates nor curates. Scopes:
``write:reviews``, ``read:personal``, ``write:personal``, ``read:activities``,
``write:activities``, ``write:curation``."""

from __future__ import annotations

from uuid import UUID

from travelcore.kernel import ADMINS, Actor, Role, UserId, permit

REVIEWS = "write:reviews"
READ_PERSONAL, WRITE_PERSONAL = "read:personal", "write:personal"
SEARCH, PLACE_VENUE = "read:activities", "write:activities"
CURATE = "write:curation"
PLATFORM = ADMINS - {Role.TENANT_ADMIN}


def give_feedback(actor: Actor, parent: UserId) -> None:
    """Review a booking, give quick feedback on it: the booking's parent."""
    permit(actor, REVIEWS, parent=parent)


def hide(actor: Actor, venue: UUID) -> None:
    """Hide a review: the reviewed venue's admin or a platform admin."""
    permit(actor, REVIEWS, venue=venue, admins=PLATFORM)


def flag(actor: Actor) -> None:
    """Report a review to moderation: any user of the tenant."""
    actor.require(REVIEWS)


def moderate(actor: Actor) -> None:
    """Clear a flag, read the moderation queue."""
    permit(actor, REVIEWS, admins=PLATFORM)


def family(actor: Actor, parent: UserId | None) -> None:
    """Change what is the family's: favourites, answers to suggestions."""
    permit(actor, WRITE_PERSONAL, parent=parent)


def read_family(actor: Actor, parent: UserId | None) -> None:
    """The family's favourites and suggestions."""
    permit(actor, READ_PERSONAL, parent=parent)


def personal(actor: Actor, user: UserId) -> None:
    """The user's locations and memory."""
    permit(actor, WRITE_PERSONAL, user=user)


def read_personal(actor: Actor, user: UserId) -> None:
    permit(actor, READ_PERSONAL, user=user)


def search(actor: Actor, user: UserId) -> None:
    """Search activities from the user's places, logged under the user."""
    permit(actor, SEARCH, user=user)


def forget(actor: Actor, user: UserId) -> None:
    """Erase the user's memory: the user, admins, the erasure job."""
    permit(actor, WRITE_PERSONAL, user=user, jobs=True)


def place_venue(actor: Actor, venue: UUID) -> None:
    permit(actor, PLACE_VENUE, venue=venue)


def curate(actor: Actor) -> None:
    """Process feedback, score venues, generate suggestions."""
    permit(actor, CURATE, jobs=True, admins=PLATFORM)
