"""Use cases: accounts with hashed passwords, sealed provider credentials, conversations."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

import attrs

from travelcore.accounts import access
from travelcore.accounts.model import (
    MAX_MESSAGE_LENGTH,
    Conversation,
    ConversationId,
    Credential,
    CredentialId,
    Message,
    MessageId,
    Modality,
    Role,
    Secret,
    UserAccount,
    associated_data,
    check_password,
    normalise_email,
)
from travelcore.accounts.ports import AccountsUnitOfWork, PasswordHasher, SecretBox
from travelcore.kernel import (
    AccessDenied,
    Actor,
    Clock,
    Command,
    InvalidTransition,
    NotFound,
    TenantId,
    UserId,
    ValidationFailed,
    checked_clock,
    new_uuid,
    require_tenant,
    run_command,
)
from travelcore.kernel import Role as ActorRole
from travelcore.kernel import validation as v
from travelcore.kernel.errors import SecretUnreadable
from travelcore.kernel.idempotency import fingerprint_data

AccountsUowFactory = Callable[[TenantId], AccountsUnitOfWork]
R = TypeVar("R")


@attrs.frozen(kw_only=True)
class RegisterAccount:
    tenant_id: TenantId
    user_id: UserId
    email: str
    name: str
    password: Secret
    idempotency_key: str


@attrs.frozen(kw_only=True)
class StoreCredential:
    tenant_id: TenantId
    user_id: UserId
    provider: str
    fields: Mapping[str, Secret]
    idempotency_key: str


@attrs.frozen(kw_only=True)
class RotateCredentials:
    """Re-seal every credential of the tenant that is not under the current key."""

    tenant_id: TenantId
    idempotency_key: str


@attrs.frozen(kw_only=True)
class RotationReport:
    """What a rotation re-sealed, and the credentials it could not open (left as they are)."""

    resealed: tuple[CredentialId, ...]
    unreadable: tuple[CredentialId, ...]


@attrs.frozen
class KeyedRequest:
    """A command whose idempotency fingerprint covers its secrets as keyed digests: a retry
    with the same key and another secret is an ``IdempotencyConflict``, and the stored
    fingerprint confirms no guess of a secret to anyone without the application's key."""

    command: Any
    digests: Mapping[str, str]

    def fingerprint_data(self) -> dict[str, Any]:
        kind = type(self.command)
        return {
            "command": f"{kind.__module__}.{kind.__qualname__}",
            "data": fingerprint_data(self.command),
            "secrets": dict(self.digests),
        }


@attrs.frozen(kw_only=True)
class StartConversation:
    tenant_id: TenantId
    user_id: UserId
    idempotency_key: str


@attrs.frozen(kw_only=True)
class PostMessage:
    tenant_id: TenantId
    conversation_id: ConversationId
    role: Role
    content: str
    modality: Modality = Modality.TEXT
    idempotency_key: str


@attrs.frozen(kw_only=True)
class EndConversation:
    tenant_id: TenantId
    conversation_id: ConversationId
    idempotency_key: str


class _Service:
    """What both services share: the unit of work factory, the clock, one ``_run``."""

    def __init__(self, uow_factory: AccountsUowFactory, clock: Clock) -> None:
        self._uow = uow_factory
        self._clock = checked_clock(clock)

    def _run(
        self,
        cmd: Command,
        result_type: type[R],
        action: Callable[[AccountsUnitOfWork, datetime], R],
        actor: Actor,
        *,
        request: Any = None,
    ) -> R:
        """``action`` for ``cmd`` (``request`` in its place for the idempotency
        fingerprint) through :func:`run_command`."""
        return run_command(
            self._uow, self._clock, cmd, result_type, action, actor=actor, request=request
        )


