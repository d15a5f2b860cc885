"""What the notifications context needs: storage, a template renderer and channels."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from travelcore.kernel import IdempotencyStore, UnitOfWork, UserId
from travelcore.notifications.model import (
    Channel,
    Notification,
    NotificationId,
    NotificationPreferences,
    OutgoingMessage,
    Rendered,
    Template,
)


class NotificationRepository(Protocol):
    def add(self, notification: Notification) -> None:
        """``AlreadyExists`` when the id or the ``key`` is taken."""
        ...

    def get(self, notification_id: NotificationId) -> Notification: ...

    def save(self, notification: Notification) -> None:
        """Optimistic: ``StaleVersion`` if it changed since it was read."""
        ...

    def find_by_key(self, key: str) -> Notification | None: ...

    def claim_due(
        self, now: datetime, limit: int, channels: frozenset[Channel]
    ) -> list[Notification]:
        """Up to ``limit`` queued or failed notifications on ``channels`` due at ``now``,
        oldest due first, locked for this unit of work (other units of work skip them, so
        several senders never send the same one)."""
        ...

    def for_user(
        self, user_id: UserId, *, channel: Channel | None = None, unread_only: bool = False
    ) -> list[Notification]:
        """Newest first."""
        ...

    def for_entity(self, entity_id: UUID) -> list[Notification]: ...

    def unread_count(self, user_id: UserId) -> int:
        """Sent in-app notifications not yet read."""
        ...


class PreferenceRepository(Protocol):
    def find(self, user_id: UserId) -> NotificationPreferences | None: ...

    def put(self, preferences: NotificationPreferences) -> None:
        """Insert or replace (optimistic on ``version``)."""
        ...


class TemplateRepository(Protocol):
    def add(self, template: Template) -> None:
        """A new version: ``AlreadyExists`` if that key x channel x language x version is
        taken. The highest version is the active one."""
        ...

    def active(self, key: str, channel: Channel, language: str) -> Template | None: ...

    def versions(self, key: str, channel: Channel, language: str) -> list[Template]:
        """Every version, oldest first."""
        ...


class TemplateRenderer(Protocol):
    """Renders templates; implemented with a sandboxed template engine."""

    def variables(self, source: str, *, html: bool = False) -> frozenset[str]:
        """The variables ``source`` reads; ``ValidationFailed`` if it does not parse."""
        ...

    def render(self, template: Template, values: Mapping[str, Any]) -> Rendered:
        """``ValidationFailed`` when a value is missing; HTML parts escape every value."""
        ...


class Notifier(Protocol):
    """One delivery channel (an email server, an SMS provider, the in-app centre)."""

    channel: Channel

    def send(self, message: OutgoingMessage) -> str:
        """Deliver ``message``; returns the provider's id. ``DeliveryFailed`` when the
        provider cannot take it now (the notification is retried with backoff)."""
        ...


class NotificationsUnitOfWork(UnitOfWork, Protocol):
    @property
    def notifications(self) -> NotificationRepository: ...

    @property
    def notification_preferences(self) -> PreferenceRepository: ...

    @property
    def notification_templates(self) -> TemplateRepository: ...

    @property
    def idempotency(self) -> IdempotencyStore: ...
