"""What bookings and the waitlist need from storage.

A booking's unit of work spans the catalog, the people context, the ledger (``credits``) and the
two repositories below, so a seat, its credit hold or debit and the waitlist change commit
in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol

from travelcore.booking.model import Booking, BookingId, GroupBookingId
from travelcore.booking.waitlist import WaitlistEntry, WaitlistEntryId
from travelcore.catalog.model import SessionId
from travelcore.catalog.ports import CatalogUnitOfWork
from travelcore.kernel import UserId
from travelcore.ledger import LedgerUnitOfWork
from travelcore.people.model import ChildId
from travelcore.people.ports import PeopleUnitOfWork


class BookingRepository(Protocol):
    def add(self, booking: Booking) -> None:
        """``AlreadyExists`` for a taken id or confirmation code, or when the child already
        has a pending or confirmed booking on the session."""
        ...

    def get(self, booking_id: BookingId) -> Booking: ...

    def save(self, booking: Booking) -> None:
        """Optimistic: ``StaleVersion`` if the booking changed since it was read."""
        ...

    def find_by_code(self, confirmation_code: str) -> Booking | None: ...

    def for_session(self, session_id: SessionId) -> list[Booking]:
        """Every booking on the session, oldest first (then by id)."""
        ...

    def for_group(self, group_booking_id: GroupBookingId) -> list[Booking]: ...

    def for_parent(self, parent_id: UserId) -> list[Booking]:
        """The parent's bookings, newest first (then by id)."""
        ...

    def active_for_child(self, session_id: SessionId, child_id: ChildId) -> Booking | None:
        """The child's pending or confirmed booking on the session, if any."""
        ...


class WaitlistRepository(Protocol):
    def add(self, entry: WaitlistEntry) -> None:
        """``AlreadyExists`` for a taken id, or a second entry of a child on a session."""
        ...

    def get(self, entry_id: WaitlistEntryId) -> WaitlistEntry: ...

    def save(self, entry: WaitlistEntry) -> None: ...

    def for_session(self, session_id: SessionId) -> list[WaitlistEntry]:
        """Every entry of the session (removed ones too) in FIFO order: position, then
        joined_at, then id."""
        ...

    def find(self, session_id: SessionId, child_id: ChildId) -> WaitlistEntry | None: ...

    def sessions_with_offers_due(self, at: datetime) -> list[SessionId]:
        """Sessions having an outstanding offer that expires at or before ``at``."""
        ...


class BookingUnitOfWork(CatalogUnitOfWork, PeopleUnitOfWork, LedgerUnitOfWork, Protocol):
    @property
    def bookings(self) -> BookingRepository: ...

    @property
    def waitlist(self) -> WaitlistRepository: ...

    def prefetch_booking(
        self,
        session_id: SessionId,
        child_ids: Sequence[ChildId],
        parent_id: UserId,
        day: date,
        codes: Sequence[str],
    ) -> None:
        """A hint that ``child_ids`` are about to be booked on ``session_id``: storage may
        read ahead, at once, what the booking rules will ask for (the session with its
        seat lock, activity, venue and waitlist; the children with their bookings and
        waitlist entries on it; the parent's balance on ``day``; whether the confirmation
        ``codes`` are taken). It changes no result."""
        ...
