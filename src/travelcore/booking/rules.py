"""The booking and waitlist rules, applied inside one unit of work.

:class:`Txn` caches the sessions and balances a use case touches (each is loaded once
and saved once), so a seat, its credits and the waitlist change commit together. The
functions below are shared by :class:`~travelcore.booking.service.BookingService` and
:class:`~travelcore.booking.service.WaitlistService`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from travelcore.booking.model import (
    Booking,
    BookingId,
    BookingSource,
    BookingStatus,
    CancellationReason,
    GroupBookingId,
)
from travelcore.booking.ports import BookingUnitOfWork
from travelcore.booking.waitlist import EntryStatus, RemovalReason, WaitlistEntry, WaitlistEntryId
from travelcore.catalog import Activity, Session, SessionId
from travelcore.kernel import (
    AccessDenied,
    Conflict,
    InsufficientCredits,
    InvalidTransition,
    Policy,
    RuleViolation,
    UserId,
    ValidationFailed,
)
from travelcore.ledger import BalanceId, CreditBalance
from travelcore.ledger.model import refundable_for
from travelcore.ledger.service import current_balance, find_current
from travelcore.people import Child, ChildId

CodeFactory = Callable[[], str]


class AgeNotEligible(RuleViolation):
    code = "age_not_eligible"


class AlreadyBooked(Conflict):
    code = "already_booked"


class AlreadyOnWaitlist(Conflict):
    code = "already_on_waitlist"


class SeatsAvailable(RuleViolation):
    """The session has free seats: book instead of joining the waitlist."""

    code = "seats_available"


class OfferExpired(RuleViolation):
    code = "offer_expired"


class ActivityUnavailable(RuleViolation):
    code = "activity_unavailable"


class Txn:
    """One use case's view of a unit of work: ``now``, the tenant's policy and the
    sessions and balances loaded so far."""

    def __init__(
        self,
        uow: BookingUnitOfWork,
        now: datetime,
        policy: Policy,
        actor: str | None,
        code_factory: CodeFactory,
    ) -> None:
        self.uow = uow
        self.now = now
        self.policy = policy
        self.actor = actor
        self.code_factory = code_factory
        self._drawn: list[str] = []
        self._sessions: dict[SessionId, Session] = {}
        self._balances: dict[BalanceId, CreditBalance] = {}

    def draw_codes(self, count: int) -> list[str]:
        """Draw the next ``count`` confirmation codes now (so storage can check them
        ahead); :meth:`next_code` hands them out first."""
        drawn = [self.code_factory() for _ in range(count)]
        self._drawn += drawn
        return drawn

    def next_code(self) -> str:
        return self._drawn.pop(0) if self._drawn else self.code_factory()

    def session(self, session_id: SessionId) -> Session:
        if session_id not in self._sessions:
            session = self.uow.sessions.get(session_id)
            self._sessions[session_id] = session
        return self._sessions[session_id]

    def balance(self, balance_id: BalanceId) -> CreditBalance:
        if balance_id not in self._balances:
            balance = self.uow.credits.get(balance_id)
            self._balances[balance_id] = balance
        return self._balances[balance_id]

    def current_balance(self, user_id: UserId) -> CreditBalance:
        """The user's balance for the billing period of their today (in their corporate's
        zone)."""
        found = find_current(self.uow, user_id, self.now)
        if found is None:
            raise InsufficientCredits("no credits for the current period", available=0)
        return self.balance(found.id)

    def read_balance(self, balance_id: BalanceId) -> CreditBalance:
        """A balance to read only: the one this use case changes, or as stored."""
        return self._balances.get(balance_id) or self.uow.credits.get(balance_id)

    def late_refund_balance(self, earlier: CreditBalance) -> CreditBalance:
        """The balance of the user's current period, which takes refunds of bookings whose
        debit's period has closed; opened (and stored) if the user has none yet."""
        balance, is_new = current_balance(self.uow, earlier, self.now)
        if is_new:
            self.uow.credits.add(balance)
        return self.balance(balance.id)

    def add_booking(self, booking: Booking) -> None:
        self.uow.bookings.add(booking)

    def save_booking(self, booking: Booking) -> None:
        self.uow.bookings.save(booking)

    def save_entry(self, entry: WaitlistEntry) -> None:
        self.uow.waitlist.save(entry)

    def flush(self) -> None:
        """Save every session and balance touched (each once, version-checked)."""
        for session in self._sessions.values():
            self.uow.sessions.save(session)
        for balance in self._balances.values():
            self.uow.credits.save(balance)


