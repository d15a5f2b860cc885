"""Tables of the accounts context (seed 000): user accounts (argon2id hashes only),
provider credentials (ciphertext only, ``bytea``), conversations and their messages."""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import UUID

from travelcore.accounts import Modality, Role
from travelcore_adapters.postgres.tables.base import tenant_table
from travelcore_adapters.postgres.tables.travel import one_of

accounts = tenant_table(
    "accounts",
    Column("user_id", UUID(as_uuid=True), nullable=False),
    Column("email", String(255), nullable=False),
    Column("name", String(100), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),
    PrimaryKeyConstraint("tenant_id", "user_id"),
    UniqueConstraint("tenant_id", "email"),
)

credentials = tenant_table(
    "credentials",
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("user_id", UUID(as_uuid=True), nullable=False),
    Column("provider", String(50), nullable=False),
    Column("sealed", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),
    PrimaryKeyConstraint("tenant_id", "id"),
)
Index(None, credentials.c.tenant_id, credentials.c.user_id)

conversations = tenant_table(
    "conversations",
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("user_id", UUID(as_uuid=True), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True), nullable=True),
    Column("version", Integer, nullable=False),
    PrimaryKeyConstraint("tenant_id", "id"),
)
Index(None, conversations.c.tenant_id, conversations.c.user_id)

conversation_messages = tenant_table(
    "conversation_messages",
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("conversation_id", UUID(as_uuid=True), nullable=False),
    Column("role", String(16), nullable=False),
    Column("modality", String(16), nullable=False),
    Column("content", Text, nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("tenant_id", "id"),
    ForeignKeyConstraint(
        ["tenant_id", "conversation_id"],
        ["conversations.tenant_id", "conversations.id"],
        name="fk_conversation_messages_conversations",
    ),
    CheckConstraint(one_of("role", [r.value for r in Role]), name="role"),
    CheckConstraint(one_of("modality", [m.value for m in Modality]), name="modality"),
)
Index(
    None,
    conversation_messages.c.tenant_id,
    conversation_messages.c.conversation_id,
    conversation_messages.c.sent_at,
)
