"""Repositories of the accounts context. Credentials are stored as the ``SecretBox``'s
ciphertext (``bytea``) only; accounts keep the argon2id hash, never a password."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Text, select
from sqlalchemy.dialects.postgresql import insert

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
from travelcore.kernel import AlreadyExists, NotFound, TenantId, UserId
from travelcore_adapters.postgres.repositories.common import (
    Repository,
    insert_new,
    own,
    save_versioned,
)
from travelcore_adapters.postgres.tables.accounts import accounts as acc
from travelcore_adapters.postgres.tables.accounts import conversation_messages as msg
from travelcore_adapters.postgres.tables.accounts import conversations as conv
from travelcore_adapters.postgres.tables.accounts import credentials as cred

if TYPE_CHECKING:
    pass


def _account(row: Any) -> UserAccount:
    return UserAccount(
        tenant_id=TenantId(row.tenant_id),
        user_id=UserId(row.user_id),
        email=row.email,
        name=row.name,
        password_hash=row.password_hash,
        created_at=row.created_at,
        version=row.version,
    )


class PostgresAccounts(Repository):
    """Accounts; emails are unique per tenant (``uq_accounts_tenant_id_email``)."""

    def add(self, account: UserAccount) -> None:
        own(self._uow, account.tenant_id, "account")
        stmt = (
            insert(acc)
            .values(
                tenant_id=account.tenant_id,
                user_id=account.user_id,
                email=account.email,
                name=account.name,
                password_hash=account.password_hash,
                created_at=account.created_at,
                version=account.version,
            )
            .on_conflict_do_nothing()
            .returning(acc.c.user_id)
        )
        if self._uow.execute(stmt).first() is None:
            raise AlreadyExists("an account with this user id or email exists", entity="account")

    def get(self, user_id: UserId) -> UserAccount:
        row = self._uow.execute(
            select(acc).where(acc.c.tenant_id == self._tid, acc.c.user_id == user_id)
        ).one_or_none()
        if row is None:
            raise NotFound("account", user_id)
        return _account(row)

    def find_by_email(self, email: str) -> UserAccount | None:
        row = self._uow.execute(
            select(acc).where(acc.c.tenant_id == self._tid, acc.c.email == email.strip().lower())
        ).one_or_none()
        return None if row is None else _account(row)

    def save(self, account: UserAccount) -> None:
        own(self._uow, account.tenant_id, "account")
        values = {
            "email": account.email,
            "name": account.name,
            "password_hash": account.password_hash,
        }
        save_versioned(
            self._uow,
            acc,
            [acc.c.user_id == account.user_id],
            account.version,
            values,
            "account",
            account.user_id,
        )


def _credential(row: Any) -> Credential:
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


class PostgresCredentials(Repository):
    def add(self, credential: Credential) -> None:
        own(self._uow, credential.tenant_id, "credential")
        insert_new(
            self._uow,
            cred,
            {
                "tenant_id": credential.tenant_id,
                "id": credential.id,
                "user_id": credential.user_id,
                "provider": credential.provider,
                "sealed": credential.sealed,
                "created_at": credential.created_at,
                "updated_at": credential.updated_at,
                "version": credential.version,
            },
            "credential",
        )

    def get(self, credential_id: CredentialId) -> Credential:
        row = self._uow.execute(
            select(cred).where(cred.c.tenant_id == self._tid, cred.c.id == credential_id)
        ).one_or_none()
        if row is None:
            raise NotFound("credential", credential_id)
        return _credential(row)

    def save(self, credential: Credential) -> None:
        own(self._uow, credential.tenant_id, "credential")
        values = {"sealed": credential.sealed, "updated_at": credential.updated_at}
        save_versioned(
            self._uow,
            cred,
            [cred.c.id == credential.id],
            credential.version,
            values,
            "credential",
            credential.id,
        )

    def list(self, *, user_id: UserId | None = None) -> Sequence[Credential]:
        where = [] if user_id is None else [cred.c.user_id == user_id]
        rows = self._uow.execute(
            select(cred)
            .where(cred.c.tenant_id == self._tid, *where)
            .order_by(cred.c.created_at, cred.c.id.cast(Text))
        )
        return [_credential(row) for row in rows]


def _conversation(row: Any) -> Conversation:
    return Conversation(
        id=ConversationId(row.id),
        tenant_id=TenantId(row.tenant_id),
        user_id=UserId(row.user_id),
        started_at=row.started_at,
        ended_at=row.ended_at,
        version=row.version,
    )


class PostgresConversations(Repository):
    """Conversations and their messages (a message's conversation must exist: foreign key)."""

    def add(self, conversation: Conversation) -> None:
        own(self._uow, conversation.tenant_id, "conversation")
        insert_new(
            self._uow,
            conv,
            {
                "tenant_id": conversation.tenant_id,
                "id": conversation.id,
                "user_id": conversation.user_id,
                "started_at": conversation.started_at,
                "ended_at": conversation.ended_at,
                "version": conversation.version,
            },
            "conversation",
        )

    def get(self, conversation_id: ConversationId) -> Conversation:
        row = self._uow.execute(
            select(conv).where(conv.c.tenant_id == self._tid, conv.c.id == conversation_id)
        ).one_or_none()
        if row is None:
            raise NotFound("conversation", conversation_id)
        return _conversation(row)

    def save(self, conversation: Conversation) -> None:
        own(self._uow, conversation.tenant_id, "conversation")
        save_versioned(
            self._uow,
            conv,
            [conv.c.id == conversation.id],
            conversation.version,
            {"ended_at": conversation.ended_at},
            "conversation",
            conversation.id,
        )

    def for_user(self, user_id: UserId) -> Sequence[Conversation]:
        rows = self._uow.execute(
            select(conv)
            .where(conv.c.tenant_id == self._tid, conv.c.user_id == user_id)
            .order_by(conv.c.started_at, conv.c.id.cast(Text))
        )
        return [_conversation(row) for row in rows]

    def add_message(self, message: Message) -> None:
        own(self._uow, message.tenant_id, "message")
        self.get(message.conversation_id)
        insert_new(
            self._uow,
            msg,
            {
                "tenant_id": message.tenant_id,
                "id": message.id,
                "conversation_id": message.conversation_id,
                "role": message.role.value,
                "modality": message.modality.value,
                "content": message.content,
                "sent_at": message.sent_at,
            },
            "message",
        )

    def messages(self, conversation_id: ConversationId) -> Sequence[Message]:
        rows = self._uow.execute(
            select(msg)
            .where(msg.c.tenant_id == self._tid, msg.c.conversation_id == conversation_id)
            .order_by(msg.c.sent_at, msg.c.id.cast(Text))
        )
        return [
            Message(
                id=MessageId(row.id),
                tenant_id=TenantId(row.tenant_id),
                conversation_id=ConversationId(row.conversation_id),
                role=Role(row.role),
                modality=Modality(row.modality),
                content=row.content,
                sent_at=row.sent_at,
            )
            for row in rows
        ]