class AccountService(_Service):
    """Registration and sign-in (argon2id behind ``PasswordHasher``) and provider
    credentials (sealed by ``SecretBox``; only ``reveal_credential`` opens them)."""

    def __init__(
        self,
        uow_factory: AccountsUowFactory,
        clock: Clock,
        *,
        secret_box: SecretBox,
        hasher: PasswordHasher,
    ) -> None:
        super().__init__(uow_factory, clock)
        self._box = secret_box
        self._hasher = hasher
        self._decoy: str | None = None

    def register(self, cmd: RegisterAccount, *, actor: Actor) -> UserId:
        v.check_command(cmd)
        check_password(cmd.password)
        request = self._keyed(cmd, {"password": cmd.password})

        def action(uow: AccountsUnitOfWork, now: datetime) -> UserId:
            access.account(actor, cmd.user_id)
            account = UserAccount(
                tenant_id=cmd.tenant_id,
                user_id=cmd.user_id,
                email=cmd.email,
                name=cmd.name,
                password_hash=self._hasher.hash(cmd.password),
                created_at=now,
            )
            uow.accounts.add(account)
            return account.user_id

        return self._run(cmd, UserId, action, actor, request=request)

    def _keyed(
        self, cmd: RegisterAccount | StoreCredential, secrets: Mapping[str, Secret]
    ) -> KeyedRequest:
        """``cmd`` with each secret's keyed digest, bound to the tenant, key and field."""
        return KeyedRequest(
            cmd,
            {
                name: self._box.digest(
                    "\0".join(
                        (str(cmd.tenant_id), cmd.idempotency_key or "", name, secret.reveal())
                    ).encode()
                )
                for name, secret in secrets.items()
            },
        )

    def authenticate(self, tenant_id: TenantId, email: str, password: Secret) -> UserAccount:
        """The account for ``email`` if ``password`` matches (else ``AccessDenied``); a hash
        made with outdated parameters is replaced on the way (once, by one of concurrent
        sign-ins)."""
        _secret(MAX_PASSWORD_LENGTH)(password, "password")
        refused = AccessDenied("unknown email or wrong password")
        try:
            email = normalise_email(email)
        except ValidationFailed:
            raise refused from None
        with self._uow(tenant_id) as uow:
            account = uow.accounts.find_by_email(email)
            if account is None:
                # Spend the same work as for a known email, so timing does not tell them apart.
                self._hasher.verify(self._decoy_hash(), password)
                raise refused
            if not self._hasher.verify(account.password_hash, password):
                raise refused
            if self._hasher.needs_rehash(account.password_hash):
                current = uow.accounts.get(account.user_id)  # the row locked: sign-ins queue
                if current.password_hash == account.password_hash:  # else rehashed or changed
                    account = current.with_password_hash(self._hasher.hash(password))
                    uow.accounts.save(account)
                    uow.commit()
        return account

    def sign_in(self, tenant_id: TenantId, email: str, password: Secret) -> Actor:
        """The full actor of the account for ``email`` if ``password`` matches (else
        ``AccessDenied``, as :meth:`authenticate`): the actor of its user's record
        (:meth:`~travelcore.people.User.actor`, the same as ``PeopleService.actor_for``),
        or a traveller for an account the people context does not know."""
        account = self.authenticate(tenant_id, email, password)
        with self._uow(tenant_id) as uow:
            try:
                user = uow.users.get(account.user_id)
            except NotFound:
                return Actor(tenant_id=tenant_id, role=ActorRole.TRAVELLER, user_id=account.user_id)
        return user.actor()

    def _decoy_hash(self) -> str:
        if self._decoy is None:
            self._decoy = self._hasher.hash(Secret(new_uuid().hex))
        return self._decoy

    def store_credential(self, cmd: StoreCredential, *, actor: Actor) -> CredentialId:
        v.check_command(cmd)
        request = self._keyed(cmd, cmd.fields)

        def action(uow: AccountsUnitOfWork, now: datetime) -> CredentialId:
            access.account(actor, cmd.user_id)
            credential_id = CredentialId(new_uuid())
            plaintext = json.dumps({k: v.reveal() for k, v in cmd.fields.items()}).encode()
            uow.credentials.add(
                Credential(
                    id=credential_id,
                    tenant_id=cmd.tenant_id,
                    user_id=cmd.user_id,
                    provider=cmd.provider,
                    sealed=self._box.seal(plaintext, associated_data(cmd.tenant_id, credential_id)),
                    created_at=now,
                    updated_at=now,
                )
            )
            return credential_id

        return self._run(cmd, CredentialId, action, actor, request=request)

    def reveal_credential(
        self, tenant_id: TenantId, credential_id: CredentialId, *, actor: Actor
    ) -> dict[str, Secret]:
        """The credential's fields, still wrapped as ``Secret``."""
        require_tenant(actor, tenant_id)
        v.uuid(credential_id, "credential_id")
        with self._uow(tenant_id) as uow:
            credential = uow.credentials.get(credential_id)
        access.read_credentials(actor, credential.user_id)
        data = json.loads(self._box.open(credential.sealed, credential.associated_data))
        return {key: Secret(value) for key, value in data.items()}

    def credentials(
        self, tenant_id: TenantId, user_id: UserId, *, actor: Actor
    ) -> Sequence[Credential]:
        require_tenant(actor, tenant_id)
        v.uuid(user_id, "user_id")
        access.read_credentials(actor, user_id)
        with self._uow(tenant_id) as uow:
            return uow.credentials.list(user_id=user_id)

    def rotate_credentials(self, cmd: RotateCredentials, *, actor: Actor) -> RotationReport:
        """Re-seal under the current key what is not under it yet; a credential that does
        not open (an unknown key, a tampered token) is reported and left as it is."""

        def action(uow: AccountsUnitOfWork, now: datetime) -> RotationReport:
            access.rotate(actor)
            resealed, unreadable = [], []
            for credential in uow.credentials.list_for_update():
                try:
                    if self._box.is_current(credential.sealed):
                        continue
                    plaintext = self._box.open(credential.sealed, credential.associated_data)
                except SecretUnreadable:
                    unreadable.append(credential.id)
                    continue
                sealed = self._box.seal(plaintext, credential.associated_data)
                uow.credentials.save(credential.resealed(sealed, now))
                resealed.append(credential.id)
            return RotationReport(resealed=tuple(resealed), unreadable=tuple(unreadable))

        return self._run(cmd, RotationReport, action, actor)


