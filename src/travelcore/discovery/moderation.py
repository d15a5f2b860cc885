"""Review moderation (seed 003 ``reviews.is_flagged``, ``flagged_reason``; DOMAIN.md
section 6: reviews are hidden or flagged).

Anyone of the tenant may flag a visible review as inappropriate, with a reason; the first
reason stands until a platform admin decides. Flagged visible reviews form the moderation
queue; the admin either clears the flag (the review stays up) or hides the review with
``FeedbackService.hide``, which takes it off the queue too. Flagging leaves the review
public and the activity's rating untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol
from uuid import UUID

import attrs

from travelcore.discovery.feedback import PLATFORM_ADMINS, Review, ReviewRepository
from travelcore.kernel.actor import Actor, permit, require_tenant
from travelcore.kernel.errors import ValidationFailed
from travelcore.kernel.ids import TenantId
from travelcore.kernel.uow import UnitOfWork

MAX_REASON = 500
MAX_QUEUE = 500


class ModerationUnitOfWork(UnitOfWork, Protocol):
    reviews: ReviewRepository


def _reason(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_REASON:
        raise ValidationFailed("reason", f"text_of_1_to_{MAX_REASON}_characters")
    return value.strip()


def _moderator(actor: Actor, tenant_id: TenantId) -> None:
    """Platform admins only (``AccessDenied``, rule ``tenant``, ``scope`` or ``role``)."""
    require_tenant(actor, tenant_id)
    permit(actor, "write:reviews", admins=PLATFORM_ADMINS)


class ReviewModeration:
    def __init__(self, uow_factory: Callable[[TenantId], ModerationUnitOfWork]) -> None:
        self._uow_factory = uow_factory

    def flag(self, tenant_id: TenantId, review_id: UUID, *, reason: str, actor: Actor) -> Review:
        """Put a visible review on the moderation queue; flagging it again changes nothing
        (the first reason stands). A hidden review is not flagged (``ValidationFailed``)."""
        require_tenant(actor, tenant_id)
        actor.require("write:reviews")
        text = _reason(reason)
        with self._uow_factory(tenant_id) as uow:
            uow.actor = actor
            review = uow.reviews.get(review_id)
            if not review.is_visible:
                raise ValidationFailed("review_id", "visible_review")
            if review.is_flagged:
                return review
            flagged = attrs.evolve(review, is_flagged=True, flagged_reason=text)
            uow.reviews.save(flagged)
            uow.commit()
        return flagged

    def clear_flag(self, tenant_id: TenantId, review_id: UUID, *, actor: Actor) -> Review:
        """A platform admin keeps the review up: the flag and its reason go."""
        _moderator(actor, tenant_id)
        with self._uow_factory(tenant_id) as uow:
            uow.actor = actor
            review = uow.reviews.get(review_id)
            if not review.is_flagged:
                return review
            cleared = attrs.evolve(review, is_flagged=False, flagged_reason=None)
            uow.reviews.save(cleared)
            uow.commit()
        return cleared

    def queue(self, tenant_id: TenantId, *, actor: Actor, limit: int = 50) -> list[Review]:
        """The visible flagged reviews, oldest first (platform admins only)."""
        _moderator(actor, tenant_id)
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_QUEUE:
            raise ValidationFailed("limit", f"between_1_and_{MAX_QUEUE}")
        with self._uow_factory(tenant_id) as uow:
            return uow.reviews.flagged(limit)
