"""Booking and waitlist use cases.

Each command carries an ``idempotency_key`` and runs in one unit of work through
``run_idempotent``: seats, credit holds or debits, refunds, waitlist changes and the
stored result commit together, or nothing does. A unit of work that loses an optimistic
race (``StaleVersion``) is retried from the start.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

import attrs

from travelcore.booking import access, rules
from travelcore.booking.model import (
    Booking,
    BookingId,
    BookingSource,
    BookingStatus,
    CancellationReason,
    GroupBookingId,
    new_confirmation_code,
)
from travelcore.booking.ports import BookingUnitOfWork
from travelcore.booking.waitlist import (
    EntryStatus,
    RemovalReason,
    WaitlistEntry,
    WaitlistEntryId,
)
from travelcore.catalog import ActivityId, SessionId, VenueId
from travelcore.kernel import (
    Actor,
    Clock,
    PolicyProvider,
    StaticPolicies,
    TenantId,
    UserId,
    ValidationFailed,
    checked_clock,
    new_uuid,
    require_tenant,
    run_use_case,
)
from travelcore.kernel import validation as v
from travelcore.people import ChildId

R = TypeVar("R")
UowFactory = Callable[[TenantId], BookingUnitOfWork]
ATTEMPTS = 5


# -- commands ------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class BookSession:
    tenant_id: TenantId
    session_id: SessionId
    child_id: ChildId
    parent_id: UserId
    source: BookingSource = BookingSource.BROWSE
    idempotency_key: str


@attrs.frozen(kw_only=True)
class BookGroup:
    """Siblings on one session: every seat and every credit hold, or nothing."""

    tenant_id: TenantId
    session_id: SessionId
    child_ids: tuple[ChildId, ...]
    parent_id: UserId
    source: BookingSource = BookingSource.BROWSE
    idempotency_key: str


@attrs.frozen(kw_only=True)
class BookAgain:
    """Book the original booking's child on another session (source ``rebook``)."""

    tenant_id: TenantId
    original_booking_id: BookingId
    session_id: SessionId
    idempotency_key: str


@attrs.frozen(kw_only=True)
class ConfirmBooking:
    tenant_id: TenantId
    booking_id: BookingId
    idempotency_key: str


@attrs.frozen(kw_only=True)
class CancelBooking:
    """``by_venue`` cancels as the venue (always a full refund)."""

    tenant_id: TenantId
    booking_id: BookingId
    reason: CancellationReason
    by_venue: bool = False
    notes: str | None = None
    idempotency_key: str


@attrs.frozen(kw_only=True)
class CancelSession:
    tenant_id: TenantId
    session_id: SessionId
    reason: str
    idempotency_key: str


@attrs.frozen(kw_only=True)
class MarkAttendance:
    tenant_id: TenantId
    booking_id: BookingId
    attended: bool
    idempotency_key: str


@attrs.frozen(kw_only=True)
class CompleteSession:
    tenant_id: TenantId
    session_id: SessionId
    idempotency_key: str


@attrs.frozen(kw_only=True)
class GrantPartialRefund:
    """The venue changed the activity: give back ``credits`` (capped by the debit)."""

    tenant_id: TenantId
    booking_id: BookingId
    credits: int
    reason: str
    idempotency_key: str


@attrs.frozen(kw_only=True)
class CompensateActivityChange:
    """The venue changed an activity: every confirmed booking on its sessions that have not
    started gets up to ``credits`` back (never more than what is left of its debit)."""

    tenant_id: TenantId
    activity_id: ActivityId
    credits: int
    reason: str
    idempotency_key: str


@attrs.frozen(kw_only=True)
class JoinWaitlist:
    tenant_id: TenantId
    session_id: SessionId
    child_id: ChildId
    parent_id: UserId
    idempotency_key: str


@attrs.frozen(kw_only=True)
class RespondToOffer:
    tenant_id: TenantId
    entry_id: WaitlistEntryId
    idempotency_key: str


@attrs.frozen(kw_only=True)
class LeaveWaitlist:
    tenant_id: TenantId
    entry_id: WaitlistEntryId
    idempotency_key: str


@attrs.frozen(kw_only=True)
class PromoteWaitlist:
    tenant_id: TenantId
    session_id: SessionId
    idempotency_key: str


