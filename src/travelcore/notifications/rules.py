"""Who gets what (DOMAIN.md section 8): the outbox consumer that turns booking, waitlist,
ledger and travel events into notifications.

Reminders 24 h and 1 h before a session and the feedback request after it are queued
when the booking is confirmed, with ``scheduled_for`` set; the delivery job sends them when
they fall due, and a cancellation parks the ones still waiting.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

import attrs

from travelcore.booking import BookingRepository, BookingStatus, BookingStatusChanged
from travelcore.booking.waitlist import EntryStatus, RemovalReason, WaitlistChanged
from travelcore.catalog import (
    ActivityRepository,
    Session,
    SessionRepository,
    VenueRepository,
)
from travelcore.kernel import DomainEvent, PolicyProvider, zone
from travelcore.kernel.outbox import OutboxMessage
from travelcore.ledger import ExpiryWarningDue
from travelcore.notifications.model import NotificationType, Priority
from travelcore.notifications.service import (
    NotificationRequest,
    NotificationService,
    RecipientsUnitOfWork,
)
from travelcore.people import ChildRepository
from travelcore.travel import ReminderDue

REMINDERS = (("24h", timedelta(hours=24), "tomorrow"), ("1h", timedelta(hours=1), "in an hour"))
SCHEDULED_FOR_BOOKING = (NotificationType.BOOKING_REMINDER, NotificationType.FEEDBACK_REQUEST)


class NotificationRulesUnitOfWork(RecipientsUnitOfWork, Protocol):
    """What the rules read to word a message: the catalog, the children, the bookings."""

    @property
    def sessions(self) -> SessionRepository: ...

    @property
    def activities(self) -> ActivityRepository: ...

    @property
    def venues(self) -> VenueRepository: ...

    @property
    def children(self) -> ChildRepository: ...

    @property
    def bookings(self) -> BookingRepository: ...


def local_time(instant: datetime, timezone: str) -> str:
    """``Sat 14 Mar 2026, 10:00`` in ``timezone``."""
    return instant.astimezone(zone(timezone)).strftime("%a %d %b %Y, %H:%M")


class NotificationRules:
    """An outbox consumer: each event it is given becomes zero or more notifications, in
    the same unit of work as the inbox entry that marks the event handled."""

    name = "notifications"

    def __init__(self, service: NotificationService, policies: PolicyProvider) -> None:
        self._service = service
        self._policies = policies

    def handle(self, uow: NotificationRulesUnitOfWork, message: OutboxMessage) -> None:
        event = message.event()
        now = message.occurred_at
        for request in self.requests(uow, event, str(message.event_id)):
            self._service.create(uow, request, now)

    def requests(
        self, uow: NotificationRulesUnitOfWork, event: DomainEvent, key: str
    ) -> list[NotificationRequest]:
        """The notifications ``event`` calls for (``key`` names the event)."""
        if isinstance(event, BookingStatusChanged):
            return self._booking(uow, event, key)
        if isinstance(event, WaitlistChanged):
            return self._waitlist(uow, event, key)
        if isinstance(event, ExpiryWarningDue):
            return [
                NotificationRequest(
                    user_id=event.user_id,
                    type=NotificationType.CREDITS_EXPIRING,
                    key=key,
                    values={
                        "credits": event.credits,
                        "expires_at": local_time(event.expires_at, "UTC") + " UTC",
                    },
                    data={"credits": event.credits, "expires_at": event.expires_at.isoformat()},
                    related_entity_type="credit_balance",
                    related_entity_id=event.balance_id,
                )
            ]
        if isinstance(event, ReminderDue):
            return [
                NotificationRequest(
                    user_id=event.user_id,
                    type=NotificationType.TRIP_REMINDER,
                    key=key,
                    values={"message": event.message},
                    related_entity_type="trip",
                    related_entity_id=event.trip_id,
                )
            ]
        return []

    def _booking(
        self, uow: NotificationRulesUnitOfWork, event: BookingStatusChanged, key: str
    ) -> list[NotificationRequest]:
        status = event.to_status
        if status in (BookingStatus.CANCELLED_PARENT, BookingStatus.NO_SHOW):
            self._service.cancel_for(uow, event.booking_id, status.value, *SCHEDULED_FOR_BOOKING)
            return []
        if status not in (BookingStatus.CONFIRMED, BookingStatus.CANCELLED_VENUE):
            return []
        session = uow.sessions.get(event.session_id)
        values = self._session_values(uow, session)
        values["child_name"] = uow.children.get(event.child_id).first_name
        values["credits"] = event.credits
        base = NotificationRequest(
            user_id=event.parent_id,
            type=NotificationType.BOOKING_CONFIRMED,
            key=key,
            values=values,
            related_entity_type="booking",
            related_entity_id=event.booking_id,
            data={"booking_id": str(event.booking_id), "session_id": str(session.id)},
        )
        if status is BookingStatus.CANCELLED_VENUE:
            self._service.cancel_for(uow, event.booking_id, status.value, *SCHEDULED_FOR_BOOKING)
            return [
                attrs.evolve(
                    base, type=NotificationType.BOOKING_CANCELLED_VENUE, priority=Priority.HIGH
                )
            ]
        values["confirmation_code"] = uow.bookings.get(event.booking_id).confirmation_code
        requests = [base]
        for label, lead, when in REMINDERS:
            at = session.starts_at - lead
            if at > event.occurred_at:
                requests.append(
                    attrs.evolve(
                        base,
                        type=NotificationType.BOOKING_REMINDER,
                        key=f"reminder-{label}:{event.booking_id}",
                        values={**values, "when": when},
                        scheduled_for=at,
                    )
                )
        delay = self._policies.policy_for(event.tenant_id).feedback_request_delay
        requests.append(
            attrs.evolve(
                base,
                type=NotificationType.FEEDBACK_REQUEST,
                key=f"feedback:{event.booking_id}",
                priority=Priority.LOW,
                scheduled_for=session.ends_at + delay,
            )
        )
        return requests

    def _waitlist(
        self, uow: NotificationRulesUnitOfWork, event: WaitlistChanged, key: str
    ) -> list[NotificationRequest]:
        deadline = event.offer_expires_at if event.status is EntryStatus.OFFERED else None
        expired = event.removed_reason is RemovalReason.SPOT_EXPIRED
        if deadline is None and not expired:
            return []
        session = uow.sessions.get(event.session_id)
        values = self._session_values(uow, session)
        values["child_name"] = uow.children.get(event.child_id).first_name
        base = NotificationRequest(
            user_id=event.user_id,
            type=NotificationType.OFFER_EXPIRED,
            key=key,
            values=values,
            related_entity_type="waitlist_entry",
            related_entity_id=event.entry_id,
        )
        if deadline is None:
            return [base]
        values["deadline"] = local_time(deadline, session.timezone)
        return [
            attrs.evolve(
                base,
                type=NotificationType.WAITLIST_SPOT,
                priority=Priority.HIGH,
                data={"offer_expires_at": deadline.isoformat()},
            )
        ]

    def _session_values(
        self, uow: NotificationRulesUnitOfWork, session: Session
    ) -> dict[str, object]:
        activity = uow.activities.get(session.activity_id)
        venue = uow.venues.get(session.venue_id)
        return {
            "activity_name": activity.name,
            "venue_name": venue.name,
            "starts_at": local_time(session.starts_at, session.timezone),
        }
