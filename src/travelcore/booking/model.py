"""Bookings: one child's seat on one session, paid in credits.

States (DOMAIN.md section 4)::

    pending -> confirmed -> completed
    pending | confirmed -> cancelled_parent | cancelled_venue
    confirmed -> no_show

Anything else raises ``InvalidTransition``; completed, cancelled and no-show are final.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum
from typing import NewType
from uuid import UUID

import attrs

from travelcore.catalog.model import SessionId
from travelcore.kernel import (
    Aggregate,
    DomainEvent,
    InvalidTransition,
    TenantId,
    UserId,
    new_uuid,
    positive_credits,
)
from travelcore.ledger import BalanceId, HoldId
from travelcore.people.model import ChildId

BookingId = NewType("BookingId", UUID)
GroupBookingId = NewType("GroupBookingId", UUID)


class BookingStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    COMPLETED = "completed"
    CANCELLED_PARENT = "cancelled_parent"
    CANCELLED_VENUE = "cancelled_venue"
    NO_SHOW = "no_show"


TRANSITIONS: dict[BookingStatus, frozenset[BookingStatus]] = {
    BookingStatus.PENDING: frozenset(
        {BookingStatus.CONFIRMED, BookingStatus.CANCELLED_PARENT, BookingStatus.CANCELLED_VENUE}
    ),
    BookingStatus.CONFIRMED: frozenset(
        {
            BookingStatus.COMPLETED,
            BookingStatus.CANCELLED_PARENT,
            BookingStatus.CANCELLED_VENUE,
            BookingStatus.NO_SHOW,
        }
    ),
    BookingStatus.COMPLETED: frozenset(),
    BookingStatus.CANCELLED_PARENT: frozenset(),
    BookingStatus.CANCELLED_VENUE: frozenset(),
    BookingStatus.NO_SHOW: frozenset(),
}

#: Bookings that still expect the child to come.
ACTIVE_STATUSES = frozenset({BookingStatus.PENDING, BookingStatus.CONFIRMED})
#: Bookings whose seat stays taken.
SEATED_STATUSES = frozenset(
    {BookingStatus.PENDING, BookingStatus.CONFIRMED, BookingStatus.COMPLETED, BookingStatus.NO_SHOW}
)


class BookingSource(StrEnum):
    BROWSE = "browse"
    SUGGESTION = "suggestion"
    SEARCH = "search"
    WAITLIST = "waitlist"
    REBOOK = "rebook"


class CancellationReason(StrEnum):
    SCHEDULE_CONFLICT = "schedule_conflict"
    CHILD_SICK = "child_sick"
    FOUND_BETTER_OPTION = "found_better_option"
    VENUE_CANCELLED = "venue_cancelled"
    WEATHER = "weather"
    TRANSPORTATION = "transportation"
    OTHER = "other"


#: Unambiguous characters for confirmation codes (no 0/O, 1/I/L).
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_CODES = len(CODE_ALPHABET) ** 8


def new_confirmation_code() -> str:
    """``TC-XXXX-XXXX`` from :data:`CODE_ALPHABET` (about 8.5e11 codes)."""
    value = secrets.randbelow(_CODES)
    chars = []
    for _ in range(8):
        value, digit = divmod(value, len(CODE_ALPHABET))
        chars.append(CODE_ALPHABET[digit])
    return f"TC-{''.join(chars[:4])}-{''.join(chars[4:])}"


@attrs.frozen(kw_only=True)
class BookingStatusChanged(DomainEvent):
    """Every booking state change, the creation (``from_status=None``) included."""

    booking_id: BookingId
    session_id: SessionId
    child_id: ChildId
    parent_id: UserId
    from_status: BookingStatus | None
    to_status: BookingStatus
    credits: int


@attrs.frozen(kw_only=True)
class BookingCreditsReturned(DomainEvent):
    booking_id: BookingId
    parent_id: UserId
    credits: int
    partial: bool


@attrs.define(kw_only=True)
class Booking(Aggregate):
    id: BookingId
    tenant_id: TenantId
    session_id: SessionId
    child_id: ChildId
    parent_id: UserId
    credits_charged: int
    confirmation_code: str
    balance_id: BalanceId
    hold_id: HoldId | None
    created_at: datetime
    status: BookingStatus = BookingStatus.PENDING
    source: BookingSource = BookingSource.BROWSE
    group_booking_id: GroupBookingId | None = None
    original_booking_id: BookingId | None = None
    waitlist_entry_id: UUID | None = None
    confirmed_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancellation_reason: CancellationReason | None = None
    cancellation_notes: str | None = None
    refund_eligible: bool | None = None
    credits_refunded: int = 0
    attendance_marked: bool = False
    attendance_marked_at: datetime | None = None
    attendance_marked_by: str | None = None
    completed_at: datetime | None = None
    version: int = 1

    @classmethod
    def place(
        cls,
        tenant_id: TenantId,
        *,
        booking_id: BookingId,
        session_id: SessionId,
        child_id: ChildId,
        parent_id: UserId,
        credits: int,
        confirmation_code: str,
        balance_id: BalanceId,
        hold_id: HoldId,
        at: datetime,
        source: BookingSource = BookingSource.BROWSE,
        group_booking_id: GroupBookingId | None = None,
        original_booking_id: BookingId | None = None,
        waitlist_entry_id: UUID | None = None,
        actor: str | None = None,
    ) -> Booking:
        booking = cls(
            id=booking_id,
            tenant_id=tenant_id,
            session_id=session_id,
            child_id=child_id,
            parent_id=parent_id,
            credits_charged=positive_credits(credits, "credits_charged"),
            confirmation_code=confirmation_code,
            balance_id=balance_id,
            hold_id=hold_id,
            created_at=at,
            source=BookingSource(source),
            group_booking_id=group_booking_id,
            original_booking_id=original_booking_id,
            waitlist_entry_id=waitlist_entry_id,
        )
        booking._changed(None, at, actor, None)
        return booking

    @staticmethod
    def new_id() -> BookingId:
        return BookingId(new_uuid())

    @property
    def is_final(self) -> bool:
        return not TRANSITIONS[self.status]

    def can_move_to(self, target: BookingStatus) -> bool:
        return target in TRANSITIONS[self.status]

    def require(self, target: BookingStatus) -> None:
        if not self.can_move_to(target):
            raise InvalidTransition("booking", self.status.value, target.value)

    def confirm(self, at: datetime, *, actor: str | None = None) -> None:
        self._move(BookingStatus.CONFIRMED, at, actor, None)
        self.confirmed_at = at

    def cancel(
        self,
        target: BookingStatus,
        at: datetime,
        *,
        refund_eligible: bool,
        reason: CancellationReason,
        notes: str | None = None,
        actor: str | None = None,
    ) -> None:
        if target not in (BookingStatus.CANCELLED_PARENT, BookingStatus.CANCELLED_VENUE):
            raise InvalidTransition("booking", self.status.value, target.value)
        self._move(target, at, actor, reason.value)
        self.cancelled_at = at
        self.cancellation_reason = reason
        self.cancellation_notes = notes
        self.refund_eligible = refund_eligible

    def mark_attendance(self, attended: bool, at: datetime, *, actor: str | None = None) -> None:
        """Completed if the child came, no-show otherwise."""
        target = BookingStatus.COMPLETED if attended else BookingStatus.NO_SHOW
        self._move(target, at, actor, None)
        self.attendance_marked = True
        self.attendance_marked_at = at
        self.attendance_marked_by = actor
        if attended:
            self.completed_at = at

    def credits_returned(
        self, credits: int, at: datetime, *, partial: bool, actor: str | None, reason: str | None
    ) -> None:
        self.credits_refunded += credits
        self.record(
            BookingCreditsReturned(
                tenant_id=self.tenant_id,
                occurred_at=at,
                actor=actor,
                reason=reason,
                booking_id=self.id,
                parent_id=self.parent_id,
                credits=credits,
                partial=partial,
            )
        )

    def _move(
        self, target: BookingStatus, at: datetime, actor: str | None, reason: str | None
    ) -> None:
        self.require(target)
        previous, self.status = self.status, target
        self._changed(previous, at, actor, reason)

    def _changed(
        self, previous: BookingStatus | None, at: datetime, actor: str | None, reason: str | None
    ) -> None:
        self.record(
            BookingStatusChanged(
                tenant_id=self.tenant_id,
                occurred_at=at,
                actor=actor,
                reason=reason,
                booking_id=self.id,
                session_id=self.session_id,
                child_id=self.child_id,
                parent_id=self.parent_id,
                from_status=previous,
                to_status=self.status,
                credits=self.credits_charged,
            )
        )