# -- eligibility ---------------------------------------------------------------------------


def bookable_activity(txn: Txn, session: Session) -> Activity:
    """Refuse unless the session is open and its activity and venue can be booked."""
    session.require_open(txn.now)
    activity = txn.uow.activities.get(session.activity_id)
    if not (activity.is_active and activity.is_published):
        raise ActivityUnavailable("the activity is not available", activity_id=str(activity.id))
    txn.uow.venues.get(session.venue_id).require_bookable(session.session_date)
    return activity


def eligible_child(
    txn: Txn, session: Session, activity: Activity, child_id: ChildId, parent_id: UserId
) -> Child:
    """The child, if it is the parent's, of age on the session date, and not yet booked."""
    child = txn.uow.children.get(child_id)
    if child.parent_id != parent_id or not child.is_active:
        raise AccessDenied("the child is not the parent's", child_id=str(child_id))
    age = child.age_on(session.session_date)
    if not activity.accepts_age(age):
        raise AgeNotEligible(
            f"age {age} is outside {activity.min_age}-{activity.max_age}",
            child_id=str(child_id),
            age=age,
        )
    if txn.uow.bookings.active_for_child(session.id, child_id) is not None:
        raise AlreadyBooked("the child is already booked on this session", child_id=str(child_id))
    return child


def hold_timeout(txn: Txn, session: Session) -> timedelta:
    """A pending booking's credits stay held until ``credit_hold_timeout`` after the session
    ends, so the venue can confirm it any time before."""
    return session.ends_at + txn.policy.credit_hold_timeout - txn.now


def unique_code(txn: Txn, taken: Sequence[str] = ()) -> str:
    """A confirmation code no booking has, nor one of ``taken``."""
    for _ in range(20):
        code = txn.next_code()
        if code not in taken and txn.uow.bookings.find_by_code(code) is None:
            return code
    raise Conflict("could not find a free confirmation code")


# -- booking -------------------------------------------------------------------------------

MAX_GROUP_SIZE = 10
"""The most children one group booking seats."""


def check_children(child_ids: Sequence[ChildId]) -> None:
    """One to :data:`MAX_GROUP_SIZE` distinct children."""
    if not child_ids:
        raise ValidationFailed("child_ids", "non_empty")
    if len(child_ids) > MAX_GROUP_SIZE:
        raise ValidationFailed("child_ids", f"max_{MAX_GROUP_SIZE}_children")
    if len(set(child_ids)) != len(child_ids):
        raise ValidationFailed("child_ids", "distinct")


def prefetch_booking(
    txn: Txn, session_id: SessionId, child_ids: Sequence[ChildId], parent_id: UserId
) -> None:
    """Tell storage what :func:`book` is about to read (with the confirmation codes it
    will try first)."""
    check_children(child_ids)
    codes = txn.draw_codes(len(child_ids))
    txn.uow.prefetch_booking(session_id, child_ids, parent_id, txn.now.date(), codes)


