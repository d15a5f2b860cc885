"""Employee invitations in memory."""

from __future__ import annotations

from travelcore.invitations import Invitation, InvitationStatus
from travelcore_adapters.memory.repository import MemoryRepository


class MemoryInvitations(MemoryRepository[Invitation]):
    table, entity = "employee_invitations", "invitation"

    def _check_unique(self, entity: Invitation) -> None:
        self._clash(entity, lambda row: row.token_hash == entity.token_hash, "token_hash")

    def find_by_token_hash(self, token_hash: str) -> Invitation | None:
        return self._first(lambda row: row.token_hash == token_hash)

    def pending_for(self, email: str) -> list[Invitation]:
        found = self._rows(
            lambda row: row.email == email and row.status is InvitationStatus.PENDING
        )
        return sorted(found, key=lambda row: (row.created_at, row.id))
