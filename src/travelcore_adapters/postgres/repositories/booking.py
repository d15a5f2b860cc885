"""The booking and waitlist repositories with explicit row mapping."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import bindparam, or_, select

from travelcore.booking import (
    ACTIVE_STATUSES,
    Booking,
    BookingId,
    BookingSource,
    BookingStatus,
    CancellationReason,
    GroupBookingId,
    OfferResponse,
    RemovalReason,
    WaitlistEntry,
    WaitlistEntryId,
)
from travelcore.catalog import SessionId
from travelcore.kernel import TenantId, UserId
from travelcore.ledger import BalanceId, HoldId
from travelcore.people import ChildId
from travelcore_adapters.postgres.repositories.base import TableRepository
from travelcore_adapters.postgres.statements import Statement
from travelcore_adapters.postgres.tables.booking import bookings as b
from travelcore_adapters.postgres.tables.booking import waitlist as w

_ACTIVE = [status.value for status in ACTIVE_STATUSES]

BY_CODE = Statement(
    select(b)
    .where(b.c.tenant_id == bindparam("tid"), b.c.confirmation_code == bindparam("code"))
    .limit(1)
)
ACTIVE_FOR_CHILD = Statement(
    select(b)
    .where(
        b.c.tenant_id == bindparam("tid"),
        b.c.session_id == bindparam("session_id"),
        b.c.child_id == bindparam("child_id"),
        or_(*(b.c.status == status for status in _ACTIVE)),
    )
    .limit(1)
)
WAITLIST_ENTRY = Statement(
    select(w)
    .where(
        w.c.tenant_id == bindparam("tid"),
        w.c.session_id == bindparam("session_id"),
        w.c.child_id == bindparam("child_id"),
    )
    .limit(1)
)
WAITLIST_OF_SESSION = Statement(
    select(w)
    .where(w.c.tenant_id == bindparam("tid"), w.c.session_id == bindparam("session_id"))
    .order_by(w.c.position, w.c.joined_at, w.c.id)
)


class PostgresBookingRepository(TableRepository[Booking]):
    """``get`` locks the booking's row: concurrent changes of one booking (two
    cancellations) queue on it, and the later one checks the booking as the first left it."""

    table, entity = b, "booking"
    lock_on_get: ClassVar[bool] = True

    def to_row(self, entity: Booking) -> dict[str, Any]:
        return {
            "tenant_id": entity.tenant_id,
            "id": entity.id,
            "session_id": entity.session_id,
            "child_id": entity.child_id,
            "booked_by": entity.parent_id,
            "status": entity.status.value,
            "credits_charged": entity.credits_charged,
            "balance_id": entity.balance_id,
            "hold_id": entity.hold_id,
            "group_booking_id": entity.group_booking_id,
            "original_booking_id": entity.original_booking_id,
            "waitlist_entry_id": entity.waitlist_entry_id,
            "confirmation_code": entity.confirmation_code,
            "booking_source": entity.source.value,
            "created_at": entity.created_at,
            "confirmed_at": entity.confirmed_at,
            "cancelled_at": entity.cancelled_at,
            "cancellation_reason": (
                None if entity.cancellation_reason is None else entity.cancellation_reason.value
            ),
            "cancellation_notes": entity.cancellation_notes,
            "refund_eligible": entity.refund_eligible,
            "credits_refunded": entity.credits_refunded,
            "attendance_marked": entity.attendance_marked,
            "attendance_marked_at": entity.attendance_marked_at,
            "attendance_marked_by": entity.attendance_marked_by,
            "completed_at": entity.completed_at,
            "version": entity.version,
        }

    def to_entity(self, row: Any) -> Booking:
        return Booking(
            id=BookingId(row.id),
            tenant_id=TenantId(row.tenant_id),
            session_id=SessionId(row.session_id),
            child_id=ChildId(row.child_id),
            parent_id=UserId(row.booked_by),
            credits_charged=row.credits_charged,
            confirmation_code=row.confirmation_code,
            balance_id=BalanceId(row.balance_id),
            hold_id=None if row.hold_id is None else HoldId(row.hold_id),
            created_at=row.created_at,
            status=BookingStatus(row.status),
            source=BookingSource(row.booking_source),
            group_booking_id=(
                None if row.group_booking_id is None else GroupBookingId(row.group_booking_id)
            ),
            original_booking_id=(
                None if row.original_booking_id is None else BookingId(row.original_booking_id)
            ),
            waitlist_entry_id=row.waitlist_entry_id,
            confirmed_at=row.confirmed_at,
            cancelled_at=row.cancelled_at,
            cancellation_reason=(
                None
                if row.cancellation_reason is None
                else CancellationReason(row.cancellation_reason)
            ),
            cancellation_notes=row.cancellation_notes,
            refund_eligible=row.refund_eligible,
            credits_refunded=row.credits_refunded,
            attendance_marked=row.attendance_marked,
            attendance_marked_at=row.attendance_marked_at,
            attendance_marked_by=row.attendance_marked_by,
            completed_at=row.completed_at,
            version=row.version,
        )

    def find_by_code(self, confirmation_code: str) -> Booking | None:
        return self._query_first(BY_CODE, code=confirmation_code)

    def for_session(self, session_id: SessionId) -> list[Booking]:
        query = self._select(b.c.session_id == session_id)
        return self._all(query.order_by(b.c.created_at, b.c.id))

    def for_group(self, group_booking_id: GroupBookingId) -> list[Booking]:
        query = self._select(b.c.group_booking_id == group_booking_id)
        return self._all(query.order_by(b.c.created_at, b.c.id))

    def for_parent(self, parent_id: UserId) -> list[Booking]:
        query = self._select(b.c.booked_by == parent_id)
        return self._all(query.order_by(b.c.created_at.desc(), b.c.id.desc()))

    def active_for_child(self, session_id: SessionId, child_id: ChildId) -> Booking | None:
        return self._query_first(ACTIVE_FOR_CHILD, session_id=session_id, child_id=child_id)


class PostgresWaitlistRepository(TableRepository[WaitlistEntry]):
    """``get`` locks the entry's row (as bookings do)."""

    table, entity = w, "waitlist_entry"
    lock_on_get: ClassVar[bool] = True

    def to_row(self, entity: WaitlistEntry) -> dict[str, Any]:
        return {
            "tenant_id": entity.tenant_id,
            "id": entity.id,
            "session_id": entity.session_id,
            "child_id": entity.child_id,
            "user_id": entity.user_id,
            "position": entity.position,
            "joined_at": entity.joined_at,
            "spot_offered_at": entity.spot_offered_at,
            "spot_expires_at": entity.spot_expires_at,
            "response": None if entity.response is None else entity.response.value,
            "responded_at": entity.responded_at,
            "converted_booking_id": entity.converted_booking_id,
            "is_active": entity.is_active,
            "removed_at": entity.removed_at,
            "removed_reason": (
                None if entity.removed_reason is None else entity.removed_reason.value
            ),
            "version": entity.version,
        }

    def to_entity(self, row: Any) -> WaitlistEntry:
        return WaitlistEntry(
            id=WaitlistEntryId(row.id),
            tenant_id=TenantId(row.tenant_id),
            session_id=SessionId(row.session_id),
            child_id=ChildId(row.child_id),
            user_id=UserId(row.user_id),
            position=row.position,
            joined_at=row.joined_at,
            spot_offered_at=row.spot_offered_at,
            spot_expires_at=row.spot_expires_at,
            response=None if row.response is None else OfferResponse(row.response),
            responded_at=row.responded_at,
            converted_booking_id=row.converted_booking_id,
            is_active=row.is_active,
            removed_at=row.removed_at,
            removed_reason=None
            if row.removed_reason is None
            else RemovalReason(row.removed_reason),
            version=row.version,
        )

    def for_session(self, session_id: SessionId) -> list[WaitlistEntry]:
        return self._query(WAITLIST_OF_SESSION, session_id=session_id)

    def find(self, session_id: SessionId, child_id: ChildId) -> WaitlistEntry | None:
        return self._query_first(WAITLIST_ENTRY, session_id=session_id, child_id=child_id)

    def sessions_with_offers_due(self, at: datetime) -> list[SessionId]:
        query = (
            select(w.c.session_id)
            .where(
                w.c.tenant_id == self._tid,
                w.c.is_active.is_(True),
                w.c.spot_offered_at.is_not(None),
                w.c.spot_expires_at <= at,
            )
            .distinct()
            .order_by(w.c.session_id)
        )
        return [SessionId(row.session_id) for row in self._scope.execute(query)]
