"""The invitation repository port, the keyed digest tokens are hashed with, and the unit
of work accepting an invitation needs (people and ledger included)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from travelcore.invitations.model import Invitation, InvitationId
from travelcore.kernel import TenantId
from travelcore.ledger.ports import LedgerUnitOfWork
from travelcore.people.ports import PeopleUnitOfWork


class KeyedDigest(Protocol):
    """HMAC under a key of the application (``SecretBox`` is one)."""

    def digest(self, data: bytes) -> str: ...


class InvitationRepository(Protocol):
    def add(self, invitation: Invitation) -> None:
        """``AlreadyExists`` on a clash of id or token hash."""
        ...

    def get(self, invitation_id: InvitationId) -> Invitation: ...

    def save(self, invitation: Invitation) -> None: ...

    def find_by_token_hash(self, token_hash: str) -> Invitation | None:
        """The invitation whose current token hashes to ``token_hash`` (locked for the
        rest of the transaction where the storage has row locks)."""
        ...

    def pending_for(self, email: str) -> list[Invitation]:
        """The tenant's pending invitations of ``email`` (expired ones included)."""
        ...


class InvitationUnitOfWork(PeopleUnitOfWork, LedgerUnitOfWork, Protocol):
    @property
    def invitations(self) -> InvitationRepository: ...


InvitationUowFactory = Callable[[TenantId], InvitationUnitOfWork]
