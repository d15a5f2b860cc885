"""Reviews and quick feedback on completed bookings, and the child preference vector they move.

- A review (1-5 stars, would book again, would recommend the venue, optional text) and a
  quick feedback (thumbs up/down with tags) are each accepted once per booking, only for a
  ``completed`` booking and only from its parent.
- The activity's rating aggregate (review count and star sum, so the average is exact) is
  updated in the same transaction as the review is written.
- Processing a quick feedback moves the child's preference vector by ``shift_preference``
  and counts it, in one transaction that also marks the feedback processed: each feedback
  moves the vector exactly once. The preference is read with the locking read, so job
  runners folding in several feedbacks of one child at once queue and each moves what the
  one before left. The preference lives in the database (the source of truth); the vector
  store copy is written after the commit, in a second transaction that locks the stored
  preference again and copies it only if it is still there: an erasure of the child (or a
  withdrawal of consent) deletes the preference and then the copy, so whichever comes
  first, no copy outlives the preference. A child without current consent to AI
  personalisation gets no preference vector: their feedback is marked processed unused.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol
from uuid import UUID

import attrs

from travelcore.booking.model import BookingId, BookingStatus
from travelcore.booking.ports import BookingUnitOfWork
from travelcore.catalog.model import ActivityId, VenueId
from travelcore.consent.ports import ConsentRepository
from travelcore.consent.service import allows_ai_personalisation
from travelcore.discovery import access
from travelcore.discovery.curation import first_preference_text, shift_preference
from travelcore.kernel import Actor, require_tenant
from travelcore.kernel import validation as v
from travelcore.kernel.clock import Clock, checked_clock
from travelcore.kernel.errors import AccessDenied, RuleViolation, ValidationFailed
from travelcore.kernel.ids import TenantId, UserId, new_uuid
from travelcore.people.model import ChildId
from travelcore.vectors.ports import Embedder, VectorStore
from travelcore.vectors.records import VectorRecord, namespace_for

POSITIVE_TAGS = frozenset({"fun", "educational", "social", "creative"})
NEGATIVE_TAGS = frozenset({"organization", "content", "instructor", "facility"})
MAX_TEXT = 2000
"""Who hides reviews besides the reviewed venue's admins."""


class BookingNotReviewable(RuleViolation):
    code = "booking_not_reviewable"


