"""The family activity pass: browse and search activities, book (siblings too), cancel,
the waitlist, credits, suggestions, feedback and reviews, notifications, the dashboard.

A parent acts as themself: ``parent_id`` and ``user_id`` of the commands come from the
actor, never from the body."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from examples.api.bodies import Body, Out, body_of, command, out
from examples.api.deps import IdempotencyKey, Paging, Svc, Who, page, page_of, scoped, user_of
from examples.api.services import Services
from travelcore.booking import (
    BookGroup,
    Booking,
    BookingId,
    BookingReceipt,
    BookSession,
    CancelBooking,
    CancellationReceipt,
    ConfirmBooking,
    GroupReceipt,
    JoinWaitlist,
    LeaveWaitlist,
    RespondToOffer,
    WaitlistEntry,
    WaitlistEntryId,
    WaitlistReceipt,
)
from travelcore.catalog import Activity, ActivityId, Session, SessionId, VenueStatus
from travelcore.dashboard import ParentDashboard
from travelcore.discovery.feedback import QuickFeedback, Review
from travelcore.discovery.search import SearchResponse
from travelcore.discovery.suggestions import SuggestionRecord
from travelcore.kernel import Actor, NotFound, to_data
from travelcore.ledger import BalanceView, LedgerEntry
from travelcore.notifications import MarkRead, Notification, NotificationId
from travelcore.people import Child

BalanceOut = body_of(BalanceView, frozenset({"entries"}), "BalanceOut", Out)

router = APIRouter(tags=["family pass"])
Reader = Annotated[Actor, scoped("read:activities")]
Booker = Annotated[Actor, scoped("write:bookings")]
BookingsReader = Annotated[Actor, scoped("read:bookings")]
CreditsReader = Annotated[Actor, scoped("read:credits")]
Reviewer = Annotated[Actor, scoped("write:reviews")]
Json = dict[str, Any]

CONTEXT = frozenset({"tenant_id", "parent_id", "user_id", "idempotency_key", "actor"})
if TYPE_CHECKING:  # models made at run time from the commands: request bodies to mypy
    BookBody = Body
    GroupBody = Body
    CancelBody = Body
    JoinBody = Body
else:
    BookBody = body_of(BookSession, CONTEXT)
    GroupBody = body_of(BookGroup, CONTEXT)
    CancelBody = body_of(CancelBooking, CONTEXT | {"booking_id", "by_venue"}, "CancelBody")
    JoinBody = body_of(JoinWaitlist, CONTEXT)


def data(value: Any) -> Json:
    result: Json = to_data(value)
    return result


# -- browse and search ----------------------------------------------------------------


@router.get(
    "/activities",
    summary="Browse the published activities of active venues",
    response_model=page_of(Activity),
)
def activities(who: Reader, svc: Svc, paging: Paging) -> Json:
    """Ordered by name."""
    with svc.app.database(who.tenant_id) as uow:
        found = [
            activity
            for venue in uow.venues.with_status(VenueStatus.ACTIVE)
            for activity in uow.activities.for_venue(venue.id)
            if activity.is_published and activity.is_active
        ]
    return page(sorted(found, key=lambda a: (a.name, str(a.id))), paging)


@router.get(
    "/activities/{activity_id}/sessions",
    summary="An activity's sessions",
    response_model=page_of(Session),
)
def sessions(
    activity_id: UUID,
    who: Reader,
    svc: Svc,
    paging: Paging,
    start: Annotated[date | None, Query(description="First day (inclusive)")] = None,
    end: Annotated[date | None, Query(description="Last day (inclusive)")] = None,
) -> Json:
    """Soonest first."""
    with svc.app.database(who.tenant_id) as uow:
        uow.activities.get(ActivityId(activity_id))  # 404 for an unknown activity
    found = svc.app.catalog.sessions(who.tenant_id, ActivityId(activity_id), start, end, actor=who)
    return page(sorted(found, key=lambda s: s.starts_at), paging)


@router.get(
    "/activities/{activity_id}/reviews",
    summary="An activity's visible reviews",
    response_model=page_of(Review),
)
def reviews(activity_id: UUID, who: Reader, svc: Svc, paging: Paging) -> Json:
    with svc.app.database(who.tenant_id) as uow:
        uow.activities.get(ActivityId(activity_id))
        found = uow.reviews.for_activity(ActivityId(activity_id))
    return page(found, paging)


class SearchBody(BaseModel):
    text: str = Field(description="What the parent is looking for, in their own words")
    child_age: int | None = None
    top_k: int = 10


@router.post(
    "/search", summary="Search activities in natural language", response_model=out(SearchResponse)
)
def search(body: SearchBody, who: Reader, svc: Svc) -> Json:
    """The parsed intent, the hits and whether the search fell back to full text. A search
    writes only its log, so it takes no idempotency key."""
    found = svc.search.search(
        who.tenant_id,
        user_of(who),
        body.text,
        child_age=body.child_age,
        top_k=body.top_k,
        actor=who,
    )
    return data(found)


# -- children, bookings and the waitlist -----------------------------------------------


@router.get("/children", summary="The parent's children", response_model=page_of(Child))
def children(who: BookingsReader, svc: Svc, paging: Paging) -> Json:
    return page(svc.app.people.children(who.tenant_id, user_of(who), actor=who), paging)


@router.post(
    "/bookings",
    status_code=201,
    summary="Book a session for a child",
    response_model=out(BookingReceipt),
)
def book(body: BookBody, who: Booker, key: IdempotencyKey, svc: Svc) -> Json:
    cmd = command(
        BookSession, body, tenant_id=who.tenant_id, parent_id=who.user_id, idempotency_key=key
    )
    return data(svc.app.booking.book(cmd, actor=who))


@router.post(
    "/bookings/group",
    status_code=201,
    summary="Book siblings on one session",
    response_model=out(GroupReceipt),
)
def book_group(body: GroupBody, who: Booker, key: IdempotencyKey, svc: Svc) -> Json:
    """Every seat and every credit, or nothing."""
    cmd = command(
        BookGroup, body, tenant_id=who.tenant_id, parent_id=who.user_id, idempotency_key=key
    )
    return data(svc.app.booking.book_group(cmd, actor=who))


@router.get("/bookings/{booking_id}", summary="A booking", response_model=out(Booking))
def booking(booking_id: UUID, who: BookingsReader, svc: Svc) -> Json:
    return data(svc.app.booking.get(who.tenant_id, BookingId(booking_id), actor=who))


@router.post(
    "/bookings/{booking_id}/confirm",
    summary="Confirm a pending booking",
    response_model=out(BookingReceipt),
)
def confirm(booking_id: UUID, who: Booker, key: IdempotencyKey, svc: Svc) -> Json:
    """A booking holds its credits while pending; confirming spends them."""
    cmd = ConfirmBooking(
        tenant_id=who.tenant_id, booking_id=BookingId(booking_id), idempotency_key=key
    )
    return data(svc.app.booking.confirm(cmd, actor=who))


@router.post(
    "/bookings/{booking_id}/cancel",
    summary="Cancel a booking as the parent",
    response_model=out(CancellationReceipt),
)
def cancel(booking_id: UUID, body: CancelBody, who: Booker, key: IdempotencyKey, svc: Svc) -> Json:
    """48 hours or more before the start: a full refund; later, the credits are forfeit."""
    cmd = command(
        CancelBooking, body, tenant_id=who.tenant_id, booking_id=booking_id, idempotency_key=key
    )
    return data(svc.app.booking.cancel(cmd, actor=who))


@router.post(
    "/waitlist",
    status_code=201,
    summary="Join a full session's waitlist",
    response_model=out(WaitlistReceipt),
)
def join_waitlist(body: JoinBody, who: Booker, key: IdempotencyKey, svc: Svc) -> Json:
    cmd = command(
        JoinWaitlist, body, tenant_id=who.tenant_id, parent_id=who.user_id, idempotency_key=key
    )
    return data(svc.app.waitlist.join(cmd, actor=who))


@router.get(
    "/sessions/{session_id}/waitlist",
    summary="A session's waitlist (for its venue's admins)",
    response_model=page_of(WaitlistEntry),
)
def waitlist(session_id: UUID, who: BookingsReader, svc: Svc, paging: Paging) -> Json:
    svc.app.catalog.session(who.tenant_id, SessionId(session_id), actor=who)
    return page(svc.app.waitlist.entries(who.tenant_id, SessionId(session_id), actor=who), paging)


def _respond(action: str, entry_id: UUID, who: Actor, key: str, svc: Services) -> Json:
    cmd = RespondToOffer(
        tenant_id=who.tenant_id, entry_id=WaitlistEntryId(entry_id), idempotency_key=key
    )
    return data(getattr(svc.app.waitlist, action)(cmd, actor=who))


@router.post(
    "/waitlist/{entry_id}/accept",
    summary="Accept an offered seat",
    response_model=out(BookingReceipt),
)
def accept_offer(entry_id: UUID, who: Booker, key: IdempotencyKey, svc: Svc) -> Json:
    """Within the offer window: a booking (source ``waitlist``)."""
    return _respond("accept", entry_id, who, key, svc)


@router.post(
    "/waitlist/{entry_id}/decline",
    summary="Decline an offered seat",
    response_model=out(WaitlistReceipt),
)
def decline_offer(entry_id: UUID, who: Booker, key: IdempotencyKey, svc: Svc) -> Json:
    return _respond("decline", entry_id, who, key, svc)


@router.post(
    "/waitlist/{entry_id}/leave", summary="Leave the waitlist", response_model=out(WaitlistReceipt)
)
def leave_waitlist(entry_id: UUID, who: Booker, key: IdempotencyKey, svc: Svc) -> Json:
    cmd = LeaveWaitlist(
        tenant_id=who.tenant_id, entry_id=WaitlistEntryId(entry_id), idempotency_key=key
    )
    return data(svc.app.waitlist.leave(cmd, actor=who))


# -- credits ---------------------------------------------------------------------------


def _balance(who: Actor, svc: Services, day: date | None) -> BalanceView:
    today = day or svc.app.clock.now().date()
    view = svc.app.ledger.balance_for(who.tenant_id, user_of(who), today, actor=who)
    if view is None:
        raise NotFound("balance", today)
    return view


@router.get(
    "/credits/balance",
    summary="Credits available, used, refunded in a period",
    response_model=BalanceOut,
)
def balance(
    who: CreditsReader,
    svc: Svc,
    day: Annotated[date | None, Query(description="A day of the period (today)")] = None,
) -> Json:
    return data(_balance(who, svc, day))


@router.get(
    "/credits/ledger",
    summary="The period's ledger entries, oldest first",
    response_model=page_of(LedgerEntry),
)
def ledger(
    who: CreditsReader,
    svc: Svc,
    paging: Paging,
    day: Annotated[date | None, Query(description="A day of the period (today)")] = None,
) -> Json:
    return page(_balance(who, svc, day).entries, paging)


# -- suggestions, feedback and reviews -------------------------------------------------


@router.get(
    "/suggestions",
    summary="The month's suggestions for the parent's children",
    response_model=page_of(SuggestionRecord),
)
def suggestions(
    who: Reader,
    svc: Svc,
    paging: Paging,
    month: Annotated[date | None, Query(description="A day of the month (today)")] = None,
) -> Json:
    day = month or svc.app.clock.now().date()
    return page(svc.curation.for_parent(who.tenant_id, user_of(who), day, actor=who), paging)


@router.post(
    "/suggestions/{suggestion_id}/accept",
    summary="Book a suggestion",
    response_model=out(SuggestionRecord),
)
def accept_suggestion(suggestion_id: UUID, who: Booker, key: IdempotencyKey, svc: Svc) -> Json:
    record = svc.curation.accept(
        who.tenant_id, user_of(who), suggestion_id, idempotency_key=key, actor=who
    )
    return data(record)


class RejectBody(BaseModel):
    reason: str


@router.post(
    "/suggestions/{suggestion_id}/reject",
    summary="Turn a suggestion down",
    response_model=out(SuggestionRecord),
)
def reject_suggestion(
    suggestion_id: UUID, body: RejectBody, who: Booker, key: IdempotencyKey, svc: Svc
) -> Json:
    """Answering twice is refused (a suggestion closes once answered)."""
    return data(
        svc.curation.reject(
            who.tenant_id, user_of(who), suggestion_id, reason=body.reason, actor=who
        )
    )


class ReviewBody(BaseModel):
    rating: int = Field(description="1 to 5 stars")
    would_book_again: bool | None = None
    would_recommend_venue: bool | None = None
    text: str | None = None


@router.post(
    "/bookings/{booking_id}/review",
    status_code=201,
    summary="Review a booking",
    response_model=out(Review),
)
def review(
    booking_id: UUID, body: ReviewBody, who: Reviewer, key: IdempotencyKey, svc: Svc
) -> Json:
    """One per completed booking, by its parent (a second one is refused)."""
    return data(
        svc.feedback.review(
            who.tenant_id, user_of(who), BookingId(booking_id), **body.model_dump(), actor=who
        )
    )


class FeedbackBody(BaseModel):
    positive: bool
    tags: list[str] = []
    comment: str | None = None


@router.post(
    "/bookings/{booking_id}/feedback",
    status_code=201,
    summary="Thumbs up or down",
    response_model=out(QuickFeedback),
)
def quick_feedback(
    booking_id: UUID, body: FeedbackBody, who: Reviewer, key: IdempotencyKey, svc: Svc
) -> Json:
    """One per completed booking; it moves the child's preferences."""
    return data(
        svc.feedback.quick_feedback(
            who.tenant_id,
            user_of(who),
            BookingId(booking_id),
            positive=body.positive,
            tags=tuple(body.tags),
            comment=body.comment,
            actor=who,
        )
    )