def book(
    txn: Txn,
    session_id: SessionId,
    child_ids: Sequence[ChildId],
    parent_id: UserId,
    *,
    source: BookingSource,
    original_booking_id: BookingId | None = None,
    group_booking_id: GroupBookingId | None = None,
) -> list[Booking]:
    """Seats and credit holds for every child, or nothing (the caller's unit of work
    rolls back on any error)."""
    check_children(child_ids)
    session = txn.session(session_id)
    promote(txn, session)
    activity = bookable_activity(txn, session)
    for child_id in child_ids:
        eligible_child(txn, session, activity, child_id, parent_id)
        entry = txn.uow.waitlist.find(session.id, child_id)
        if entry is not None and entry.is_active:
            raise AlreadyOnWaitlist(
                "the child is on this session's waitlist", child_id=str(child_id)
            )
    session.reserve(len(child_ids))
    balance = txn.current_balance(parent_id)
    total = activity.credits_required * len(child_ids)
    if total > balance.available:
        raise InsufficientCredits(
            f"{total} credits needed, {balance.available} available",
            requested=total,
            available=balance.available,
        )
    codes: list[str] = []
    for _ in child_ids:  # every read before the first write, so a read-ahead answers them
        codes.append(unique_code(txn, codes))
    return [
        _place(
            txn,
            session,
            activity,
            child_id,
            parent_id,
            balance,
            code,
            source=source,
            original_booking_id=original_booking_id,
            group_booking_id=group_booking_id,
        )
        for child_id, code in zip(child_ids, codes, strict=True)
    ]


def _place(
    txn: Txn,
    session: Session,
    activity: Activity,
    child_id: ChildId,
    parent_id: UserId,
    balance: CreditBalance,
    code: str,
    *,
    source: BookingSource,
    original_booking_id: BookingId | None = None,
    group_booking_id: GroupBookingId | None = None,
    waitlist_entry: WaitlistEntry | None = None,
) -> Booking:
    booking_id = Booking.new_id()
    hold = balance.place_hold(
        booking_id, activity.credits_required, txn.now, hold_timeout(txn, session)
    )
    booking = Booking.place(
        txn.uow.tenant_id,
        booking_id=booking_id,
        session_id=session.id,
        child_id=child_id,
        parent_id=parent_id,
        credits=activity.credits_required,
        confirmation_code=code,
        balance_id=balance.id,
        hold_id=hold.id,
        at=txn.now,
        source=source,
        group_booking_id=group_booking_id,
        original_booking_id=original_booking_id,
        waitlist_entry_id=waitlist_entry.id if waitlist_entry else None,
        actor=txn.actor,
    )
    txn.add_booking(booking)
    return booking


def confirm(txn: Txn, booking: Booking) -> None:
    """Confirm a pending booking: its credit hold becomes the ``booking_debit``."""
    booking.require(BookingStatus.CONFIRMED)
    if booking.hold_id is not None:
        txn.balance(booking.balance_id).capture_hold(booking.hold_id, txn.now)
    booking.confirm(txn.now, actor=txn.actor)
    txn.save_booking(booking)


def refund_eligible(txn: Txn, session: Session) -> bool:
    """A parent's cancellation is refunded iff made at least the cancellation window
    (48 h) before the session starts, measured between UTC instants."""
    return session.starts_at - txn.now >= txn.policy.cancellation_window


def cancel(
    txn: Txn,
    booking: Booking,
    target: BookingStatus,
    reason: CancellationReason,
    notes: str | None = None,
    *,
    offer_freed_seat: bool = True,
) -> tuple[int, int]:
    """Cancel by parent or venue; returns (credits refunded, credits forfeited)."""
    booking.require(target)
    session = txn.session(booking.session_id)
    by_venue = target is BookingStatus.CANCELLED_VENUE
    eligible = by_venue or refund_eligible(txn, session)
    was_pending = booking.status is BookingStatus.PENDING
    balance = txn.balance(booking.balance_id)
    refunded = forfeited = 0
    if was_pending and booking.hold_id is not None:
        if eligible:
            balance.void_hold(booking.hold_id, txn.now)
        else:
            balance.capture_hold(booking.hold_id, txn.now)
    if eligible and not was_pending:
        refunded = _refund_rest(txn, booking, balance, reason.value)
    elif not eligible:
        forfeited = _forfeit(txn, booking, balance, "late_cancellation")
    booking.cancel(
        target, txn.now, refund_eligible=eligible, reason=reason, notes=notes, actor=txn.actor
    )
    txn.save_booking(booking)
    session.release(1)
    if offer_freed_seat:
        promote(txn, session)
    return refunded, forfeited


