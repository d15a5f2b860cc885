"""The notifications, preferences and templates repositories on PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from psycopg.types.json import Jsonb
from sqlalchemy import Select, Text, func, select

from travelcore.kernel import UserId, from_data, to_data
from travelcore.notifications import (
    Channel,
    Notification,
    NotificationId,
    NotificationPreferences,
    NotificationStatus,
    NotificationType,
    Priority,
    QuietHours,
    Template,
)
from travelcore_adapters.postgres.repositories.base import TableRepository
from travelcore_adapters.postgres.statements import version_statement
from travelcore_adapters.postgres.tables.notifications import (
    notification_preferences as prefs,
)
from travelcore_adapters.postgres.tables.notifications import (
    notification_templates as tpl,
)
from travelcore_adapters.postgres.tables.notifications import notifications as n

PENDING = (NotificationStatus.QUEUED.value, NotificationStatus.FAILED.value)


class PostgresNotificationRepository(TableRepository[Notification]):
    table = n
    entity = "notification"
    audited = False  # content (personal text the erasure redacts or deletes), not a change of state
    lock_on_get: ClassVar[bool] = True  # a notification read from several tabs at once

    def to_row(self, entity: Notification) -> dict[str, Any]:
        return {
            "tenant_id": entity.tenant_id,
            "id": entity.id,
            "user_id": entity.user_id,
            "key": entity.key,
            "notification_type": entity.type.value,
            "channel": entity.channel.value,
            "priority": entity.priority.value,
            "title": entity.title,
            "body": entity.body,
            "html": entity.html,
            "language": entity.language,
            "data_payload": Jsonb(to_data(entity.data)),
            "related_entity_type": entity.related_entity_type,
            "related_entity_id": entity.related_entity_id,
            "action_url": entity.action_url,
            "scheduled_for": entity.scheduled_for,
            "created_at": entity.created_at,
            "due_at": entity.due_at,
            "status": entity.status.value,
            "attempts": entity.attempts,
            "last_error": entity.last_error,
            "sent_at": entity.sent_at,
            "external_delivery_id": entity.external_id,
            "read_at": entity.read_at,
            "version": entity.version,
        }

    def to_entity(self, row: Any) -> Notification:
        return Notification(
            id=NotificationId(row.id),
            tenant_id=row.tenant_id,
            user_id=UserId(row.user_id),
            key=row.key,
            type=NotificationType(row.notification_type),
            channel=Channel(row.channel),
            priority=Priority(row.priority),
            title=row.title,
            body=row.body,
            html=row.html,
            language=row.language,
            data=row.data_payload,
            related_entity_type=row.related_entity_type,
            related_entity_id=row.related_entity_id,
            action_url=row.action_url,
            scheduled_for=row.scheduled_for,
            created_at=row.created_at,
            due_at=row.due_at,
            status=NotificationStatus(row.status),
            attempts=row.attempts,
            last_error=row.last_error,
            sent_at=row.sent_at,
            external_id=row.external_delivery_id,
            read_at=row.read_at,
            version=row.version,
        )

    def find_by_key(self, key: str) -> Notification | None:
        return self._first(self._select(n.c.key == key))

    def claim_due(
        self, now: datetime, limit: int, channels: frozenset[Channel]
    ) -> list[Notification]:
        query = (
            self._select(
                n.c.status.in_(PENDING),
                n.c.due_at <= now,
                n.c.channel.in_([c.value for c in channels]),
            )
            .order_by(n.c.due_at, n.c.created_at, n.c.id.cast(Text))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return self._all(query)

    def for_user(
        self, user_id: UserId, *, channel: Channel | None = None, unread_only: bool = False
    ) -> list[Notification]:
        query = self._select(n.c.user_id == user_id)
        if channel is not None:
            query = query.where(n.c.channel == channel.value)
        if unread_only:
            query = query.where(n.c.read_at.is_(None))
        return self._all(query.order_by(n.c.created_at.desc(), n.c.id.cast(Text).desc()))

    def for_entity(self, entity_id: UUID) -> list[Notification]:
        query = self._select(n.c.related_entity_id == entity_id)
        return self._all(query.order_by(n.c.created_at, n.c.id.cast(Text)))

    def unread_count(self, user_id: UserId) -> int:
        query = select(func.count()).where(
            n.c.tenant_id == self._tid,
            n.c.user_id == user_id,
            n.c.channel == Channel.IN_APP.value,
            n.c.status == NotificationStatus.SENT.value,
            n.c.read_at.is_(None),
        )
        return int(self._scope.execute(query).scalar_one())


class PostgresPreferenceRepository(TableRepository[NotificationPreferences]):
    table = prefs
    entity = "notification preferences"
    lock_on_get: ClassVar[bool] = True

    def to_row(self, entity: NotificationPreferences) -> dict[str, Any]:
        quiet = entity.quiet_hours
        return {
            "tenant_id": entity.tenant_id,
            "user_id": entity.user_id,
            "channels": Jsonb(to_data(entity.channels)),
            "quiet_start": quiet.start if quiet else None,
            "quiet_end": quiet.end if quiet else None,
            "quiet_timezone": quiet.timezone if quiet else None,
            "language": entity.language,
            "addresses": Jsonb(to_data(entity.addresses)),
            "version": entity.version,
        }

    def to_entity(self, row: Any) -> NotificationPreferences:
        quiet = None
        if row.quiet_start is not None:
            quiet = QuietHours(
                start=row.quiet_start, end=row.quiet_end, timezone=row.quiet_timezone
            )
        return NotificationPreferences(
            tenant_id=row.tenant_id,
            user_id=UserId(row.user_id),
            channels=from_data(row.channels, dict[NotificationType, tuple[Channel, ...]]),
            quiet_hours=quiet,
            language=row.language,
            addresses=from_data(row.addresses, dict[Channel, str]),
            version=row.version,
        )

    def find(self, user_id: UserId) -> NotificationPreferences | None:
        return self._find(user_id)

    def put(self, preferences: NotificationPreferences) -> None:
        stored = self._scope.rows(version_statement(self.table), self._params(preferences.user_id))
        if stored:
            self.save(preferences)
        else:
            self.add(preferences)


class PostgresTemplateRepository(TableRepository[Template]):
    table = tpl
    entity = "notification template"

    def to_row(self, entity: Template) -> dict[str, Any]:
        return {
            "tenant_id": entity.tenant_id,
            "template_key": entity.key,
            "channel": entity.channel.value,
            "language_code": entity.language,
            "version": entity.version,
            "name": entity.name,
            "title": entity.title,
            "body": entity.body,
            "html": entity.html,
            "available_variables": Jsonb(list(entity.variables)),
            "category": entity.category,
            "created_at": entity.created_at,
        }

    def to_entity(self, row: Any) -> Template:
        return Template(
            tenant_id=row.tenant_id,
            key=row.template_key,
            channel=Channel(row.channel),
            language=row.language_code,
            name=row.name,
            title=row.title,
            body=row.body,
            html=row.html,
            variables=tuple(row.available_variables),
            category=row.category,
            version=row.version,
            created_at=row.created_at,
        )

    def active(self, key: str, channel: Channel, language: str) -> Template | None:
        return self._first(self._versions(key, channel, language).order_by(tpl.c.version.desc()))

    def versions(self, key: str, channel: Channel, language: str) -> list[Template]:
        return self._all(self._versions(key, channel, language).order_by(tpl.c.version))

    def _versions(self, key: str, channel: Channel, language: str) -> Select[Any]:
        return self._select(
            tpl.c.template_key == key,
            tpl.c.channel == Channel(channel).value,
            tpl.c.language_code == language,
        )
