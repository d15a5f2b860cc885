"""Ports of the accounts context: repositories, the secret box and the password hasher."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from travelcore.accounts.model import (
    Conversation,
    ConversationId,
    Credential,
    CredentialId,
    Message,
    Secret,
    UserAccount,
)
from travelcore.kernel import UnitOfWork, UserId
from travelcore.kernel.idempotency import IdempotencyStore
from travelcore.people.ports import UserRepository


class SecretBox(Protocol):
    """Authenticated encryption with a key ring: seals with the current key, opens with any
    key of the ring. ``associated_data`` binds a ciphertext to its row; opening with other
    data, an unknown key or a tampered token raises ``SecretUnreadable``."""

    def seal(self, plaintext: bytes, associated_data: bytes) -> bytes: ...

    def open(self, sealed: bytes, associated_data: bytes) -> bytes: ...

    def is_current(self, sealed: bytes) -> bool:
        """Whether ``sealed`` uses the current key (else it needs re-sealing)."""
        ...

    def digest(self, data: bytes) -> str:
        """A keyed digest of ``data`` (HMAC under a key of the application): equal data give
        equal digests, and nobody without the key can confirm a guess of ``data``."""
        ...


class PasswordHasher(Protocol):
    def hash(self, password: Secret) -> str: ...

    def verify(self, password_hash: str, password: Secret) -> bool:
        """``False`` for a wrong password or a malformed hash; never raises for those."""
        ...

    def needs_rehash(self, password_hash: str) -> bool:
        """Whether ``password_hash`` was made with weaker parameters than the current ones."""
        ...


class AccountRepository(Protocol):
    def add(self, account: UserAccount) -> None:
        """``AlreadyExists`` for a known user id or email (per tenant)."""
        ...

    def get(self, user_id: UserId) -> UserAccount: ...

    def find_by_email(self, email: str) -> UserAccount | None: ...

    def save(self, account: UserAccount) -> None: ...


class CredentialRepository(Protocol):
    def add(self, credential: Credential) -> None: ...

    def get(self, credential_id: CredentialId) -> Credential: ...

    def save(self, credential: Credential) -> None: ...

    def list(self, *, user_id: UserId | None = None) -> Sequence[Credential]:
        """By creation time."""
        ...

    def list_for_update(self) -> Sequence[Credential]:
        """Every credential of the tenant, by creation time, read to change them: each
        stays locked until the unit of work ends (``get_for_update`` of them all), so
        concurrent rotations queue and each finds what the one before it re-sealed."""
        ...


class ConversationRepository(Protocol):
    def add(self, conversation: Conversation) -> None: ...

    def get(self, conversation_id: ConversationId) -> Conversation: ...

    def save(self, conversation: Conversation) -> None: ...

    def for_user(self, user_id: UserId) -> Sequence[Conversation]:
        """By start time."""
        ...

    def add_message(self, message: Message) -> None: ...

    def messages(self, conversation_id: ConversationId) -> Sequence[Message]:
        """By send time."""
        ...


class AccountsUnitOfWork(UnitOfWork, Protocol):
    @property
    def idempotency(self) -> IdempotencyStore: ...

    @property
    def accounts(self) -> AccountRepository: ...

    @property
    def users(self) -> UserRepository:
        """The people context's users: who a signed-in account is (:meth:`sign_in`)."""
        ...

    @property
    def credentials(self) -> CredentialRepository: ...

    @property
    def conversations(self) -> ConversationRepository: ...