def _refund_rest(txn: Txn, booking: Booking, balance: CreditBalance, reason: str) -> int:
    """Refund what is left of the booking's debit. Once the debit's period has closed (a
    venue cancels late), the credits go to the parent's current period, capped by what the
    booking debited across periods."""
    target = balance if balance.accepts(txn.now) else txn.late_refund_balance(balance)
    history = [
        txn.read_balance(i) for i in txn.uow.credits.for_booking(booking.id) if i != target.id
    ]
    left = refundable_for(booking.id, [target, *history])
    if left <= 0:
        return 0
    target.refund(booking.id, txn.now, actor=txn.actor, reason=reason, history=history)
    booking.credits_returned(left, txn.now, partial=False, actor=txn.actor, reason=reason)
    return left


def _forfeit(txn: Txn, booking: Booking, balance: CreditBalance, reason: str) -> int:
    """Keep what is left of the booking's debit; returns how much."""
    left = balance.net_debit_for(booking.id)
    if left > 0:
        balance.forfeit(booking.id, txn.now, actor=txn.actor, reason=reason)
    return left


def partial_refund(txn: Txn, booking: Booking, credits: int, reason: str) -> None:
    """Give back part of a debited booking's credits (the venue changed the activity)."""
    if booking.status not in (BookingStatus.CONFIRMED, BookingStatus.COMPLETED):
        raise RuleViolation(
            "only a debited booking is partially refunded", status=booking.status.value
        )
    balance = txn.balance(booking.balance_id)
    balance.refund(
        booking.id, txn.now, credits=credits, partial=True, actor=txn.actor, reason=reason
    )
    booking.credits_returned(credits, txn.now, partial=True, actor=txn.actor, reason=reason)
    txn.save_booking(booking)


def mark_attendance(txn: Txn, booking: Booking, attended: bool) -> None:
    """Completed or no-show, once the session has started; a no-show forfeits."""
    booking.require(BookingStatus.COMPLETED if attended else BookingStatus.NO_SHOW)
    session = txn.session(booking.session_id)
    if not session.has_started(txn.now):
        raise RuleViolation(
            "attendance is marked once the session has started", session_id=str(session.id)
        )
    if not attended:
        _forfeit(txn, booking, txn.balance(booking.balance_id), "no_show")
    booking.mark_attendance(attended, txn.now, actor=txn.actor)
    txn.save_booking(booking)


def cancel_session(txn: Txn, session: Session, reason: str) -> tuple[list[Booking], int]:
    """Cancel the session, every live booking on it (full refunds) and its waitlist."""
    session.cancel(txn.now, reason=reason, actor=txn.actor)
    cancelled, refunded = [], 0
    for booking in txn.uow.bookings.for_session(session.id):
        if booking.status in (BookingStatus.PENDING, BookingStatus.CONFIRMED):
            credits, _ = cancel(
                txn,
                booking,
                BookingStatus.CANCELLED_VENUE,
                CancellationReason.VENUE_CANCELLED,
                reason,
                offer_freed_seat=False,
            )
            cancelled.append(booking)
            refunded += credits
    for entry in txn.uow.waitlist.for_session(session.id):
        if entry.is_active:
            if entry.status is EntryStatus.OFFERED:
                session.release_offer()
            entry.remove(RemovalReason.SESSION_CANCELLED, txn.now, actor=txn.actor)
            txn.save_entry(entry)
    return cancelled, refunded


def complete_session(txn: Txn, session: Session) -> list[Booking]:
    """Mark the session completed and every confirmed booking on it attended."""
    session.complete(txn.now, actor=txn.actor)
    completed = []
    for booking in txn.uow.bookings.for_session(session.id):
        if booking.status is BookingStatus.CONFIRMED:
            booking.mark_attendance(True, txn.now, actor=txn.actor)
            txn.save_booking(booking)
            completed.append(booking)
    return completed


# -- waitlist ------------------------------------------------------------------------------


