"""Contracts for the accounts repositories, secret boxes and password hashers."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest

from travelcore.accounts import (
    Conversation,
    ConversationId,
    Credential,
    CredentialId,
    Message,
    MessageId,
    Modality,
    PasswordHasher,
    Role,
    Secret,
    SecretBox,
    UserAccount,
    associated_data,
)
from travelcore.kernel import (
    AlreadyExists,
    NotFound,
    StaleVersion,
    TenantId,
    UserId,
    new_uuid,
)
from travelcore.kernel.errors import SecretUnreadable

T0 = datetime(2026, 1, 1, tzinfo=UTC)


class AccountRepositoriesContract:
    """Subclass and provide ``uow_factory``: ``(TenantId, EventBus | None) -> unit of work``
    with ``accounts``, ``credentials`` and ``conversations``."""

    @pytest.fixture
    def tenant(self) -> TenantId:
        return TenantId(new_uuid())

    def _account(self, tenant: TenantId, email: str = "Ada@Example.com") -> UserAccount:
        return UserAccount(
            tenant_id=tenant,
            user_id=UserId(new_uuid()),
            email=email,
            name="Ada",
            password_hash="$argon2id$fake",  # noqa: S106
            created_at=T0,
        )

    def test_accounts(self, uow_factory: Callable[..., Any], tenant: TenantId) -> None:
        account = self._account(tenant)
        with uow_factory(tenant, None) as uow:
            uow.accounts.add(account)
            uow.commit()
        with uow_factory(tenant, None) as uow:
            assert uow.accounts.get(account.user_id) == account
            assert uow.accounts.find_by_email("ada@example.com") == account
            with pytest.raises(AlreadyExists):
                uow.accounts.add(self._account(tenant, "ada@example.com"))
            newer = account.with_password_hash("$argon2id$other")
            uow.accounts.save(newer)
            assert newer.version == account.version + 1
            with pytest.raises(StaleVersion):
                uow.accounts.save(account.with_password_hash("$argon2id$third"))
            uow.commit()
        other = TenantId(new_uuid())
        with uow_factory(other, None) as uow:
            assert uow.accounts.find_by_email("ada@example.com") is None
            with pytest.raises(NotFound):
                uow.accounts.get(account.user_id)
            uow.accounts.add(self._account(other))  # emails are unique per tenant only

    def test_credentials(self, uow_factory: Callable[..., Any], tenant: TenantId) -> None:
        user = UserId(new_uuid())

        def credential(at: datetime, owner: UserId = user) -> Credential:
            return Credential(
                id=CredentialId(new_uuid()),
                tenant_id=tenant,
                user_id=owner,
                provider="Amadeus",
                sealed=b"\x01\x02sealed-bytes",
                created_at=at,
                updated_at=at,
            )

        later, first, theirs = (
            credential(T0 + timedelta(1)),
            credential(T0),
            credential(T0, UserId(new_uuid())),
        )
        with uow_factory(tenant, None) as uow:
            for item in (later, first, theirs):
                uow.credentials.add(item)
            uow.commit()
        with uow_factory(tenant, None) as uow:
            assert uow.credentials.get(first.id) == first
            assert [c.id for c in uow.credentials.list(user_id=user)] == [first.id, later.id]
            assert len(uow.credentials.list()) == 3
            assert uow.credentials.list_for_update() == uow.credentials.list()
            resealed = first.resealed(b"\x01\x02new", T0)
            uow.credentials.save(resealed)
            with pytest.raises(StaleVersion):
                uow.credentials.save(first.resealed(b"\x01\x02newer", T0))
            with pytest.raises(AlreadyExists):
                uow.credentials.add(later)
            uow.commit()
        with uow_factory(tenant, None) as uow:
            assert uow.credentials.get(first.id).sealed == b"\x01\x02new"
        with uow_factory(TenantId(new_uuid()), None) as uow:
            assert list(uow.credentials.list()) == []
            with pytest.raises(NotFound):
                uow.credentials.get(first.id)

    def test_conversations(self, uow_factory: Callable[..., Any], tenant: TenantId) -> None:
        user = UserId(new_uuid())
        chat = Conversation(
            id=ConversationId(new_uuid()), tenant_id=tenant, user_id=user, started_at=T0
        )

        def message(minutes: int, role: Role) -> Message:
            return Message(
                id=MessageId(new_uuid()),
                tenant_id=tenant,
                conversation_id=chat.id,
                role=role,
                modality=Modality.TEXT if role is Role.USER else Modality.VOICE,
                content=f"at {minutes}",
                sent_at=T0 + timedelta(minutes=minutes),
            )

        second, first = message(2, Role.AGENT), message(1, Role.USER)
        with uow_factory(tenant, None) as uow:
            uow.conversations.add(chat)
            uow.conversations.add_message(second)
            uow.conversations.add_message(first)
            uow.commit()
        with uow_factory(tenant, None) as uow:
            assert uow.conversations.get(chat.id) == chat
            assert list(uow.conversations.messages(chat.id)) == [first, second]
            assert [c.id for c in uow.conversations.for_user(user)] == [chat.id]
            ended = chat.ended(T0 + timedelta(hours=1))
            uow.conversations.save(ended)
            with pytest.raises(StaleVersion):
                uow.conversations.save(chat.ended(T0 + timedelta(hours=2)))
            with pytest.raises(NotFound):
                uow.conversations.add_message(
                    attrs.evolve(
                        first, id=MessageId(new_uuid()), conversation_id=ConversationId(new_uuid())
                    )
                )
        with uow_factory(TenantId(new_uuid()), None) as uow:
            assert list(uow.conversations.messages(chat.id)) == []
            with pytest.raises(NotFound):
                uow.conversations.get(chat.id)


class SecretBoxContract:
    """Provide ``box`` (seals with key A), ``rotated_box`` (seals with a new key B and still
    knows A) and ``stranger_box`` (knows neither)."""

    AD = associated_data(TenantId(new_uuid()), CredentialId(new_uuid()))

    def test_round_trip_without_clear_text(self, box: SecretBox) -> None:
        sealed = box.seal(b"api-key-123", self.AD)
        assert b"api-key-123" not in sealed
        assert box.open(sealed, self.AD) == b"api-key-123"
        assert box.seal(b"api-key-123", self.AD) != sealed  # fresh nonce
        assert box.is_current(sealed)

    def test_bound_to_its_row(self, box: SecretBox) -> None:
        sealed = box.seal(b"secret", self.AD)
        other_row = associated_data(TenantId(new_uuid()), CredentialId(new_uuid()))
        with pytest.raises(SecretUnreadable):
            box.open(sealed, other_row)

    def test_tampering_is_detected(self, box: SecretBox) -> None:
        sealed = bytearray(box.seal(b"secret", self.AD))
        sealed[-1] ^= 1
        with pytest.raises(SecretUnreadable):
            box.open(bytes(sealed), self.AD)
        with pytest.raises(SecretUnreadable):
            box.open(b"garbage", self.AD)

    def test_rotation(
        self, box: SecretBox, rotated_box: SecretBox, stranger_box: SecretBox
    ) -> None:
        old = box.seal(b"secret", self.AD)
        assert not rotated_box.is_current(old)
        assert rotated_box.open(old, self.AD) == b"secret"
        new = rotated_box.seal(rotated_box.open(old, self.AD), self.AD)
        assert rotated_box.is_current(new)
        assert rotated_box.open(new, self.AD) == b"secret"
        with pytest.raises(SecretUnreadable):
            box.open(new, self.AD)
        with pytest.raises(SecretUnreadable):
            stranger_box.open(old, self.AD)

    def test_digest_is_keyed(self, box: SecretBox, stranger_box: SecretBox) -> None:
        assert box.digest(b"secret") == box.digest(b"secret")
        assert box.digest(b"secret") != box.digest(b"secre7")
        assert box.digest(b"secret") != stranger_box.digest(b"secret")  # another key
        plain = {hashlib.new(name, b"secret").hexdigest() for name in ("md5", "sha1", "sha256")}
        assert box.digest(b"secret") not in plain


class PasswordHasherContract:
    """Provide ``hasher`` and ``weaker_hasher`` (older, cheaper parameters)."""

    def test_hash_and_verify(self, hasher: PasswordHasher) -> None:
        hashed = hasher.hash(Secret("correct horse"))
        assert "correct horse" not in hashed
        assert hasher.verify(hashed, Secret("correct horse"))
        assert not hasher.verify(hashed, Secret("wrong horse"))
        assert not hasher.verify("not-a-hash", Secret("correct horse"))
        assert hasher.hash(Secret("correct horse")) != hashed  # salted

    def test_needs_rehash(self, hasher: PasswordHasher, weaker_hasher: PasswordHasher) -> None:
        assert not hasher.needs_rehash(hasher.hash(Secret("password1")))
        old = weaker_hasher.hash(Secret("password1"))
        assert hasher.needs_rehash(old)
        assert hasher.verify(old, Secret("password1"))
