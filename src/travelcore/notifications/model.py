"""Notifications: what a user is told, on which channel, and whether it went out.

A :class:`Notification` is one message on one channel. It is ``queued`` until it falls due
(``due_at``: its ``scheduled_for``, moved past the recipient's quiet hours unless urgent),
then ``sent`` (with the provider's id) or ``failed``; a failed one is retried with
exponential backoff and ``parked`` after :attr:`RetryPolicy.max_attempts`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Any, NewType
from uuid import UUID

import attrs

from travelcore.kernel import (
    InvalidTransition,
    RetryPolicy,
    TenantId,
    Unavailable,
    UserId,
    ValidationFailed,
    utc,
    zone,
)

NotificationId = NewType("NotificationId", UUID)


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    WHATSAPP = "whatsapp"
    PUSH = "push"
    IN_APP = "in_app"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class NotificationType(StrEnum):
    BOOKING_CONFIRMED = "booking_confirmed"
    BOOKING_CANCELLED_VENUE = "booking_cancelled_venue"
    BOOKING_REMINDER = "booking_reminder"
    WAITLIST_SPOT = "waitlist_spot"
    OFFER_EXPIRED = "offer_expired"
    FEEDBACK_REQUEST = "feedback_request"
    CREDITS_EXPIRING = "credits_expiring"
    MONTHLY_SUGGESTIONS = "monthly_suggestions"
    NEW_ACTIVITIES = "new_activities"
    TRIP_REMINDER = "trip_reminder"
    SYSTEM_ANNOUNCEMENT = "system_announcement"


class NotificationStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    PARKED = "parked"


class DeliveryFailed(Unavailable):
    """A channel could not deliver a message (provider down, refused); retried later."""

    code = "delivery_failed"


DEFAULT_CHANNELS = frozenset({Channel.EMAIL, Channel.PUSH, Channel.IN_APP})
"""The seed's defaults: email and push on, sms and whatsapp off; in_app is always on."""

MAX_TITLE = 255
MAX_BODY = 20_000
MAX_URL = 500


@attrs.frozen(kw_only=True)
class QuietHours:
    """A daily window (wall-clock, in ``timezone``) in which only urgent messages go out.
    ``start > end`` spans midnight (22:00-07:00)."""

    start: time
    end: time
    timezone: str

    def __attrs_post_init__(self) -> None:
        zone(self.timezone, "timezone")
        if self.start == self.end:
            raise ValidationFailed("end", "differs_from_start")

    def release(self, instant: datetime) -> datetime:
        """``instant``, or the end of the quiet window it falls in."""
        tz = zone(self.timezone)
        local = utc(instant).astimezone(tz)
        now = local.time().replace(tzinfo=None)
        if self.start < self.end:
            quiet = self.start <= now < self.end
            end_day = local.date()
        else:
            quiet = now >= self.start or now < self.end
            end_day = local.date() + timedelta(days=1 if now >= self.start else 0)
        if not quiet:
            return utc(instant)
        return utc(datetime.combine(end_day, self.end).replace(tzinfo=tz))


@attrs.define(kw_only=True)
class NotificationPreferences:
    """One user's channels per notification type, quiet hours, language and addresses
    (phone numbers, device tokens; the email address comes from the user)."""

    tenant_id: TenantId
    user_id: UserId
    channels: dict[NotificationType, tuple[Channel, ...]] = attrs.field(factory=dict)
    """Types whose channels differ from :data:`DEFAULT_CHANNELS`."""
    quiet_hours: QuietHours | None = None
    language: str | None = None
    addresses: dict[Channel, str] = attrs.field(factory=dict)
    version: int = 1

    @property
    def id(self) -> UserId:
        return self.user_id

    def enabled(self, kind: NotificationType) -> frozenset[Channel]:
        chosen = self.channels.get(kind)
        return (DEFAULT_CHANNELS if chosen is None else frozenset(chosen)) | {Channel.IN_APP}

    def switch(self, kind: NotificationType, channel: Channel, on: bool) -> None:
        channel = Channel(channel)
        if channel is Channel.IN_APP and not on:
            raise ValidationFailed(
                "channel", "in_app_always_on", "in-app notifications cannot be turned off"
            )
        current = self.enabled(NotificationType(kind))
        self.channels[kind] = tuple(sorted(current | {channel} if on else current - {channel}))


def _names(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(values)))


def _check_language(language: str, field: str = "language") -> str:
    if not (2 <= len(language) <= 10) or not language.replace("-", "").isalpha():
        raise ValidationFailed(field, "language_code", f"{field}: a code like 'en' or 'pt-BR'")
    return language


