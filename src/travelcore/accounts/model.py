"""User accounts, third-party credentials (sealed, never in clear) and conversations."""

from __future__ import annotations

import hmac
import re
from datetime import datetime
from enum import StrEnum
from typing import NewType
from uuid import UUID

import attrs

from travelcore.kernel import InvalidTransition, TenantId, UserId, ValidationFailed, utc
from travelcore.kernel.serialization import converter

CredentialId = NewType("CredentialId", UUID)
ConversationId = NewType("ConversationId", UUID)
MessageId = NewType("MessageId", UUID)

MAX_MESSAGE_LENGTH = 20_000
MIN_PASSWORD_LENGTH = 8


class Secret:
    """A secret string whose ``repr``/``str`` and serialized form are redacted."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise ValidationFailed("secret", "string")
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash((Secret, len(self._value)))


# Secrets never reach JSON, logs or idempotency fingerprints.
converter.register_unstructure_hook(Secret, lambda _: "***")


def _text(field: str, value: str, max_length: int) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed(field, "non_empty")
    if len(value) > max_length:
        raise ValidationFailed(field, f"max_length_{max_length}")


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_email(email: str) -> str:
    _text("email", email, 255)
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise ValidationFailed("email", "email_address")
    return email


def check_password(password: Secret) -> None:
    if len(password.reveal()) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed("password", f"min_length_{MIN_PASSWORD_LENGTH}")


@attrs.define(kw_only=True, on_setattr=attrs.setters.frozen)
class UserAccount:
    """A tenant's user with an argon2id password hash (never the password)."""

    tenant_id: TenantId
    user_id: UserId
    email: str = attrs.field(converter=normalise_email)
    name: str
    password_hash: str = attrs.field(repr=False)
    created_at: datetime
    version: int = attrs.field(default=1, on_setattr=attrs.setters.NO_OP)
    """Changed only by a repository's ``save`` (see ``travelcore.kernel.repository``)."""

    def __attrs_post_init__(self) -> None:
        _text("name", self.name, 100)

    def with_password_hash(self, password_hash: str) -> UserAccount:
        return attrs.evolve(self, password_hash=password_hash)


@attrs.define(kw_only=True, on_setattr=attrs.setters.frozen)
class Credential:
    """A user's credentials for a provider (e.g. Amadeus), sealed by a ``SecretBox`` with the
    tenant and credential id as associated data, so the ciphertext cannot move rows."""

    id: CredentialId
    tenant_id: TenantId
    user_id: UserId
    provider: str
    sealed: bytes = attrs.field(repr=False)
    created_at: datetime
    updated_at: datetime
    version: int = attrs.field(default=1, on_setattr=attrs.setters.NO_OP)
    """Changed only by a repository's ``save`` (see ``travelcore.kernel.repository``)."""

    def __attrs_post_init__(self) -> None:
        _text("provider", self.provider, 50)

    @property
    def associated_data(self) -> bytes:
        return associated_data(self.tenant_id, self.id)

    def resealed(self, sealed: bytes, now: datetime) -> Credential:
        return attrs.evolve(self, sealed=sealed, updated_at=utc(now, "now"))


def associated_data(tenant_id: TenantId, credential_id: CredentialId) -> bytes:
    return f"travelcore.credential:{tenant_id}:{credential_id}".encode()


class Role(StrEnum):
    USER = "user"
    AGENT = "agent"


class Modality(StrEnum):
    TEXT = "text"
    VOICE = "voice"


@attrs.define(kw_only=True, on_setattr=attrs.setters.frozen)
class Conversation:
    """A chat or voice session of one user with the agent."""

    id: ConversationId
    tenant_id: TenantId
    user_id: UserId
    started_at: datetime
    ended_at: datetime | None = None
    version: int = attrs.field(default=1, on_setattr=attrs.setters.NO_OP)
    """Changed only by a repository's ``save`` (see ``travelcore.kernel.repository``)."""

    def ended(self, now: datetime) -> Conversation:
        if self.ended_at is not None:
            raise InvalidTransition("conversation", "ended", "ended")
        return attrs.evolve(self, ended_at=utc(now, "now"))


@attrs.frozen(kw_only=True)
class Message:
    id: MessageId
    tenant_id: TenantId
    conversation_id: ConversationId
    role: Role
    modality: Modality
    content: str
    sent_at: datetime

    def __attrs_post_init__(self) -> None:
        _text("content", self.content, MAX_MESSAGE_LENGTH)
