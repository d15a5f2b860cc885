"""Booking and waitlist repositories in memory."""

from __future__ import annotations

from datetime import datetime

from travelcore.booking import (
    ACTIVE_STATUSES,
    Booking,
    EntryStatus,
    GroupBookingId,
    WaitlistEntry,
)
from travelcore.catalog import SessionId
from travelcore.kernel import UserId
from travelcore.people import ChildId
from travelcore_adapters.memory.repository import MemoryRepository


class MemoryBookingRepository(MemoryRepository[Booking]):
    table, entity = "bookings", "booking"

    def _check_unique(self, entity: Booking) -> None:
        self._clash(
            entity,
            lambda row: row.confirmation_code == entity.confirmation_code,
            "confirmation code",
        )
        if entity.status in ACTIVE_STATUSES:
            self._clash(
                entity,
                lambda row: (
                    row.session_id == entity.session_id
                    and row.child_id == entity.child_id
                    and row.status in ACTIVE_STATUSES
                ),
                "child on this session",
            )

    def find_by_code(self, confirmation_code: str) -> Booking | None:
        rows = self._rows(lambda row: row.confirmation_code == confirmation_code)
        return rows[0] if rows else None

    def for_session(self, session_id: SessionId) -> list[Booking]:
        rows = self._rows(lambda row: row.session_id == session_id)
        return sorted(rows, key=lambda row: (row.created_at, str(row.id)))

    def for_group(self, group_booking_id: GroupBookingId) -> list[Booking]:
        rows = self._rows(lambda row: row.group_booking_id == group_booking_id)
        return sorted(rows, key=lambda row: (row.created_at, str(row.id)))

    def for_parent(self, parent_id: UserId) -> list[Booking]:
        rows = self._rows(lambda row: row.parent_id == parent_id)
        return sorted(rows, key=lambda row: (row.created_at, str(row.id)), reverse=True)

    def active_for_child(self, session_id: SessionId, child_id: ChildId) -> Booking | None:
        rows = self._rows(
            lambda row: (
                row.session_id == session_id
                and row.child_id == child_id
                and row.status in ACTIVE_STATUSES
            )
        )
        return rows[0] if rows else None


class MemoryWaitlistRepository(MemoryRepository[WaitlistEntry]):
    table, entity = "waitlist", "waitlist_entry"

    def _check_unique(self, entity: WaitlistEntry) -> None:
        self._clash(
            entity,
            lambda row: row.session_id == entity.session_id and row.child_id == entity.child_id,
            "child on this session",
        )

    def for_session(self, session_id: SessionId) -> list[WaitlistEntry]:
        rows = self._rows(lambda row: row.session_id == session_id)
        return sorted(rows, key=lambda row: (row.position, row.joined_at, str(row.id)))

    def find(self, session_id: SessionId, child_id: ChildId) -> WaitlistEntry | None:
        rows = self._rows(lambda row: row.session_id == session_id and row.child_id == child_id)
        return rows[0] if rows else None

    def sessions_with_offers_due(self, at: datetime) -> list[SessionId]:
        rows = self._rows(
            lambda row: (
                row.status is EntryStatus.OFFERED
                and row.spot_expires_at is not None
                and row.spot_expires_at <= at
            )
        )
        return sorted({row.session_id for row in rows}, key=str)