def _rating(instance: object, attribute: attrs.Attribute[int], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise ValidationFailed(attribute.name, "between_1_and_5")


def _optional_text(instance: object, attribute: attrs.Attribute[str | None], value: Any) -> None:
    if value is not None and (not isinstance(value, str) or len(value) > MAX_TEXT):
        raise ValidationFailed(attribute.name, f"text_of_at_most_{MAX_TEXT}_characters")


def _tags_in(allowed: frozenset[str]) -> Callable[[object, Any, Any], None]:
    def check(instance: object, attribute: attrs.Attribute[tuple[str, ...]], value: Any) -> None:
        if not set(value) <= allowed or len(set(value)) != len(value):
            raise ValidationFailed(attribute.name, "known_distinct_tags")

    return check


@attrs.frozen(kw_only=True)
class Review:
    id: UUID
    tenant_id: TenantId
    booking_id: BookingId
    activity_id: ActivityId
    venue_id: VenueId
    user_id: UserId
    rating: int = attrs.field(validator=_rating)
    would_book_again: bool | None = None
    would_recommend_venue: bool | None = None
    text: str | None = attrs.field(default=None, validator=_optional_text)
    submitted_at: datetime
    is_visible: bool = True
    hidden_reason: str | None = None
    hidden_by: UserId | None = None
    hidden_at: datetime | None = None
    is_flagged: bool = False
    flagged_reason: str | None = None


@attrs.frozen(kw_only=True)
class QuickFeedback:
    id: UUID
    tenant_id: TenantId
    booking_id: BookingId
    child_id: ChildId
    activity_id: ActivityId
    is_positive: bool
    positive_tags: tuple[str, ...] = attrs.field(default=(), validator=_tags_in(POSITIVE_TAGS))
    negative_tags: tuple[str, ...] = attrs.field(default=(), validator=_tags_in(NEGATIVE_TAGS))
    comment: str | None = attrs.field(default=None, validator=_optional_text)
    submitted_at: datetime
    vector_processed: bool = False
    vector_processed_at: datetime | None = None


@attrs.frozen(kw_only=True)
class ActivityRating:
    activity_id: ActivityId
    total_reviews: int = 0
    rating_sum: int = 0

    @property
    def average_rating(self) -> Decimal | None:
        if not self.total_reviews:
            return None
        exact = Decimal(self.rating_sum) / Decimal(self.total_reviews)
        return exact.quantize(Decimal("0.01"), ROUND_HALF_UP)


@attrs.frozen(kw_only=True)
class ChildPreference:
    """A child's preference vector (the source of truth of the ``child_preferences``
    namespace) and how many feedbacks moved it."""

    tenant_id: TenantId
    child_id: ChildId
    vector: tuple[float, ...]
    model: str
    feedback_incorporated_count: int = 0
    updated_at: datetime
    version: int = 0


class ReviewRepository(Protocol):
    def add(self, review: Review) -> None:
        """``AlreadyExists`` when the booking already has a review."""
        ...

    def get(self, review_id: UUID) -> Review: ...

    def save(self, review: Review) -> None: ...

    def for_activity(self, activity_id: ActivityId, *, visible_only: bool = True) -> list[Review]:
        """Newest first."""
        ...

    def flagged(self, limit: int) -> list[Review]:
        """The visible flagged reviews, oldest first (``submitted_at``, then id)."""
        ...


class FeedbackRepository(Protocol):
    def add(self, feedback: QuickFeedback) -> None:
        """``AlreadyExists`` when the booking already has a feedback."""
        ...

    def get(self, feedback_id: UUID) -> QuickFeedback: ...

    def unprocessed(self, limit: int) -> list[QuickFeedback]:
        """Oldest first."""
        ...

    def mark_processed(self, feedback_id: UUID, at: datetime) -> bool:
        """Mark it processed; ``False`` if it already was (nothing changes then)."""
        ...


class ActivityRatingRepository(Protocol):
    def add_rating(self, activity_id: ActivityId, rating: int) -> None:
        """Count one more review of ``rating`` stars (atomic under concurrency)."""
        ...

    def get(self, activity_id: ActivityId) -> ActivityRating: ...


class ChildPreferenceRepository(Protocol):
    def get(self, child_id: ChildId) -> ChildPreference | None: ...

    def get_for_update(self, child_id: ChildId) -> ChildPreference | None:
        """``get`` under the kernel's locking read: a missing preference keeps the key
        reserved too, so concurrent create-or-update calls of one child queue."""
        ...

    def save(self, preference: ChildPreference) -> None:
        """Optimistic: ``StaleVersion`` if it changed since it was read (version 0: new)."""
        ...

    def remove(self, child_id: ChildId) -> bool:
        """Delete the child's preference; ``False`` if there was none."""
        ...


class FeedbackUnitOfWork(BookingUnitOfWork, Protocol):
    @property
    def reviews(self) -> ReviewRepository: ...

    @property
    def feedback(self) -> FeedbackRepository: ...

    @property
    def activity_ratings(self) -> ActivityRatingRepository: ...

    @property
    def child_preferences(self) -> ChildPreferenceRepository: ...

    @property
    def consents(self) -> ConsentRepository: ...


class FeedbackService:
    def __init__(
        self,
        uow_factory: Callable[[TenantId], FeedbackUnitOfWork],
        clock: Clock,
        *,
        embedder: Embedder,
        store: VectorStore,
        alpha: float = 0.2,
    ) -> None:
        self._uow_factory = uow_factory
        self._clock = checked_clock(clock)
        self._embedder = embedder
        self._store = store
        self._alpha = alpha

    def _reviewable(self, uow: FeedbackUnitOfWork, booking_id: BookingId, user_id: UserId) -> Any:
        """The booking (read locked, as bookings are: a running erasure of its child holds
        it, so feedback waits and then names what the erasure left), once its parent may
        review it."""
        booking = uow.bookings.get(booking_id)
        if booking.parent_id != user_id:
            raise AccessDenied(
                "only the booking's parent may give feedback on it", rule="own_family"
            )
        if booking.status is not BookingStatus.COMPLETED:
            raise BookingNotReviewable(
                f"booking is {booking.status}, not completed", booking_id=str(booking_id)
            )
        return booking

    def review(
        self,
        tenant_id: TenantId,
        user_id: UserId,
        booking_id: BookingId,
        *,
        rating: int,
        would_book_again: bool | None = None,
        would_recommend_venue: bool | None = None,
        text: str | None = None,
        actor: Actor,
    ) -> Review:
        """One review per completed booking, by its parent; the rating aggregate moves in
        the same transaction."""
        v.check_all(
            {
                "user_id": user_id,
                "booking_id": booking_id,
                "rating": rating,
                "would_book_again": would_book_again,
                "would_recommend_venue": would_recommend_venue,
                "text": text,
            },
            _REVIEW,
        )
        require_tenant(actor, tenant_id)
        access.give_feedback(actor, user_id)
        with self._uow_factory(tenant_id) as uow:
            uow.actor = actor
            booking = self._reviewable(uow, booking_id, user_id)
            session = uow.sessions.get(booking.session_id)
            review = Review(
                id=new_uuid(),
                tenant_id=tenant_id,
                booking_id=booking_id,
                activity_id=session.activity_id,
                venue_id=session.venue_id,
                user_id=user_id,
                rating=rating,
                would_book_again=would_book_again,
                would_recommend_venue=would_recommend_venue,
                text=text,
                submitted_at=self._clock.now(),
            )
            uow.reviews.add(review)
            uow.activity_ratings.add_rating(session.activity_id, rating)
            uow.commit()
        return review

    def hide(
        self, tenant_id: TenantId, review_id: UUID, *, admin_id: UserId, reason: str, actor: Actor
    ) -> Review:
        v.check_all({"review_id": review_id, "admin_id": admin_id, "reason": reason}, _HIDE)
        require_tenant(actor, tenant_id)
        if not reason.strip():
            raise ValidationFailed("reason", "required")
        with self._uow_factory(tenant_id) as uow:
            uow.actor = actor
            review = uow.reviews.get(review_id)
            access.hide(actor, review.venue_id)
            hidden = attrs.evolve(
                review,
                is_visible=False,
                hidden_reason=reason,
                hidden_by=admin_id,
                hidden_at=self._clock.now(),
            )
            uow.reviews.save(hidden)
            uow.commit()
        return hidden

    def quick_feedback(
        self,
        tenant_id: TenantId,
        user_id: UserId,
        booking_id: BookingId,
        *,
        positive: bool,
        tags: Sequence[str] = (),
        comment: str | None = None,
        actor: Actor,
    ) -> QuickFeedback:
        v.check_all(
            {
                "user_id": user_id,
                "booking_id": booking_id,
                "positive": positive,
                "tags": tags,
                "comment": comment,
            },
            _QUICK,
        )
        require_tenant(actor, tenant_id)
        access.give_feedback(actor, user_id)
        with self._uow_factory(tenant_id) as uow:
            uow.actor = actor
            booking = self._reviewable(uow, booking_id, user_id)
            session = uow.sessions.get(booking.session_id)
            feedback = QuickFeedback(
                id=new_uuid(),
                tenant_id=tenant_id,
                booking_id=booking_id,
                child_id=booking.child_id,
                activity_id=session.activity_id,
                is_positive=positive,
                positive_tags=tuple(tags) if positive else (),
                negative_tags=() if positive else tuple(tags),
                comment=comment,
                submitted_at=self._clock.now(),
            )
            uow.feedback.add(feedback)
            uow.commit()
        return feedback

    def process_feedback(self, tenant_id: TenantId, *, limit: int = 100, actor: Actor) -> int:
        """Move the preference vectors by the unprocessed feedback; how many were applied."""
        v.integer(1, MAX_BATCH)(limit, "limit")
        require_tenant(actor, tenant_id)
        access.curate(actor)
        with self._uow_factory(tenant_id) as uow:
            pending = uow.feedback.unprocessed(limit)
        activities = namespace_for(tenant_id, "activities")
        found = self._store.fetch(activities, sorted({str(f.activity_id) for f in pending}))
        applied = 0
        for item in pending:
            record = found.records.get(str(item.activity_id))
            if record is None:
                continue
            preference = self._apply(tenant_id, item, record.values, actor)
            if preference is not None:
                applied += 1
                self._publish(tenant_id, preference, actor)
        return applied

    def _publish(self, tenant_id: TenantId, moved: ChildPreference, actor: Actor) -> None:
        """Copy the child's preference, as stored now, to the vector store while holding it
        (an erasure deletes the stored one, then the copy; after it, nothing is copied)."""
        with self._uow_factory(tenant_id) as uow:
            uow.actor = actor
            stored = uow.child_preferences.get_for_update(moved.child_id)
            if stored is not None:
                self._copy(tenant_id, stored)

    def _copy(self, tenant_id: TenantId, preference: ChildPreference) -> None:
        self._store.upsert(
            namespace_for(tenant_id, "child_preferences"),
            [
                VectorRecord(
                    str(preference.child_id),
                    preference.vector,
                    {"feedback_count": preference.feedback_incorporated_count},
                )
            ],
        )

    def _apply(
        self, tenant_id: TenantId, item: QuickFeedback, activity: Sequence[float], actor: Actor
    ) -> ChildPreference | None:
        now = self._clock.now()
        with self._uow_factory(tenant_id) as uow:
            uow.actor = actor
            if not uow.feedback.mark_processed(item.id, now):
                return None
            if not allows_ai_personalisation(uow.consents, item.child_id):
                uow.commit()  # processed: without consent it moves no vector
                return None
            current = uow.child_preferences.get_for_update(item.child_id)
            if current is None:
                child = uow.children.get(item.child_id)
                text = first_preference_text(child.interests, child.age_on(now.date()))
                current = ChildPreference(
                    tenant_id=tenant_id,
                    child_id=item.child_id,
                    vector=self._embedder.embed([text])[0],
                    model=f"{self._embedder.model}@{self._embedder.version}",
                    updated_at=now,
                )
            moved = attrs.evolve(
                current,
                vector=shift_preference(
                    current.vector, activity, positive=item.is_positive, alpha=self._alpha
                ),
                feedback_incorporated_count=current.feedback_incorporated_count + 1,
                updated_at=now,
            )
            uow.child_preferences.save(moved)
            uow.commit()
        return moved


# -- boundary checks -----------------------------------------------------------------------

MAX_BATCH = 1_000
MAX_TAGS = len(POSITIVE_TAGS | NEGATIVE_TAGS)
_FLAG = v.optional(v.boolean)
_REVIEW = {
    "user_id": v.uuid,
    "booking_id": v.uuid,
    "rating": v.integer(1, 5, rule="between_1_and_5"),
    "would_book_again": _FLAG,
    "would_recommend_venue": _FLAG,
    "text": v.optional(v.text(MAX_TEXT, min_length=0)),
}
_HIDE = {"review_id": v.uuid, "admin_id": v.uuid, "reason": v.text(1_000)}
_QUICK = {
    "user_id": v.uuid,
    "booking_id": v.uuid,
    "positive": v.boolean,
    "tags": v.items(v.text(50), max_items=MAX_TAGS),
    "comment": v.optional(v.text(MAX_TEXT, min_length=0)),
}