# -- notifications and the dashboard ---------------------------------------------------


@router.get(
    "/notifications",
    summary="The in-app inbox, newest first",
    response_model=page_of(Notification),
)
def inbox(
    who: Who,
    svc: Svc,
    paging: Paging,
    unread_only: bool = False,
) -> Json:
    return page(
        svc.notifications.inbox(who.tenant_id, user_of(who), unread_only=unread_only, actor=who),
        paging,
    )


@router.post(
    "/notifications/{notification_id}/read",
    summary="Mark a notification read",
    response_model=out(Notification),
)
def mark_read(notification_id: UUID, who: Who, key: IdempotencyKey, svc: Svc) -> Json:
    cmd = MarkRead(
        tenant_id=who.tenant_id,
        user_id=user_of(who),
        notification_id=NotificationId(notification_id),
        idempotency_key=key,
    )
    return data(svc.notifications.mark_read(cmd, actor=who))


@router.get(
    "/dashboard",
    summary="The parent's home screen, in one read",
    response_model=out(ParentDashboard),
)
def dashboard(who: Who, svc: Svc) -> Json:
    """Credits available and used, days left in the period, children, upcoming bookings,
    pending suggestions and unread notifications (``ParentDashboardQuery``)."""
    return data(svc.dashboard.for_parent(user_of(who), actor=who))