# -- results -------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class BookingReceipt:
    booking_id: BookingId
    session_id: SessionId
    child_id: ChildId
    confirmation_code: str
    status: BookingStatus
    credits_charged: int
    group_booking_id: GroupBookingId | None = None

    @classmethod
    def of(cls, booking: Booking) -> BookingReceipt:
        return cls(
            booking_id=booking.id,
            session_id=booking.session_id,
            child_id=booking.child_id,
            confirmation_code=booking.confirmation_code,
            status=booking.status,
            credits_charged=booking.credits_charged,
            group_booking_id=booking.group_booking_id,
        )


@attrs.frozen(kw_only=True)
class GroupReceipt:
    group_booking_id: GroupBookingId
    bookings: tuple[BookingReceipt, ...]


@attrs.frozen(kw_only=True)
class CancellationReceipt:
    booking_id: BookingId
    status: BookingStatus
    refund_eligible: bool
    credits_refunded: int
    credits_forfeited: int


@attrs.frozen(kw_only=True)
class SessionCancellationReceipt:
    session_id: SessionId
    cancelled_bookings: tuple[BookingId, ...]
    credits_refunded: int


@attrs.frozen(kw_only=True)
class RefundReceipt:
    booking_id: BookingId
    credits_refunded: int
    total_refunded: int


@attrs.frozen(kw_only=True)
class WaitlistReceipt:
    entry_id: WaitlistEntryId
    session_id: SessionId
    child_id: ChildId
    position: int
    status: EntryStatus
    removed_reason: RemovalReason | None = None
    offer_expires_at: datetime | None = None

    @classmethod
    def of(cls, entry: WaitlistEntry) -> WaitlistReceipt:
        return cls(
            entry_id=entry.id,
            session_id=entry.session_id,
            child_id=entry.child_id,
            position=entry.position,
            status=entry.status,
            removed_reason=entry.removed_reason,
            offer_expires_at=entry.spot_expires_at,
        )


@attrs.frozen(kw_only=True)
class PromotionReceipt:
    session_id: SessionId
    expired: tuple[WaitlistEntryId, ...]
    offered: tuple[WaitlistEntryId, ...]


# -- services ------------------------------------------------------------------------------


class _Service:
    def __init__(
        self,
        uow_factory: UowFactory,
        clock: Clock,
        *,
        policies: PolicyProvider | None = None,
        code_factory: rules.CodeFactory = new_confirmation_code,
    ) -> None:
        self._uow_factory = uow_factory
        self._clock = checked_clock(clock)
        self._policies = policies or StaticPolicies()
        self._code_factory = code_factory

    def _run(
        self,
        tenant_id: TenantId,
        cmd: object,
        key: str,
        result_type: type[R],
        action: Callable[[rules.Txn], R],
        *,
        actor: Actor,
        commit_on: tuple[type[Exception], ...] = (),
        prefetch: Callable[[rules.Txn], None] | None = None,
    ) -> R:
        """Run ``action`` through :func:`run_use_case` (idempotent, lost races rerun) with
        a :class:`rules.Txn` of the attempt's unit of work, saving what it touched.

        An error listed in ``commit_on`` still commits what was done before it (a sweep
        that expired an offer) and is then raised. ``prefetch`` tells storage what
        ``action`` will read.
        """
        txns: list[rules.Txn] = []

        def begin(uow: BookingUnitOfWork, now: datetime) -> None:
            txn = self._txn(uow, now, actor)
            txns.append(txn)
            if prefetch is not None:
                prefetch(txn)

        def step(uow: BookingUnitOfWork, now: datetime) -> R:
            txn = txns[-1]
            try:
                result = action(txn)
            except commit_on:
                txn.flush()
                raise
            txn.flush()
            return result

        return run_use_case(
            self._uow_factory,
            tenant_id,
            self._clock,
            key,
            cmd,
            result_type,
            step,
            attempts=ATTEMPTS,
            commit_on=commit_on,
            begin=begin,
            actor=actor,
        )

    def _txn(self, uow: BookingUnitOfWork, now: datetime, actor: Actor) -> rules.Txn:
        """The booking rules' view of ``uow``: the tenant's policy, the confirmation codes."""
        policy = self._policies.policy_for(uow.tenant_id)
        return rules.Txn(uow, now, policy, actor.label, self._code_factory)


