"""The contract of review moderation (``ReviewModeration`` over any database): flagging,
the moderation queue and clearing a flag.

Subclass :class:`ModerationContract` and provide the fixtures ``uow_factory`` (``(TenantId)
-> unit of work`` with ``reviews``) and ``clock`` (a ``ManualClock``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import attrs
import pytest

from travelcore.booking import BookingId
from travelcore.catalog import ActivityId, VenueId
from travelcore.discovery.feedback import Review
from travelcore.discovery.moderation import MAX_REASON, ReviewModeration
from travelcore.kernel import (
    AccessDenied,
    Actor,
    ManualClock,
    NotFound,
    Role,
    TenantId,
    UserId,
    ValidationFailed,
    new_uuid,
)


@attrs.define
class Reviews:
    tenant: TenantId
    activity: ActivityId
    ids: list[Any]
    parent: Actor
    admin: Actor


def _reviews(uow_factory: Callable[[TenantId], Any], clock: ManualClock, n: int = 4) -> Reviews:
    tenant = TenantId(new_uuid())
    activity = ActivityId(new_uuid())
    ids = []
    with uow_factory(tenant) as uow:
        for i in range(n):
            review = Review(
                id=new_uuid(),
                tenant_id=tenant,
                booking_id=BookingId(new_uuid()),
                activity_id=activity,
                venue_id=VenueId(new_uuid()),
                user_id=UserId(new_uuid()),
                rating=1 + i % 5,
                text=f"review {i}",
                submitted_at=clock.now() + timedelta(minutes=i),
            )
            uow.reviews.add(review)
            ids.append(review.id)
        uow.commit()
    parent = Actor(tenant_id=tenant, role=Role.PARENT, user_id=UserId(new_uuid()))
    admin = Actor(tenant_id=tenant, role=Role.PLATFORM_ADMIN, user_id=UserId(new_uuid()))
    return Reviews(tenant=tenant, activity=activity, ids=ids, parent=parent, admin=admin)


class ModerationContract:
    @pytest.fixture
    def moderation(self, uow_factory: Callable[[TenantId], Any]) -> ReviewModeration:
        return ReviewModeration(uow_factory)

    @pytest.fixture
    def reviews(self, uow_factory: Callable[[TenantId], Any], clock: ManualClock) -> Reviews:
        return _reviews(uow_factory, clock)

    def test_a_flagged_review_stays_public_and_joins_the_queue_with_its_first_reason(
        self,
        moderation: ReviewModeration,
        reviews: Reviews,
        uow_factory: Callable[[TenantId], Any],
    ) -> None:
        r = reviews
        flagged = moderation.flag(r.tenant, r.ids[2], reason="  insults staff ", actor=r.parent)
        assert (flagged.is_flagged, flagged.flagged_reason) == (True, "insults staff")
        again = moderation.flag(r.tenant, r.ids[2], reason="spam", actor=r.admin)
        assert again.flagged_reason == "insults staff"
        moderation.flag(r.tenant, r.ids[0], reason="spam", actor=r.parent)
        assert [x.id for x in moderation.queue(r.tenant, actor=r.admin)] == [r.ids[0], r.ids[2]]
        assert moderation.queue(r.tenant, actor=r.admin, limit=1)[0].id == r.ids[0]
        with uow_factory(r.tenant) as uow:
            public = uow.reviews.for_activity(r.activity)
            assert len(public) == 4
            assert uow.reviews.get(r.ids[2]) == flagged

    def test_clearing_or_hiding_takes_a_review_off_the_queue(
        self,
        moderation: ReviewModeration,
        reviews: Reviews,
        uow_factory: Callable[[TenantId], Any],
    ) -> None:
        r = reviews
        for review_id in r.ids[:3]:
            moderation.flag(r.tenant, review_id, reason="rude", actor=r.parent)
        cleared = moderation.clear_flag(r.tenant, r.ids[0], actor=r.admin)
        assert (cleared.is_flagged, cleared.flagged_reason, cleared.is_visible) == (
            False,
            None,
            True,
        )
        assert moderation.clear_flag(r.tenant, r.ids[3], actor=r.admin).is_flagged is False
        with uow_factory(r.tenant) as uow:
            uow.reviews.save(attrs.evolve(uow.reviews.get(r.ids[1]), is_visible=False))
            uow.commit()
        assert [x.id for x in moderation.queue(r.tenant, actor=r.admin)] == [r.ids[2]]
        with pytest.raises(ValidationFailed) as hidden:
            moderation.flag(r.tenant, r.ids[1], reason="rude", actor=r.parent)
        assert hidden.value.field == "review_id"

    def test_only_platform_admins_see_the_queue_or_clear_and_tenants_stay_apart(
        self,
        moderation: ReviewModeration,
        reviews: Reviews,
        uow_factory: Callable[[TenantId], Any],
        clock: ManualClock,
    ) -> None:
        r = reviews
        moderation.flag(r.tenant, r.ids[0], reason="rude", actor=r.parent)
        for call in (
            lambda: moderation.queue(r.tenant, actor=r.parent),
            lambda: moderation.clear_flag(r.tenant, r.ids[0], actor=r.parent),
        ):
            with pytest.raises(AccessDenied) as denied:
                call()
            assert denied.value.rule == "role"
        other = _reviews(uow_factory, clock, n=1)
        assert moderation.queue(other.tenant, actor=other.admin) == []
        with pytest.raises(AccessDenied) as foreign:
            moderation.flag(r.tenant, r.ids[1], reason="rude", actor=other.parent)
        assert foreign.value.rule == "tenant"
        with pytest.raises(AccessDenied):
            moderation.queue(r.tenant, actor=other.admin)
        with pytest.raises(NotFound):
            moderation.flag(other.tenant, r.ids[1], reason="rude", actor=other.parent)
        assert [x.id for x in moderation.queue(r.tenant, actor=r.admin)] == [r.ids[0]]

    @pytest.mark.parametrize("reason", ["", "   ", "x" * (MAX_REASON + 1), None, 7])
    def test_a_bad_reason_is_refused_before_anything_is_written(
        self,
        moderation: ReviewModeration,
        reviews: Reviews,
        uow_factory: Callable[[TenantId], Any],
        reason: Any,
    ) -> None:
        r = reviews
        with pytest.raises(ValidationFailed) as refused:
            moderation.flag(r.tenant, r.ids[0], reason=reason, actor=r.parent)
        assert refused.value.field == "reason"
        with uow_factory(r.tenant) as uow:
            assert uow.reviews.get(r.ids[0]).is_flagged is False
        with pytest.raises(ValidationFailed) as limit:
            moderation.queue(r.tenant, actor=r.admin, limit=0)
        assert limit.value.field == "limit"
