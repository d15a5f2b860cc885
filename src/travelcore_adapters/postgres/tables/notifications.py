"""Tables of the notifications context (seed 003 ``notifications`` and
``notification_templates``, with ``tenant_id`` leading every key) and per-user preferences.

The seed's ``is_sent``/``send_error`` are ``status``/``last_error``; its template columns
``email_subject``/``in_app_title``, ``email_body_text``/``short_body``/``in_app_body`` and
``email_body_html`` are ``title``, ``body`` and ``html`` of a template for one channel.
"""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from travelcore.notifications import Channel, NotificationStatus, Priority
from travelcore_adapters.postgres.tables.base import one_of, tenant_table

CHANNELS = [c.value for c in Channel]

notifications = tenant_table(
    "notifications",
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("user_id", UUID(as_uuid=True), nullable=False),
    Column("key", String(255), nullable=False),
    Column("notification_type", String(50), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("priority", String(16), nullable=False),
    Column("title", String(255), nullable=False),
    Column("body", Text, nullable=False),
    Column("html", Text, nullable=True),
    Column("language", String(10), nullable=False),
    Column("data_payload", JSONB, nullable=False),
    Column("related_entity_type", String(50), nullable=True),
    Column("related_entity_id", UUID(as_uuid=True), nullable=True),
    Column("action_url", String(500), nullable=True),
    Column("scheduled_for", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Column("external_delivery_id", String(255), nullable=True),
    Column("read_at", DateTime(timezone=True), nullable=True),
    Column("version", Integer, nullable=False),
    PrimaryKeyConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "key"),
    CheckConstraint(one_of("channel", CHANNELS), name="channel"),
    CheckConstraint(one_of("priority", [p.value for p in Priority]), name="priority"),
    CheckConstraint(one_of("status", [s.value for s in NotificationStatus]), name="status"),
)
Index(
    "ix_notifications_user",
    notifications.c.tenant_id,
    notifications.c.user_id,
    notifications.c.created_at,
)
Index(
    "ix_notifications_due",
    notifications.c.tenant_id,
    notifications.c.due_at,
    postgresql_where=text("status IN ('queued', 'failed')"),
)
Index(
    "ix_notifications_entity",
    notifications.c.tenant_id,
    notifications.c.related_entity_id,
    postgresql_where=text("related_entity_id IS NOT NULL"),
)

notification_preferences = tenant_table(
    "notification_preferences",
    Column("user_id", UUID(as_uuid=True), nullable=False),
    Column("channels", JSONB, nullable=False),
    Column("quiet_start", Time, nullable=True),
    Column("quiet_end", Time, nullable=True),
    Column("quiet_timezone", String(64), nullable=True),
    Column("language", String(10), nullable=True),
    Column("addresses", JSONB, nullable=False),
    Column("version", Integer, nullable=False),
    PrimaryKeyConstraint("tenant_id", "user_id"),
)

notification_templates = tenant_table(
    "notification_templates",
    Column("template_key", String(100), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("language_code", String(10), nullable=False),
    Column("version", Integer, nullable=False),
    Column("name", String(255), nullable=False),
    Column("title", String(255), nullable=False),
    Column("body", Text, nullable=False),
    Column("html", Text, nullable=True),
    Column("available_variables", JSONB, nullable=False),
    Column("category", String(50), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("tenant_id", "template_key", "channel", "language_code", "version"),
    CheckConstraint(one_of("channel", CHANNELS), name="channel"),
)
