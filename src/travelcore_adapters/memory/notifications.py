"""The memory notifications, preferences and templates repositories."""

from __future__ import annotations

from collections.abc import Hashable
from datetime import datetime
from uuid import UUID

from travelcore.kernel import UserId
from travelcore.notifications import (
    Channel,
    Notification,
    NotificationPreferences,
    NotificationStatus,
    Template,
)
from travelcore_adapters.memory.repository import MemoryRepository


class MemoryNotificationRepository(MemoryRepository[Notification]):
    table = "notifications"
    entity = "notification"
    audited = False  # content (personal text the erasure redacts or deletes), not a change of state

    def _check_unique(self, entity: Notification) -> None:
        self._clash(entity, lambda row: row.key == entity.key, "key")

    def find_by_key(self, key: str) -> Notification | None:
        return next(iter(self._rows(lambda n: n.key == key)), None)

    def claim_due(
        self, now: datetime, limit: int, channels: frozenset[Channel]
    ) -> list[Notification]:
        # the memory unit of work holds the store's lock: nobody else can claim meanwhile
        due = self._rows(lambda n: n.pending and n.due_at <= now and n.channel in channels)
        return sorted(due, key=lambda n: (n.due_at, n.created_at, str(n.id)))[:limit]

    def for_user(
        self, user_id: UserId, *, channel: Channel | None = None, unread_only: bool = False
    ) -> list[Notification]:
        found = self._rows(
            lambda n: (
                n.user_id == user_id
                and channel in (None, n.channel)
                and not (unread_only and n.read_at is not None)
            )
        )
        return sorted(found, key=lambda n: (n.created_at, str(n.id)), reverse=True)

    def for_entity(self, entity_id: UUID) -> list[Notification]:
        found = self._rows(lambda n: n.related_entity_id == entity_id)
        return sorted(found, key=lambda n: (n.created_at, str(n.id)))

    def unread_count(self, user_id: UserId) -> int:
        return len(
            self._rows(
                lambda n: (
                    n.user_id == user_id
                    and n.channel is Channel.IN_APP
                    and n.status is NotificationStatus.SENT
                    and n.read_at is None
                )
            )
        )


class MemoryPreferenceRepository(MemoryRepository[NotificationPreferences]):
    table = "notification_preferences"
    entity = "notification preferences"

    def find(self, user_id: UserId) -> NotificationPreferences | None:
        return self._find(user_id)

    def put(self, preferences: NotificationPreferences) -> None:
        if self._scope.tx.contains(self.table, self._row_key(preferences.user_id)):
            self.save(preferences)
        else:
            self.add(preferences)


class MemoryTemplateRepository(MemoryRepository[Template]):
    table = "notification_templates"
    entity = "notification template"

    def key_of(self, entity: Template) -> Hashable:
        return (entity.key, entity.channel, entity.language, entity.version)

    def active(self, key: str, channel: Channel, language: str) -> Template | None:
        versions = self.versions(key, channel, language)
        return versions[-1] if versions else None

    def versions(self, key: str, channel: Channel, language: str) -> list[Template]:
        found = self._rows(
            lambda t: t.key == key and t.channel == channel and t.language == language
        )
        return sorted(found, key=lambda t: t.version)
