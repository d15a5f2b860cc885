"""Memory repositories of the accounts context."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from travelcore.accounts import (
    Conversation,
    ConversationId,
    Credential,
    CredentialId,
    Message,
    UserAccount,
)
from travelcore.kernel import AlreadyExists, UserId
from travelcore_adapters.memory.rows import Rows

if TYPE_CHECKING:
    from travelcore_adapters.memory.uow import MemoryUnitOfWork


class MemoryAccounts:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._rows = Rows[UserAccount](uow, "travel/accounts", "account")

    def add(self, account: UserAccount) -> None:
        if self.find_by_email(account.email) is not None:
            raise AlreadyExists("an account with this email exists", entity="account")
        self._rows.add(account.user_id, account)

    def get(self, user_id: UserId) -> UserAccount:
        return self._rows.get(user_id)

    def find_by_email(self, email: str) -> UserAccount | None:
        found = self._rows.all(lambda a: a.email == email.strip().lower())
        return found[0] if found else None

    def save(self, account: UserAccount) -> None:
        clash = self.find_by_email(account.email)
        if clash is not None and clash.user_id != account.user_id:
            raise AlreadyExists("an account with this email exists", entity="account")
        self._rows.save(account.user_id, account)


class MemoryCredentials:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._rows = Rows[Credential](uow, "travel/credentials", "credential")

    def add(self, credential: Credential) -> None:
        self._rows.add(credential.id, credential)

    def get(self, credential_id: CredentialId) -> Credential:
        return self._rows.get(credential_id)

    def save(self, credential: Credential) -> None:
        self._rows.save(credential.id, credential)

    def list(self, *, user_id: UserId | None = None) -> Sequence[Credential]:
        found = self._rows.all(lambda c: user_id is None or c.user_id == user_id)
        return sorted(found, key=lambda c: (c.created_at, str(c.id)))


class MemoryConversations:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._rows = Rows[Conversation](uow, "travel/conversations", "conversation")
        self._messages = Rows[Message](uow, "travel/conversation_messages", "message")

    def add(self, conversation: Conversation) -> None:
        self._rows.add(conversation.id, conversation)

    def get(self, conversation_id: ConversationId) -> Conversation:
        return self._rows.get(conversation_id)

    def save(self, conversation: Conversation) -> None:
        self._rows.save(conversation.id, conversation)

    def for_user(self, user_id: UserId) -> Sequence[Conversation]:
        found = self._rows.all(lambda c: c.user_id == user_id)
        return sorted(found, key=lambda c: (c.started_at, str(c.id)))

    def add_message(self, message: Message) -> None:
        self._rows.get(message.conversation_id)
        self._messages.add(message.id, message)

    def messages(self, conversation_id: ConversationId) -> Sequence[Message]:
        found = self._messages.all(lambda m: m.conversation_id == conversation_id)
        return sorted(found, key=lambda m: (m.sent_at, str(m.id)))
