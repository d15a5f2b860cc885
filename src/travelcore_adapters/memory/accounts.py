"""Memory repositories of the accounts context."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from travelcore.accounts import Conversation, ConversationId, Credential, Message, UserAccount
from travelcore.kernel import UserId
from travelcore_adapters.memory.repository import MemoryRepository, MemoryScope


class MemoryAccounts(MemoryRepository[UserAccount]):
    table, entity = "travel/accounts", "account"

    def key_of(self, entity: UserAccount) -> Hashable:
        return entity.user_id

    def _check_unique(self, entity: UserAccount) -> None:
        self._clash(entity, lambda row: row.email == entity.email, "email")

    def find_by_email(self, email: str) -> UserAccount | None:
        return self._first(lambda a: a.email == email.strip().lower())


class MemoryCredentials(MemoryRepository[Credential]):
    table, entity = "travel/credentials", "credential"

    def list(self, *, user_id: UserId | None = None) -> Sequence[Credential]:
        found = self._rows(lambda c: user_id is None or c.user_id == user_id)
        return sorted(found, key=lambda c: (c.created_at, str(c.id)))

    def list_for_update(self) -> Sequence[Credential]:
        """:meth:`list`: a memory unit of work holds the store's lock from begin to end."""
        return self.list()


class MemoryMessages(MemoryRepository[Message]):
    table, entity = "travel/conversation_messages", "message"
    audited = False  # content (personal text the erasure redacts or deletes), not a change of state

    def of(self, conversation_id: ConversationId) -> list[Message]:
        return self._rows(lambda m: m.conversation_id == conversation_id)


class MemoryConversations(MemoryRepository[Conversation]):
    table, entity = "travel/conversations", "conversation"

    def __init__(self, scope: MemoryScope) -> None:
        super().__init__(scope)
        self._messages = MemoryMessages(scope)

    def for_user(self, user_id: UserId) -> Sequence[Conversation]:
        found = self._rows(lambda c: c.user_id == user_id)
        return sorted(found, key=lambda c: (c.started_at, str(c.id)))

    def add_message(self, message: Message) -> None:
        self.get(message.conversation_id)
        self._messages.add(message)

    def messages(self, conversation_id: ConversationId) -> Sequence[Message]:
        found = self._messages.of(conversation_id)
        return sorted(found, key=lambda m: (m.sent_at, str(m.id)))