def promote(txn: Txn, session: Session) -> tuple[list[WaitlistEntry], list[WaitlistEntry]]:
    """Expire stale offers, then offer free seats to waiting entries in FIFO order (only
    before the session starts). Returns (expired, offered)."""
    if session.is_cancelled:
        return [], []
    entries = txn.uow.waitlist.for_session(session.id)
    expired: list[WaitlistEntry] = []
    offered: list[WaitlistEntry] = []
    for entry in entries:
        if entry.offer_expired(txn.now):
            entry.remove(RemovalReason.SPOT_EXPIRED, txn.now)
            session.release_offer()
            txn.save_entry(entry)
            expired.append(entry)
    if session.is_completed or session.has_started(txn.now):
        return expired, offered
    for entry in entries:
        if session.free_seats <= 0:
            break
        if entry.status is EntryStatus.WAITING:
            session.hold_for_offer()
            entry.offer(txn.now, txn.now + txn.policy.waitlist_offer_window)
            txn.save_entry(entry)
            offered.append(entry)
    return expired, offered


def join_waitlist(
    txn: Txn, session_id: SessionId, child_id: ChildId, parent_id: UserId
) -> WaitlistEntry:
    """Queue a child for a full session (once per session)."""
    session = txn.session(session_id)
    promote(txn, session)
    activity = bookable_activity(txn, session)
    eligible_child(txn, session, activity, child_id, parent_id)
    if txn.uow.waitlist.find(session.id, child_id) is not None:
        raise AlreadyOnWaitlist(
            "the child already has a waitlist entry for this session", child_id=str(child_id)
        )
    if session.free_seats > 0:
        raise SeatsAvailable("the session has free seats", free=session.free_seats)
    entries = txn.uow.waitlist.for_session(session.id)
    position = max((e.position for e in entries), default=0) + 1
    entry = WaitlistEntry.join(
        txn.uow.tenant_id,
        session_id=session.id,
        child_id=child_id,
        user_id=parent_id,
        position=position,
        at=txn.now,
    )
    txn.uow.waitlist.add(entry)
    return entry


def live_offer(txn: Txn, entry_id: WaitlistEntryId, target: str) -> WaitlistEntry:
    """The entry with its outstanding offer, after sweeping its session: ``OfferExpired``
    if the offer lapsed (the sweep stays valid), ``InvalidTransition`` if there is none."""
    session = txn.session(txn.uow.waitlist.get(entry_id).session_id)
    expired, _ = promote(txn, session)
    if any(e.id == entry_id for e in expired):
        raise OfferExpired("the offer has expired", entry_id=str(entry_id))
    entry = txn.uow.waitlist.get(entry_id)
    if entry.status is not EntryStatus.OFFERED:
        raise InvalidTransition("waitlist_entry", entry.status.value, target)
    return entry


def accept_offer(txn: Txn, entry: WaitlistEntry) -> Booking:
    """Turn the held seat into a pending booking (source ``waitlist``)."""
    session = txn.session(entry.session_id)
    activity = bookable_activity(txn, session)
    eligible_child(txn, session, activity, entry.child_id, entry.user_id)
    balance = txn.current_balance(entry.user_id)
    session.release_offer(to_booking=True)
    booking = _place(
        txn,
        session,
        activity,
        entry.child_id,
        entry.user_id,
        balance,
        unique_code(txn),
        source=BookingSource.WAITLIST,
        waitlist_entry=entry,
    )
    entry.remove(RemovalReason.SPOT_ACCEPTED, txn.now, booking_id=booking.id, actor=txn.actor)
    txn.save_entry(entry)
    return booking


def leave_waitlist(txn: Txn, entry: WaitlistEntry, reason: RemovalReason) -> None:
    """Decline an offer (``spot_declined``) or leave the list (``user_removed``); a held
    seat goes to the next entry at once."""
    session = txn.session(entry.session_id)
    offered = entry.status is EntryStatus.OFFERED
    entry.remove(reason, txn.now, actor=txn.actor)
    txn.save_entry(entry)
    if offered:
        session.release_offer()
        promote(txn, session)