class BookingService(_Service):
    """Book, confirm, cancel, refund and close out sessions."""

    def book_in(
        self,
        uow: BookingUnitOfWork,
        now: datetime,
        session_id: SessionId,
        child_ids: Sequence[ChildId],
        parent_id: UserId,
        *,
        source: BookingSource,
        actor: Actor,
    ) -> tuple[BookingReceipt, ...]:
        """Book ``child_ids`` on the session (a group booking for several) inside ``uow``:
        the unit of work of another context's use case that records its own change in the
        same transaction (accepting a suggestion). The rules and access checks of
        :meth:`book`; the caller runs it idempotently, commits, and reruns it on
        ``StaleVersion``."""
        access.as_family(actor, parent_id)
        txn = self._txn(uow, now, actor)
        group = GroupBookingId(new_uuid()) if len(child_ids) > 1 else None
        bookings = rules.book(
            txn, session_id, child_ids, parent_id, source=source, group_booking_id=group
        )
        txn.flush()
        return tuple(BookingReceipt.of(b) for b in bookings)

    def book(self, cmd: BookSession, *, actor: Actor) -> BookingReceipt:
        def action(txn: rules.Txn) -> BookingReceipt:
            access.as_family(actor, cmd.parent_id)
            [booking] = rules.book(
                txn, cmd.session_id, [cmd.child_id], cmd.parent_id, source=cmd.source
            )
            return BookingReceipt.of(booking)

        def prefetch(txn: rules.Txn) -> None:
            rules.prefetch_booking(txn, cmd.session_id, [cmd.child_id], cmd.parent_id)

        return self._run(
            cmd.tenant_id,
            cmd,
            cmd.idempotency_key,
            BookingReceipt,
            action,
            prefetch=prefetch,
            actor=actor,
        )

    def book_group(self, cmd: BookGroup, *, actor: Actor) -> GroupReceipt:
        def action(txn: rules.Txn) -> GroupReceipt:
            access.as_family(actor, cmd.parent_id)
            group = GroupBookingId(new_uuid())
            bookings = rules.book(
                txn,
                cmd.session_id,
                cmd.child_ids,
                cmd.parent_id,
                source=cmd.source,
                group_booking_id=group,
            )
            return GroupReceipt(
                group_booking_id=group, bookings=tuple(BookingReceipt.of(b) for b in bookings)
            )

        def prefetch(txn: rules.Txn) -> None:
            rules.prefetch_booking(txn, cmd.session_id, cmd.child_ids, cmd.parent_id)

        return self._run(
            cmd.tenant_id,
            cmd,
            cmd.idempotency_key,
            GroupReceipt,
            action,
            prefetch=prefetch,
            actor=actor,
        )

    def book_again(self, cmd: BookAgain, *, actor: Actor) -> BookingReceipt:
        def action(txn: rules.Txn) -> BookingReceipt:
            original = txn.uow.bookings.get(cmd.original_booking_id)
            access.as_family(actor, original.parent_id)
            [booking] = rules.book(
                txn,
                cmd.session_id,
                [original.child_id],
                original.parent_id,
                source=BookingSource.REBOOK,
                original_booking_id=original.id,
            )
            return BookingReceipt.of(booking)

        return self._run(
            cmd.tenant_id, cmd, cmd.idempotency_key, BookingReceipt, action, actor=actor
        )

    def confirm(self, cmd: ConfirmBooking, *, actor: Actor) -> BookingReceipt:
        def action(txn: rules.Txn) -> BookingReceipt:
            booking = txn.uow.bookings.get(cmd.booking_id)
            access.confirm(actor, booking.parent_id, txn.session(booking.session_id).venue_id)
            rules.confirm(txn, booking)
            return BookingReceipt.of(booking)

        return self._run(
            cmd.tenant_id, cmd, cmd.idempotency_key, BookingReceipt, action, actor=actor
        )

    def cancel(self, cmd: CancelBooking, *, actor: Actor) -> CancellationReceipt:
        """By the parent: a refund iff at least ``cancellation_window`` before the start,
        otherwise the credits are forfeited. By the venue: always a full refund."""
        target = BookingStatus.CANCELLED_VENUE if cmd.by_venue else BookingStatus.CANCELLED_PARENT

        def action(txn: rules.Txn) -> CancellationReceipt:
            booking = txn.uow.bookings.get(cmd.booking_id)
            if cmd.by_venue:
                access.as_venue(actor, txn.session(booking.session_id).venue_id)
            else:
                access.as_family(actor, booking.parent_id)
            refunded, forfeited = rules.cancel(txn, booking, target, cmd.reason, cmd.notes)
            return CancellationReceipt(
                booking_id=booking.id,
                status=booking.status,
                refund_eligible=bool(booking.refund_eligible),
                credits_refunded=refunded,
                credits_forfeited=forfeited,
            )

        return self._run(
            cmd.tenant_id,
            cmd,
            cmd.idempotency_key,
            CancellationReceipt,
            action,
            actor=actor,
        )

    def cancel_session(self, cmd: CancelSession, *, actor: Actor) -> SessionCancellationReceipt:
        def action(txn: rules.Txn) -> SessionCancellationReceipt:
            session = txn.session(cmd.session_id)
            access.as_venue(actor, session.venue_id)
            cancelled, refunded = rules.cancel_session(txn, session, cmd.reason)
            return SessionCancellationReceipt(
                session_id=session.id,
                cancelled_bookings=tuple(b.id for b in cancelled),
                credits_refunded=refunded,
            )

        return self._run(
            cmd.tenant_id,
            cmd,
            cmd.idempotency_key,
            SessionCancellationReceipt,
            action,
            actor=actor,
        )

    def mark_attendance(self, cmd: MarkAttendance, *, actor: Actor) -> BookingReceipt:
        def action(txn: rules.Txn) -> BookingReceipt:
            booking = txn.uow.bookings.get(cmd.booking_id)
            access.as_venue(actor, txn.session(booking.session_id).venue_id)
            rules.mark_attendance(txn, booking, cmd.attended)
            return BookingReceipt.of(booking)

        return self._run(
            cmd.tenant_id, cmd, cmd.idempotency_key, BookingReceipt, action, actor=actor
        )

    def complete_session(self, cmd: CompleteSession, *, actor: Actor) -> tuple[BookingId, ...]:
        def action(txn: rules.Txn) -> tuple[BookingId, ...]:
            session = txn.session(cmd.session_id)
            access.as_venue(actor, session.venue_id, jobs=True)
            completed = rules.complete_session(txn, session)
            return tuple(b.id for b in completed)

        return self._run(
            cmd.tenant_id,
            cmd,
            cmd.idempotency_key,
            tuple[BookingId, ...],
            action,
            actor=actor,
        )

    def partial_refund(self, cmd: GrantPartialRefund, *, actor: Actor) -> RefundReceipt:
        def action(txn: rules.Txn) -> RefundReceipt:
            booking = txn.uow.bookings.get(cmd.booking_id)
            access.as_venue(actor, txn.session(booking.session_id).venue_id)
            rules.partial_refund(txn, booking, cmd.credits, cmd.reason)
            return RefundReceipt(
                booking_id=booking.id,
                credits_refunded=cmd.credits,
                total_refunded=booking.credits_refunded,
            )

        return self._run(
            cmd.tenant_id, cmd, cmd.idempotency_key, RefundReceipt, action, actor=actor
        )

    def compensate_activity_change(
        self, cmd: CompensateActivityChange, *, actor: Actor
    ) -> tuple[RefundReceipt, ...]:
        def action(txn: rules.Txn) -> tuple[RefundReceipt, ...]:
            access.as_venue(actor, txn.uow.activities.get(cmd.activity_id).venue_id)
            receipts = []
            for session in txn.uow.sessions.for_activity(cmd.activity_id):
                if session.is_cancelled or session.has_started(txn.now):
                    continue
                for booking in txn.uow.bookings.for_session(session.id):
                    if booking.status is not BookingStatus.CONFIRMED:
                        continue
                    left = txn.balance(booking.balance_id).net_debit_for(booking.id)
                    credits = min(cmd.credits, left)
                    if credits > 0:
                        rules.partial_refund(txn, booking, credits, cmd.reason)
                        receipts.append(
                            RefundReceipt(
                                booking_id=booking.id,
                                credits_refunded=credits,
                                total_refunded=booking.credits_refunded,
                            )
                        )
            return tuple(receipts)

        return self._run(
            cmd.tenant_id,
            cmd,
            cmd.idempotency_key,
            tuple[RefundReceipt, ...],
            action,
            actor=actor,
        )

    # -- queries ---------------------------------------------------------------------------

    def get(self, tenant_id: TenantId, booking_id: BookingId, *, actor: Actor) -> Booking:
        v.ids(booking_id=booking_id)
        require_tenant(actor, tenant_id)
        with self._uow_factory(tenant_id) as uow:
            booking = uow.bookings.get(booking_id)
            access.read_booking(actor, booking.parent_id, _venue_of(uow, booking))
            return booking

    def find_by_code(
        self, tenant_id: TenantId, confirmation_code: str, *, actor: Actor
    ) -> Booking | None:
        v.text(20)(confirmation_code, "confirmation_code")
        require_tenant(actor, tenant_id)
        with self._uow_factory(tenant_id) as uow:
            booking = uow.bookings.find_by_code(confirmation_code)
            if booking is not None:
                access.read_booking(actor, booking.parent_id, _venue_of(uow, booking))
            return booking

    def for_session(
        self, tenant_id: TenantId, session_id: SessionId, *, actor: Actor
    ) -> list[Booking]:
        v.ids(session_id=session_id)
        require_tenant(actor, tenant_id)
        with self._uow_factory(tenant_id) as uow:
            access.read_session(actor, uow.sessions.get(session_id).venue_id)
            return uow.bookings.for_session(session_id)