class ConversationService(_Service):
    """Text and voice sessions between a user and the agent."""

    def start(self, cmd: StartConversation, *, actor: Actor) -> ConversationId:
        def action(uow: AccountsUnitOfWork, now: datetime) -> ConversationId:
            access.converse(actor, cmd.user_id)
            conversation = Conversation(
                id=ConversationId(new_uuid()),
                tenant_id=cmd.tenant_id,
                user_id=cmd.user_id,
                started_at=now,
            )
            uow.conversations.add(conversation)
            return conversation.id

        return self._run(cmd, ConversationId, action, actor)

    def post(self, cmd: PostMessage, *, actor: Actor) -> MessageId:
        def action(uow: AccountsUnitOfWork, now: datetime) -> MessageId:
            conversation = uow.conversations.get(cmd.conversation_id)
            access.converse(actor, conversation.user_id)
            if conversation.ended_at is not None:
                raise InvalidTransition("conversation", "ended", "message posted")
            message = Message(
                id=MessageId(new_uuid()),
                tenant_id=cmd.tenant_id,
                conversation_id=conversation.id,
                role=cmd.role,
                modality=cmd.modality,
                content=cmd.content,
                sent_at=now,
            )
            uow.conversations.add_message(message)
            return message.id

        return self._run(cmd, MessageId, action, actor)

    def end(self, cmd: EndConversation, *, actor: Actor) -> Conversation:
        def action(uow: AccountsUnitOfWork, now: datetime) -> Conversation:
            conversation = uow.conversations.get(cmd.conversation_id)
            access.end(actor, conversation.user_id)
            conversation = conversation.ended(now)
            uow.conversations.save(conversation)
            return conversation

        return self._run(cmd, Conversation, action, actor)

    def transcript(
        self, tenant_id: TenantId, conversation_id: ConversationId, *, actor: Actor
    ) -> Sequence[Message]:
        require_tenant(actor, tenant_id)
        v.uuid(conversation_id, "conversation_id")
        with self._uow(tenant_id) as uow:
            conversation = uow.conversations.get(conversation_id)
            access.read_conversations(actor, conversation.user_id)
            return uow.conversations.messages(conversation_id)

    def conversations(
        self, tenant_id: TenantId, user_id: UserId, *, actor: Actor
    ) -> Sequence[Conversation]:
        require_tenant(actor, tenant_id)
        v.uuid(user_id, "user_id")
        access.read_conversations(actor, user_id)
        with self._uow(tenant_id) as uow:
            return uow.conversations.for_user(user_id)


# -- boundary checks -----------------------------------------------------------------------

MAX_PASSWORD_LENGTH = 1_024
MAX_CREDENTIAL_FIELDS = 20
MAX_CREDENTIAL_VALUE_LENGTH = 4_096


def _secret(max_length: int) -> v.Check:
    def check(value: Any, field: str) -> None:
        if not isinstance(value, Secret):
            raise ValidationFailed(field, "secret", f"{field} must be a Secret")
        v.text(max_length, strip=False)(value.reveal(), field)

    return check


_KEY = {"idempotency_key": v.text(255)}  # required: these commands are always idempotent
v.validated(
    RegisterAccount,
    tenant_id=v.uuid,
    user_id=v.uuid,
    email=v.text(255),
    name=v.text(100),
    password=_secret(MAX_PASSWORD_LENGTH),
    **_KEY,
)
v.validated(
    StoreCredential,
    tenant_id=v.uuid,
    user_id=v.uuid,
    provider=v.text(50),
    fields=v.entries(
        v.text(64),
        _secret(MAX_CREDENTIAL_VALUE_LENGTH),
        max_items=MAX_CREDENTIAL_FIELDS,
    ),
    **_KEY,
)
v.validated(RotateCredentials, tenant_id=v.uuid, **_KEY)
v.validated(StartConversation, tenant_id=v.uuid, user_id=v.uuid, **_KEY)
v.validated(
    PostMessage,
    tenant_id=v.uuid,
    conversation_id=v.uuid,
    role=v.member(Role),
    content=v.text(MAX_MESSAGE_LENGTH),
    modality=v.member(Modality),
    **_KEY,
)
v.validated(EndConversation, tenant_id=v.uuid, conversation_id=v.uuid, **_KEY)
