"""Events of the travel context, published after their unit of work commits."""

from __future__ import annotations

import attrs

from travelcore.kernel import DomainEvent, Money, UserId
from travelcore.travel.model import ItineraryId, ReminderId, TripId


@attrs.frozen(kw_only=True)
class TripBooked(DomainEvent):
    trip_id: TripId
    user_id: UserId
    itinerary_id: ItineraryId | None
    total: Money


@attrs.frozen(kw_only=True)
class TripCancelled(DomainEvent):
    trip_id: TripId
    user_id: UserId


@attrs.frozen(kw_only=True)
class ReminderDue(DomainEvent):
    """Deliver this reminder: published once, when it is marked sent."""

    reminder_id: ReminderId
    trip_id: TripId
    user_id: UserId
    message: str