class WaitlistService(_Service):
    """Join, leave, offers and their responses, and the sweep that expires stale offers."""

    def join(self, cmd: JoinWaitlist, *, actor: Actor) -> WaitlistReceipt:
        def action(txn: rules.Txn) -> WaitlistReceipt:
            access.as_family(actor, cmd.parent_id)
            entry = rules.join_waitlist(txn, cmd.session_id, cmd.child_id, cmd.parent_id)
            return WaitlistReceipt.of(entry)

        return self._run(
            cmd.tenant_id,
            cmd,
            cmd.idempotency_key,
            WaitlistReceipt,
            action,
            actor=actor,
        )

    def accept(self, cmd: RespondToOffer, *, actor: Actor) -> BookingReceipt:
        """Book the offered seat (source ``waitlist``); ``OfferExpired`` once it lapsed."""

        def action(txn: rules.Txn) -> BookingReceipt:
            access.as_family(actor, txn.uow.waitlist.get(cmd.entry_id).user_id)
            entry = rules.live_offer(txn, cmd.entry_id, "accepted")
            return BookingReceipt.of(rules.accept_offer(txn, entry))

        return self._run(
            cmd.tenant_id,
            cmd,
            cmd.idempotency_key,
            BookingReceipt,
            action,
            commit_on=(rules.OfferExpired,),
            actor=actor,
        )

    def decline(self, cmd: RespondToOffer, *, actor: Actor) -> WaitlistReceipt:
        def action(txn: rules.Txn) -> WaitlistReceipt:
            access.as_family(actor, txn.uow.waitlist.get(cmd.entry_id).user_id)
            entry = rules.live_offer(txn, cmd.entry_id, "declined")
            rules.leave_waitlist(txn, entry, RemovalReason.SPOT_DECLINED)
            return WaitlistReceipt.of(entry)

        return self._run(
            cmd.tenant_id,
            cmd,
            cmd.idempotency_key,
            WaitlistReceipt,
            action,
            commit_on=(rules.OfferExpired,),
            actor=actor,
        )

    def leave(self, cmd: LeaveWaitlist, *, actor: Actor) -> WaitlistReceipt:
        def action(txn: rules.Txn) -> WaitlistReceipt:
            entry = txn.uow.waitlist.get(cmd.entry_id)
            access.as_family(actor, entry.user_id)
            rules.leave_waitlist(txn, entry, RemovalReason.USER_REMOVED)
            return WaitlistReceipt.of(entry)

        return self._run(
            cmd.tenant_id, cmd, cmd.idempotency_key, WaitlistReceipt, action, actor=actor
        )

    def promote(self, cmd: PromoteWaitlist, *, actor: Actor) -> PromotionReceipt:
        def action(txn: rules.Txn) -> PromotionReceipt:
            session = txn.session(cmd.session_id)
            access.as_venue(actor, session.venue_id, jobs=True)
            expired, offered = rules.promote(txn, session)
            return PromotionReceipt(
                session_id=cmd.session_id,
                expired=tuple(e.id for e in expired),
                offered=tuple(e.id for e in offered),
            )

        return self._run(
            cmd.tenant_id, cmd, cmd.idempotency_key, PromotionReceipt, action, actor=actor
        )

    def expire_offers(self, tenant_id: TenantId, *, actor: Actor) -> int:
        """The sweep job: expire every lapsed offer and offer its seat onwards."""
        require_tenant(actor, tenant_id)
        access.sweep(actor)
        now = self._clock.now()
        with self._uow_factory(tenant_id) as uow:
            due = uow.waitlist.sessions_with_offers_due(now)
        expired = 0
        for session_id in due:
            receipt = self.promote(
                PromoteWaitlist(
                    tenant_id=tenant_id,
                    session_id=session_id,
                    idempotency_key=f"sweep:{session_id}:{now.isoformat()}",
                ),
                actor=actor,
            )
            expired += len(receipt.expired)
        return expired

    def entries(
        self, tenant_id: TenantId, session_id: SessionId, *, actor: Actor
    ) -> list[WaitlistEntry]:
        v.ids(session_id=session_id)
        require_tenant(actor, tenant_id)
        with self._uow_factory(tenant_id) as uow:
            access.read_session(actor, uow.sessions.get(session_id).venue_id)
            return uow.waitlist.for_session(session_id)


