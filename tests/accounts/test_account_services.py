"""Accounts, sealed credentials and conversations over the memory and security adapters."""

from __future__ import annotations

import logging
from datetime import timedelta
from uuid import UUID

import attrs
import pytest

from travelcore.accounts import (
    AccountService,
    ConversationService,
    CredentialId,
    EndConversation,
    Modality,
    PostMessage,
    RegisterAccount,
    Role,
    RotateCredentials,
    RotationReport,
    Secret,
    StartConversation,
    StoreCredential,
)
from travelcore.kernel import (
    AccessDenied,
    AlreadyExists,
    IdempotencyConflict,
    InvalidTransition,
    ManualClock,
    TenantId,
    UserId,
    ValidationFailed,
    dumps,
    new_uuid,
)
from travelcore.kernel.errors import SecretUnreadable
from travelcore.kernel.idempotency import fingerprint, fingerprint_data
from travelcore.testing.actors import admin, job
from travelcore_adapters.memory import MemoryDatabase
from travelcore_adapters.security import AesGcmSecretBox, Argon2PasswordHasher

KEY_1 = AesGcmSecretBox.generate_key()
KEY_2 = AesGcmSecretBox.generate_key()
WEAK = Argon2PasswordHasher(time_cost=1, memory_cost=512, parallelism=1)
STRONG = Argon2PasswordHasher(time_cost=2, memory_cost=1024, parallelism=1)


class Env:
    def __init__(self, clock: ManualClock) -> None:
        self.db = MemoryDatabase()
        self.clock = clock
        self.box = AesGcmSecretBox({"k1": KEY_1}, current="k1")
        self.accounts = AccountService(self.db, clock, secret_box=self.box, hasher=STRONG)
        self.chats = ConversationService(self.db, clock)
        self.tenant = TenantId(new_uuid())
        self.user = UserId(new_uuid())

    def register(self, email: str = "ada@example.com", key: str = "r") -> UserId:
        return self.accounts.register(
            RegisterAccount(
                tenant_id=self.tenant,
                user_id=self.user,
                email=email,
                name="Ada",
                password=Secret("correct horse"),
                idempotency_key=key,
            ),
            actor=admin(self.tenant),
        )

    def store(self, key: str = "c", api_key: str = "AMADEUS-KEY-123") -> CredentialId:
        return self.accounts.store_credential(
            StoreCredential(
                tenant_id=self.tenant,
                user_id=self.user,
                provider="Amadeus",
                fields={"api_key": Secret(api_key), "secret": Secret("s3cr3t")},
                idempotency_key=key,
            ),
            actor=admin(self.tenant),
        )


@pytest.fixture
def env(clock: ManualClock) -> Env:
    return Env(clock)


def test_register_and_authenticate(env: Env) -> None:
    assert env.register() == env.user
    assert env.register() == env.user  # idempotent replay
    account = env.accounts.authenticate(env.tenant, "ADA@example.com ", Secret("correct horse"))
    assert account.user_id == env.user
    assert account.password_hash.startswith("$argon2id$")
    assert "correct horse" not in repr(account)
    assert account.password_hash not in repr(account)
    for email, password in [("ada@example.com", "wrong horse"), ("bob@example.com", "x" * 9)]:
        with pytest.raises(AccessDenied):
            env.accounts.authenticate(env.tenant, email, Secret(password))
    with pytest.raises(AccessDenied):
        env.accounts.authenticate(env.tenant, "not an email", Secret("correct horse"))
    with pytest.raises(AccessDenied):
        env.accounts.authenticate(TenantId(new_uuid()), "ada@example.com", Secret("correct horse"))


def test_duplicate_email_and_short_password_are_refused(env: Env) -> None:
    env.register()
    with pytest.raises(AlreadyExists):
        env.accounts.register(
            RegisterAccount(
                tenant_id=env.tenant,
                user_id=UserId(new_uuid()),
                email="Ada@Example.com",
                name="Ada II",
                password=Secret("long enough"),
                idempotency_key="r2",
            ),
            actor=admin(env.tenant),
        )
    with pytest.raises(ValidationFailed) as err:
        env.accounts.register(
            RegisterAccount(
                tenant_id=env.tenant,
                user_id=UserId(new_uuid()),
                email="c@example.com",
                name="C",
                password=Secret("short"),
                idempotency_key="r3",
            ),
            actor=admin(env.tenant),
        )
    assert err.value.field == "password"


