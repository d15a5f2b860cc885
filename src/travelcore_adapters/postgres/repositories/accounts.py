"""Repositories of the accounts context. Credentials are stored as the ``SecretBox``'s
ciphertext (``bytea``) only; accounts keep the argon2id hash, never a password."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from travelcore.accounts import (
    Conversation,
    ConversationId,
    Credential,
    CredentialId,
    Message,
    MessageId,
    Modality,
    Role,
    UserAccount,
)
from travelcore.kernel import TenantId, UserId
from travelcore_adapters.postgres.repositories.base import TableRepository
from travelcore_adapters.postgres.repositories.scope import PostgresScope
from travelcore_adapters.postgres.tables.accounts import accounts as acc
from travelcore_adapters.postgres.tables.accounts import conversation_messages as msg
from travelcore_adapters.postgres.tables.accounts import conversations as conv
from travelcore_adapters.postgres.tables.accounts import credentials as cred


class PostgresAccounts(TableRepository[UserAccount]):
    """Accounts; emails are unique per tenant (``uq_accounts_tenant_id_email``). ``get``
    locks the account's row (a rehash on sign-in); ``find_by_email`` does not."""

    table, entity = acc, "account"
    lock_on_get: ClassVar[bool] = True

    def to_row(self, entity: UserAccount) -> dict[str, Any]:
        return {
            "tenant_id": entity.tenant_id,
            "user_id": entity.user_id,
            "email": entity.email,
            "name": entity.name,
            "password_hash": entity.password_hash,
            "created_at": entity.created_at,
            "version": entity.version,
        }

    def to_entity(self, row: Any) -> UserAccount:
        return UserAccount(
            tenant_id=TenantId(row.tenant_id),
            user_id=UserId(row.user_id),
            email=row.email,
            name=row.name,
            password_hash=row.password_hash,
            created_at=row.created_at,
            version=row.version,
        )

    def find_by_email(self, email: str) -> UserAccount | None:
        return self._first(self._select(acc.c.email == email.strip().lower()))


class PostgresCredentials(TableRepository[Credential]):
    table, entity = cred, "credential"

    def to_row(self, entity: Credential) -> dict[str, Any]:
        return {
            "tenant_id": entity.tenant_id,
            "id": entity.id,
            "user_id": entity.user_id,
            "provider": entity.provider,
            "sealed": entity.sealed,
            "created_at": entity.created_at,
            "updated_at": entity.updated_at,
            "version": entity.version,
        }

    def to_entity(self, row: Any) -> Credential:
        return Credential(
            id=CredentialId(row.id),
            tenant_id=TenantId(row.tenant_id),
            user_id=UserId(row.user_id),
            provider=row.provider,
            sealed=bytes(row.sealed),
            created_at=row.created_at,
            updated_at=row.updated_at,
            version=row.version,
        )

    def list(self, *, user_id: UserId | None = None) -> Sequence[Credential]:
        where = [] if user_id is None else [cred.c.user_id == user_id]
        return self._all(self._select(*where).order_by(cred.c.created_at, cred.c.id))

    def list_for_update(self) -> Sequence[Credential]:
        """``FOR NO KEY UPDATE``, in the order of :meth:`list` (one lock order, no
        deadlock between rotations)."""
        query = self._select().order_by(cred.c.created_at, cred.c.id)
        return self._all(query.with_for_update(key_share=True))


class PostgresMessages(TableRepository[Message]):
    """Messages of conversations (a message's conversation must exist: foreign key)."""

    table, entity = msg, "message"
    audited = False  # content (personal text the erasure redacts or deletes), not a change of state

    def to_row(self, entity: Message) -> dict[str, Any]:
        return {
            "tenant_id": entity.tenant_id,
            "id": entity.id,
            "conversation_id": entity.conversation_id,
            "role": entity.role.value,
            "modality": entity.modality.value,
            "content": entity.content,
            "sent_at": entity.sent_at,
        }

    def to_entity(self, row: Any) -> Message:
        return Message(
            id=MessageId(row.id),
            tenant_id=TenantId(row.tenant_id),
            conversation_id=ConversationId(row.conversation_id),
            role=Role(row.role),
            modality=Modality(row.modality),
            content=row.content,
            sent_at=row.sent_at,
        )

    def of(self, conversation_id: ConversationId) -> list[Message]:
        query = self._select(msg.c.conversation_id == conversation_id)
        return self._all(query.order_by(msg.c.sent_at, msg.c.id))


class PostgresConversations(TableRepository[Conversation]):
    """``get`` locks the conversation's row: a message posted and the conversation ended at
    once queue, so no message follows the end."""

    table, entity = conv, "conversation"
    lock_on_get: ClassVar[bool] = True

    def __init__(self, scope: PostgresScope) -> None:
        super().__init__(scope)
        self._messages = PostgresMessages(scope)

    def to_row(self, entity: Conversation) -> dict[str, Any]:
        return {
            "tenant_id": entity.tenant_id,
            "id": entity.id,
            "user_id": entity.user_id,
            "started_at": entity.started_at,
            "ended_at": entity.ended_at,
            "version": entity.version,
        }

    def to_entity(self, row: Any) -> Conversation:
        return Conversation(
            id=ConversationId(row.id),
            tenant_id=TenantId(row.tenant_id),
            user_id=UserId(row.user_id),
            started_at=row.started_at,
            ended_at=row.ended_at,
            version=row.version,
        )

    def for_user(self, user_id: UserId) -> Sequence[Conversation]:
        query = self._select(conv.c.user_id == user_id)
        return self._all(query.order_by(conv.c.started_at, conv.c.id))

    def add_message(self, message: Message) -> None:
        self.get(message.conversation_id)
        self._messages.add(message)

    def messages(self, conversation_id: ConversationId) -> Sequence[Message]:
        return self._messages.of(conversation_id)