@attrs.frozen(kw_only=True)
class Template:
    """The text of one notification key on one channel in one language, at one version.

    ``title`` is the email subject, push title or in-app title; ``body`` the plain text
    (email text part, sms, whatsapp, push, in-app); ``html`` the email HTML part, whose
    merge values are escaped. ``variables`` declares the merge variables it may use."""

    tenant_id: TenantId
    key: str
    channel: Channel
    language: str
    name: str
    title: str
    body: str
    html: str | None = None
    variables: tuple[str, ...] = attrs.field(default=(), converter=_names)
    category: str | None = None
    version: int = 1
    created_at: datetime

    def __attrs_post_init__(self) -> None:
        if not self.key or len(self.key) > 100:
            raise ValidationFailed("key", "length_1_to_100")
        _check_language(self.language)
        if self.html is not None and self.channel is not Channel.EMAIL:
            raise ValidationFailed("html", "email_only")
        for name in self.variables:
            if not name.isidentifier():
                raise ValidationFailed("variables", "identifiers", f"not a name: {name!r}")

    def parts(self) -> dict[str, str]:
        """The sources to render, by field name."""
        parts = {"title": self.title, "body": self.body}
        if self.html is not None:
            parts["html"] = self.html
        return parts


@attrs.frozen(kw_only=True)
class Rendered:
    title: str
    body: str
    html: str | None = None


def language_chain(*languages: str | None) -> list[str]:
    """Languages to try in order, without repeats, always ending in ``en``."""
    chain: list[str] = []
    for language in (*languages, "en"):
        if language and language not in chain:
            chain.append(language)
    return chain


@attrs.define(kw_only=True)
class Notification:
    """One message to one user on one channel (seed 003 ``notifications``)."""

    id: NotificationId
    tenant_id: TenantId
    user_id: UserId
    key: str
    """Unique per tenant: the same cause never creates the same notification twice."""
    type: NotificationType
    channel: Channel
    title: str
    body: str
    created_at: datetime
    due_at: datetime
    priority: Priority = Priority.NORMAL
    html: str | None = None
    language: str = "en"
    data: dict[str, Any] = attrs.field(factory=dict)
    related_entity_type: str | None = None
    related_entity_id: UUID | None = None
    action_url: str | None = None
    scheduled_for: datetime | None = None
    status: NotificationStatus = NotificationStatus.QUEUED
    attempts: int = 0
    last_error: str | None = None
    sent_at: datetime | None = None
    external_id: str | None = None
    read_at: datetime | None = None
    version: int = 1

    def __attrs_post_init__(self) -> None:
        if not self.title or len(self.title) > MAX_TITLE:
            raise ValidationFailed("title", f"length_1_to_{MAX_TITLE}")
        if len(self.body) > MAX_BODY:
            raise ValidationFailed("body", f"max_length_{MAX_BODY}")
        if self.action_url is not None and len(self.action_url) > MAX_URL:
            raise ValidationFailed("action_url", f"max_length_{MAX_URL}")

    @property
    def pending(self) -> bool:
        return self.status in (NotificationStatus.QUEUED, NotificationStatus.FAILED)

    def mark_sent(self, now: datetime, external_id: str) -> None:
        if not self.pending:
            raise InvalidTransition("notification", self.status, NotificationStatus.SENT)
        self.status, self.sent_at, self.external_id = NotificationStatus.SENT, now, external_id
        self.attempts += 1
        self.last_error = None

    def mark_failed(self, now: datetime, error: str, retry: RetryPolicy) -> None:
        """``failed`` and due again after the backoff, or ``parked`` when out of attempts."""
        if not self.pending:
            raise InvalidTransition("notification", self.status, NotificationStatus.FAILED)
        self.attempts += 1
        self.last_error = error[:1000]
        if self.attempts >= retry.max_attempts:
            self.status = NotificationStatus.PARKED
        else:
            self.status = NotificationStatus.FAILED
            self.due_at = now + retry.delay(self.attempts)

    def postpone(self, until: datetime) -> None:
        """Due again at ``until`` (the end of the recipient's quiet hours), no attempt made."""
        if not self.pending:
            raise InvalidTransition("notification", self.status, self.status)
        self.due_at = until

    def mark_read(self, now: datetime) -> None:
        if self.channel is not Channel.IN_APP:
            raise ValidationFailed("channel", "in_app_only", "only in-app notifications are read")
        if self.read_at is None:
            self.read_at = now

    def cancel(self, reason: str) -> None:
        """Park a queued one whose cause went away (a reminder for a cancelled booking)."""
        if self.pending:
            self.status, self.last_error = NotificationStatus.PARKED, reason


@attrs.frozen(kw_only=True)
class OutgoingMessage:
    """What a :class:`~travelcore.notifications.ports.Notifier` receives."""

    notification_id: NotificationId
    channel: Channel
    to: str
    recipient_name: str
    language: str
    priority: Priority
    title: str
    body: str
    html: str | None = None
    action_url: str | None = None
    data: Mapping[str, Any] = attrs.field(factory=dict)