def test_outdated_hashes_are_upgraded_on_sign_in(env: Env) -> None:
    weak = AccountService(env.db, env.clock, secret_box=env.box, hasher=WEAK)
    weak.register(
        RegisterAccount(
            tenant_id=env.tenant,
            user_id=env.user,
            email="ada@example.com",
            name="Ada",
            password=Secret("correct horse"),
            idempotency_key="r",
        ),
        actor=admin(env.tenant),
    )
    before = weak.authenticate(env.tenant, "ada@example.com", Secret("correct horse"))
    assert STRONG.needs_rehash(before.password_hash)
    after = env.accounts.authenticate(env.tenant, "ada@example.com", Secret("correct horse"))
    assert after.version == 2
    assert not STRONG.needs_rehash(after.password_hash)
    again = env.accounts.authenticate(env.tenant, "ada@example.com", Secret("correct horse"))
    assert again.version == 2


def test_credentials_are_sealed_and_revealed(env: Env, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    credential_id = env.store()
    assert env.store() == credential_id
    [stored] = env.accounts.credentials(env.tenant, env.user, actor=admin(env.tenant))
    assert b"AMADEUS-KEY-123" not in stored.sealed
    assert "AMADEUS-KEY-123" not in repr(stored)
    fields = env.accounts.reveal_credential(env.tenant, stored.id, actor=admin(env.tenant))
    assert fields["api_key"].reveal() == "AMADEUS-KEY-123"
    assert "AMADEUS" not in repr(fields)
    assert "AMADEUS" not in caplog.text


def test_secrets_never_reach_serialized_commands() -> None:
    command = StoreCredential(
        tenant_id=TenantId(new_uuid()),
        user_id=UserId(new_uuid()),
        provider="Amadeus",
        fields={"api_key": Secret("AMADEUS-KEY-123")},
        idempotency_key="k",
    )
    assert "AMADEUS" not in dumps(command)
    assert "AMADEUS" not in repr(command)
    assert Secret("a") == Secret("a") != Secret("b")


def test_ciphertext_cannot_move_to_another_row(env: Env) -> None:
    first = env.store("c1", "FIRST")
    second = env.store("c2", "SECOND")
    with env.db(env.tenant) as uow:
        source = uow.credentials.get(first)
        target = uow.credentials.get(second)
        uow.credentials.save(attrs.evolve(target, sealed=source.sealed))
        uow.commit()
    with pytest.raises(SecretUnreadable):
        env.accounts.reveal_credential(env.tenant, second, actor=admin(env.tenant))


def test_key_rotation(env: Env) -> None:
    credential_id = env.store()
    rotated_box = AesGcmSecretBox({"k1": KEY_1, "k2": KEY_2}, current="k2")
    rotated = AccountService(env.db, env.clock, secret_box=rotated_box, hasher=STRONG)
    assert (
        rotated.reveal_credential(env.tenant, credential_id, actor=admin(env.tenant))[
            "secret"
        ].reveal()
        == "s3cr3t"
    )
    report = rotated.rotate_credentials(
        RotateCredentials(tenant_id=env.tenant, idempotency_key="x"), actor=job(env.tenant)
    )
    assert report == RotationReport(resealed=(credential_id,), unreadable=())
    again = rotated.rotate_credentials(
        RotateCredentials(tenant_id=env.tenant, idempotency_key="y"), actor=job(env.tenant)
    )
    assert again == RotationReport(resealed=(), unreadable=())
    [stored] = rotated.credentials(env.tenant, env.user, actor=admin(env.tenant))
    assert rotated_box.is_current(stored.sealed)
    assert stored.version == 2
    only_new = AccountService(
        env.db, env.clock, secret_box=AesGcmSecretBox({"k2": KEY_2}, current="k2"), hasher=STRONG
    )
    assert only_new.reveal_credential(env.tenant, credential_id, actor=admin(env.tenant))[
        "api_key"
    ].reveal() == ("AMADEUS-KEY-123")
    with pytest.raises(SecretUnreadable):
        env.accounts.reveal_credential(env.tenant, credential_id, actor=admin(env.tenant))


def test_rotation_reseals_what_opens_and_reports_what_does_not(env: Env) -> None:
    readable = [env.store("c1"), env.store("c2")]
    broken = env.store("c3")
    with env.db(env.tenant) as uow:  # a token under a key that left the ring
        stored = uow.credentials.get(broken)
        lost = AesGcmSecretBox({"gone": KEY_2}, current="gone")
        uow.credentials.save(
            attrs.evolve(
                stored,
                sealed=lost.seal(b"{}", stored.associated_data),
            )
        )
        uow.commit()
    rotated = AccountService(
        env.db,
        env.clock,
        secret_box=AesGcmSecretBox({"k1": KEY_1, "k2": KEY_2}, current="k2"),
        hasher=STRONG,
    )
    report = rotated.rotate_credentials(
        RotateCredentials(tenant_id=env.tenant, idempotency_key="r"), actor=job(env.tenant)
    )
    assert set(report.resealed) == set(readable)
    assert report.unreadable == (broken,)
    for credential_id in readable:
        assert (
            rotated.reveal_credential(env.tenant, credential_id, actor=admin(env.tenant))[
                "secret"
            ].reveal()
            == "s3cr3t"
        )


def test_conversations(env: Env) -> None:
    chat = env.chats.start(
        StartConversation(tenant_id=env.tenant, user_id=env.user, idempotency_key="s"),
        actor=admin(env.tenant),
    )
    assert (
        env.chats.start(
            StartConversation(tenant_id=env.tenant, user_id=env.user, idempotency_key="s"),
            actor=admin(env.tenant),
        )
        == chat
    )
    env.chats.post(
        PostMessage(
            tenant_id=env.tenant,
            conversation_id=chat,
            role=Role.USER,
            content="Book me to Oslo",
            idempotency_key="m1",
        ),
        actor=admin(env.tenant),
    )
    env.clock.advance(timedelta(seconds=5))
    env.chats.post(
        PostMessage(
            tenant_id=env.tenant,
            conversation_id=chat,
            role=Role.AGENT,
            modality=Modality.VOICE,
            content="Done: flight and hotel held.",
            idempotency_key="m2",
        ),
        actor=admin(env.tenant),
    )
    transcript = env.chats.transcript(env.tenant, chat, actor=admin(env.tenant))
    assert [(m.role, m.modality) for m in transcript] == [
        (Role.USER, Modality.TEXT),
        (Role.AGENT, Modality.VOICE),
    ]
    with pytest.raises(ValidationFailed):
        env.chats.post(
            PostMessage(
                tenant_id=env.tenant,
                conversation_id=chat,
                role=Role.USER,
                content="  ",
                idempotency_key="m3",
            ),
            actor=admin(env.tenant),
        )
    ended = env.chats.end(
        EndConversation(tenant_id=env.tenant, conversation_id=chat, idempotency_key="e"),
        actor=admin(env.tenant),
    )
    assert ended.ended_at == env.clock.now()
    with pytest.raises(InvalidTransition):
        env.chats.post(
            PostMessage(
                tenant_id=env.tenant,
                conversation_id=chat,
                role=Role.USER,
                content="one more",
                idempotency_key="m4",
            ),
            actor=admin(env.tenant),
        )
    assert [
        c.id for c in env.chats.conversations(env.tenant, env.user, actor=admin(env.tenant))
    ] == [chat]
    other = TenantId(new_uuid())
    assert env.chats.conversations(other, env.user, actor=admin(other)) == []


def test_store_credential_retry_with_another_secret_is_an_idempotency_conflict(env: Env) -> None:
    first = env.store("c", "KEY-ONE")
    assert env.store("c", "KEY-ONE") == first  # the same request: the first result
    with pytest.raises(IdempotencyConflict):
        env.store("c", "KEY-TWO")  # the same key, another secret
    assert len(env.accounts.credentials(env.tenant, env.user, actor=admin(env.tenant))) == 1
    with env.db(env.tenant) as uow:
        record = uow.idempotency.get("c")
    assert record is not None
    assert "KEY-ONE" not in dumps(record)


def test_register_retry_with_another_password_is_an_idempotency_conflict(env: Env) -> None:
    def register(password: str) -> UserId:
        return env.accounts.register(
            RegisterAccount(
                tenant_id=env.tenant,
                user_id=env.user,
                email="ada@example.com",
                name="Ada",
                password=Secret(password),
                idempotency_key="r",
            ),
            actor=admin(env.tenant),
        )

    assert register("correct horse") == env.user
    assert register("correct horse") == env.user  # the same request: the first result
    with pytest.raises(IdempotencyConflict):
        register("another horse")
    assert env.accounts.authenticate(env.tenant, "ada@example.com", Secret("correct horse"))


def test_credential_fingerprint_covers_the_secret_without_holding_it(env: Env) -> None:
    def command(api_key: str, key: str = "k") -> StoreCredential:
        return StoreCredential(
            tenant_id=TenantId(UUID(int=1)),
            user_id=UserId(UUID(int=2)),
            provider="Amadeus",
            fields={"api_key": Secret(api_key)},
            idempotency_key=key,
        )

    keyed = env.accounts._keyed  # what the service fingerprints
    data = dumps(fingerprint_data(keyed(command("AMADEUS-KEY-123"), {"k": Secret("AMADEUS")})))
    assert "AMADEUS" not in data
    a = command("a")
    assert fingerprint(keyed(a, a.fields)) == fingerprint(keyed(command("a"), a.fields))
    b = command("b")
    assert fingerprint(keyed(a, a.fields)) != fingerprint(keyed(b, b.fields))