def _venue_of(uow: BookingUnitOfWork, booking: Booking) -> VenueId:
    return uow.sessions.get(booking.session_id).venue_id


# -- boundary checks -----------------------------------------------------------------------

MAX_CREDITS_PER_REFUND = 1_000_000
_KEY = {"idempotency_key": v.text(255)}  # required: these commands are always idempotent
_REASON = v.text(1_000)


def _children(value: Any, field: str) -> None:
    """A list of one to :data:`~rules.MAX_GROUP_SIZE` distinct child ids."""
    if not isinstance(value, list | tuple):
        raise ValidationFailed(field, "list", f"{field} must be a list")
    if len(value) <= rules.MAX_GROUP_SIZE:  # a longer list is refused unread
        for index, item in enumerate(value):
            v.uuid(item, f"{field}[{index}]")
    rules.check_children(value)


_SOURCE = {"source": v.member(BookingSource)}
v.validated(
    BookSession,
    tenant_id=v.uuid,
    session_id=v.uuid,
    child_id=v.uuid,
    parent_id=v.uuid,
    **_SOURCE,
    **_KEY,
)
v.validated(
    BookGroup,
    tenant_id=v.uuid,
    session_id=v.uuid,
    child_ids=_children,
    parent_id=v.uuid,
    **_SOURCE,
    **_KEY,
)
v.validated(BookAgain, tenant_id=v.uuid, original_booking_id=v.uuid, session_id=v.uuid, **_KEY)
v.validated(ConfirmBooking, tenant_id=v.uuid, booking_id=v.uuid, **_KEY)
v.validated(
    CancelBooking,
    tenant_id=v.uuid,
    booking_id=v.uuid,
    reason=v.member(CancellationReason),
    by_venue=v.boolean,
    notes=v.optional(v.text(1_000)),
    **_KEY,
)
v.validated(CancelSession, tenant_id=v.uuid, session_id=v.uuid, reason=_REASON, **_KEY)
v.validated(MarkAttendance, tenant_id=v.uuid, booking_id=v.uuid, attended=v.boolean, **_KEY)
v.validated(CompleteSession, tenant_id=v.uuid, session_id=v.uuid, **_KEY)
v.validated(
    GrantPartialRefund,
    tenant_id=v.uuid,
    booking_id=v.uuid,
    credits=v.integer(1, MAX_CREDITS_PER_REFUND),
    reason=_REASON,
    **_KEY,
)
v.validated(
    CompensateActivityChange,
    tenant_id=v.uuid,
    activity_id=v.uuid,
    credits=v.integer(1, MAX_CREDITS_PER_REFUND),
    reason=_REASON,
    **_KEY,
)
v.validated(
    JoinWaitlist,
    tenant_id=v.uuid,
    session_id=v.uuid,
    child_id=v.uuid,
    parent_id=v.uuid,
    **_KEY,
)
v.validated(RespondToOffer, tenant_id=v.uuid, entry_id=v.uuid, **_KEY)
v.validated(LeaveWaitlist, tenant_id=v.uuid, entry_id=v.uuid, **_KEY)
v.validated(PromoteWaitlist, tenant_id=v.uuid, session_id=v.uuid, **_KEY)
