"""The contract of reviews, quick feedback, rating aggregates and preference vectors, run
through ``FeedbackService`` over any database.

Subclass :class:`FeedbackContract` and provide the fixtures ``uow_factory`` (``(TenantId) ->
unit of work`` with the booking, catalog, people, ledger and feedback repositories) and
``clock`` (a ``ManualClock``) and ``vectors`` (a vector store of dimension ``DIMENSION``).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from travelcore.booking import BookingId, BookingSource, BookSession, ConfirmBooking, MarkAttendance
from travelcore.discovery.curation import first_preference_text
from travelcore.discovery.feedback import BookingNotReviewable, FeedbackService
from travelcore.kernel import (
    AccessDenied,
    AlreadyExists,
    ManualClock,
    TenantId,
    UserId,
    ValidationFailed,
    new_uuid,
)
from travelcore.people import ChildId
from travelcore.testing.actors import admin, job
from travelcore.testing.world import World
from travelcore.vectors import HashingEmbedder, VectorRecord, namespace_for
from travelcore.vectors.ports import VectorStore

DIMENSION = 16


def completed_bookings(
    world: World, children: int = 1, capacity: int = 10, *, ai_consent: bool = True
) -> tuple[UserId, list[ChildId], list[BookingId], Any]:
    """A parent with ``children`` children, each booked on one session (confirmed) and
    marked attended after it: the parent, the children, the bookings and the session."""
    parent, kids = world.family(
        credits=50 * children,
        born=[world.clock.now().date().replace(year=2018)] * children,
        ai_consent=ai_consent,
    )
    session_id = world.session(starts_in=timedelta(days=1), capacity=capacity)
    bookings = []
    for child in kids:
        receipt = world.bookings.book(
            BookSession(
                tenant_id=world.tenant,
                session_id=session_id,
                child_id=child,
                parent_id=parent,
                source=BookingSource.BROWSE,
                idempotency_key=world.key(),
            ),
            actor=admin(world.tenant),
        )
        world.bookings.confirm(
            ConfirmBooking(
                tenant_id=world.tenant,
                booking_id=receipt.booking_id,
                idempotency_key=world.key(),
            ),
            actor=admin(world.tenant),
        )
        bookings.append(receipt.booking_id)
    world.clock.advance(timedelta(days=1, hours=2))
    for booking_id in bookings:
        world.bookings.mark_attendance(
            MarkAttendance(
                tenant_id=world.tenant,
                booking_id=booking_id,
                attended=True,
                idempotency_key=world.key(),
            ),
            actor=admin(world.tenant),
        )
    return parent, kids, bookings, world.get_session(session_id)


class FeedbackContract:
    @pytest.fixture
    def world(self, uow_factory: Callable[[TenantId], Any], clock: ManualClock) -> World:
        return World(uow_factory, clock)

    @pytest.fixture
    def service(
        self, uow_factory: Callable[[TenantId], Any], clock: ManualClock, vectors: VectorStore
    ) -> FeedbackService:
        return FeedbackService(
            uow_factory, clock, embedder=HashingEmbedder(DIMENSION), store=vectors
        )

    def test_a_review_of_a_completed_booking_by_its_parent(
        self, world: World, service: FeedbackService, uow_factory: Callable[[TenantId], Any]
    ) -> None:
        parent, _, [booking], session = completed_bookings(world)
        review = service.review(
            world.tenant,
            parent,
            booking,
            rating=4,
            would_book_again=True,
            text="Great fun",
            actor=admin(world.tenant),
        )
        assert (review.activity_id, review.venue_id) == (session.activity_id, session.venue_id)
        with uow_factory(world.tenant) as uow:
            assert uow.reviews.get(review.id) == review
            assert uow.reviews.for_activity(session.activity_id) == [review]
            rating = uow.activity_ratings.get(session.activity_id)
        assert (rating.total_reviews, rating.average_rating) == (1, Decimal("4.00"))
        with pytest.raises(AlreadyExists):
            service.review(world.tenant, parent, booking, rating=5, actor=admin(world.tenant))
        with pytest.raises(AccessDenied):
            service.review(
                world.tenant, UserId(new_uuid()), booking, rating=5, actor=admin(world.tenant)
            )

    def test_only_completed_bookings_and_valid_ratings(
        self, world: World, service: FeedbackService, uow_factory: Callable[[TenantId], Any]
    ) -> None:
        parent, [child] = world.family(credits=20)
        session_id = world.session(starts_in=timedelta(days=2))
        receipt = world.bookings.book(
            BookSession(
                tenant_id=world.tenant,
                session_id=session_id,
                child_id=child,
                parent_id=parent,
                idempotency_key=world.key(),
            ),
            actor=admin(world.tenant),
        )
        with pytest.raises(BookingNotReviewable):
            service.review(
                world.tenant, parent, receipt.booking_id, rating=5, actor=admin(world.tenant)
            )
        with pytest.raises(BookingNotReviewable):
            service.quick_feedback(
                world.tenant, parent, receipt.booking_id, positive=True, actor=admin(world.tenant)
            )
        done_parent, _, [done], _ = completed_bookings(world)
        for bad in (0, 6, True):
            with pytest.raises(ValidationFailed):
                service.review(
                    world.tenant, done_parent, done, rating=bad, actor=admin(world.tenant)
                )
        with pytest.raises(ValidationFailed):
            service.quick_feedback(
                world.tenant,
                done_parent,
                done,
                positive=True,
                tags=["boring"],
                actor=admin(world.tenant),
            )

    def test_hidden_reviews_leave_the_public_list(
        self, world: World, service: FeedbackService, uow_factory: Callable[[TenantId], Any]
    ) -> None:
        parent, _, [booking], session = completed_bookings(world)
        review = service.review(
            world.tenant, parent, booking, rating=1, text="rude words", actor=admin(world.tenant)
        )
        hidden = service.hide(
            world.tenant,
            review.id,
            admin_id=UserId(new_uuid()),
            reason="abuse",
            actor=admin(world.tenant),
        )
        with uow_factory(world.tenant) as uow:
            assert uow.reviews.for_activity(session.activity_id) == []
            assert uow.reviews.for_activity(session.activity_id, visible_only=False) == [hidden]

    def test_concurrent_reviews_keep_the_rating_exact(
        self, world: World, service: FeedbackService, uow_factory: Callable[[TenantId], Any]
    ) -> None:
        parent, _, bookings, session = completed_bookings(world, children=6)
        errors: list[BaseException] = []

        def review(booking_id: BookingId, stars: int) -> None:
            try:
                service.review(
                    world.tenant, parent, booking_id, rating=stars, actor=admin(world.tenant)
                )
            except BaseException as exc:
                errors.append(exc)

        threads = [
            threading.Thread(target=review, args=(b, 1 + n % 5)) for n, b in enumerate(bookings)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        with uow_factory(world.tenant) as uow:
            rating = uow.activity_ratings.get(session.activity_id)
            reviews = uow.reviews.for_activity(session.activity_id)
        assert rating.total_reviews == len(reviews) == 6
        assert rating.rating_sum == sum(r.rating for r in reviews) == 1 + 2 + 3 + 4 + 5 + 1

    def test_feedback_moves_the_preference_once(
        self,
        world: World,
        service: FeedbackService,
        vectors: VectorStore,
        uow_factory: Callable[[TenantId], Any],
    ) -> None:
        parent, [child], [booking], session = completed_bookings(world)
        activity = [1.0] + [0.0] * (DIMENSION - 1)
        vectors.upsert(
            namespace_for(world.tenant, "activities"),
            [VectorRecord(str(session.activity_id), activity, {})],
        )
        service.quick_feedback(
            world.tenant, parent, booking, positive=True, tags=["fun"], actor=admin(world.tenant)
        )
        with pytest.raises(AlreadyExists):
            service.quick_feedback(
                world.tenant, parent, booking, positive=False, actor=admin(world.tenant)
            )
        with uow_factory(world.tenant) as uow:
            age = uow.children.get(child).age_on(world.clock.now().date())
        text = first_preference_text((), age)
        first = HashingEmbedder(DIMENSION).embed([text])[0]
        assert service.process_feedback(world.tenant, actor=job(world.tenant)) == 1
        assert service.process_feedback(world.tenant, actor=job(world.tenant)) == 0
        with uow_factory(world.tenant) as uow:
            preference = uow.child_preferences.get(child)
            assert uow.feedback.unprocessed(10) == []
        assert preference is not None
        assert preference.feedback_incorporated_count == 1
        moved = [p + 0.2 * a for p, a in zip(first, activity, strict=True)]
        length = math.sqrt(sum(v * v for v in moved))
        assert preference.vector == pytest.approx([v / length for v in moved])
        stored = vectors.fetch(namespace_for(world.tenant, "child_preferences"), [str(child)])
        assert stored.records[str(child)].values == pytest.approx(preference.vector)

    def test_a_locking_read_of_a_preference_gives_what_get_gives(
        self,
        world: World,
        service: FeedbackService,
        vectors: VectorStore,
        uow_factory: Callable[[TenantId], Any],
    ) -> None:
        parent, [child], [booking], session = completed_bookings(world)
        with uow_factory(world.tenant) as uow:
            assert uow.child_preferences.get_for_update(child) is None
        vectors.upsert(
            namespace_for(world.tenant, "activities"),
            [VectorRecord(str(session.activity_id), [1.0] + [0.0] * (DIMENSION - 1), {})],
        )
        service.quick_feedback(
            world.tenant, parent, booking, positive=True, actor=admin(world.tenant)
        )
        assert service.process_feedback(world.tenant, actor=job(world.tenant)) == 1
        with uow_factory(world.tenant) as uow:
            locked = uow.child_preferences.get_for_update(child)
            assert locked is not None
            assert locked == uow.child_preferences.get(child)
            assert locked.feedback_incorporated_count == 1

    def test_without_ai_consent_feedback_makes_no_preference_vector(
        self,
        world: World,
        service: FeedbackService,
        vectors: VectorStore,
        uow_factory: Callable[[TenantId], Any],
    ) -> None:
        parent, [child], [booking], session = completed_bookings(world, ai_consent=False)
        vectors.upsert(
            namespace_for(world.tenant, "activities"),
            [VectorRecord(str(session.activity_id), [1.0] + [0.0] * (DIMENSION - 1), {})],
        )
        service.quick_feedback(
            world.tenant, parent, booking, positive=True, tags=["fun"], actor=admin(world.tenant)
        )
        assert service.process_feedback(world.tenant, actor=job(world.tenant)) == 0
        with uow_factory(world.tenant) as uow:
            assert uow.child_preferences.get(child) is None
            assert uow.feedback.unprocessed(10) == []
        stored = vectors.fetch(namespace_for(world.tenant, "child_preferences"), [str(child)])
        assert stored.missing == (str(child),)
