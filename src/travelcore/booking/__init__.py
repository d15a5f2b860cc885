"""Bookings, refunds and the waitlist."""

from travelcore.booking.model import (
    ACTIVE_STATUSES,
    CODE_ALPHABET,
    SEATED_STATUSES,
    TRANSITIONS,
    Booking,
    BookingCreditsReturned,
    BookingId,
    BookingSource,
    BookingStatus,
    BookingStatusChanged,
    CancellationReason,
    GroupBookingId,
    new_confirmation_code,
)
from travelcore.booking.ports import BookingRepository, BookingUnitOfWork, WaitlistRepository
from travelcore.booking.waitlist import (
    EntryStatus,
    OfferResponse,
    RemovalReason,
    WaitlistChanged,
    WaitlistEntry,
    WaitlistEntryId,
)

__all__ = [
    "ACTIVE_STATUSES",
    "CODE_ALPHABET",
    "SEATED_STATUSES",
    "TRANSITIONS",
    "Booking",
    "BookingCreditsReturned",
    "BookingId",
    "BookingRepository",
    "BookingSource",
    "BookingStatus",
    "BookingStatusChanged",
    "BookingUnitOfWork",
    "CancellationReason",
    "EntryStatus",
    "GroupBookingId",
    "OfferResponse",
    "RemovalReason",
    "WaitlistChanged",
    "WaitlistEntry",
    "WaitlistEntryId",
    "WaitlistRepository",
    "new_confirmation_code",
]
