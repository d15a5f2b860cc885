"""The PostgreSQL invitation repository. ``get`` and ``find_by_token_hash`` lock the row
(``FOR NO KEY UPDATE``): concurrent accepts of one token queue, and the later one finds
the invitation accepted."""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import bindparam, select

from travelcore.invitations import Invitation, InvitationId, InvitationStatus
from travelcore.kernel import TenantId, UserId
from travelcore.ledger import SubscriptionId
from travelcore.people import CorporateId
from travelcore_adapters.postgres.repositories.base import TableRepository
from travelcore_adapters.postgres.statements import Statement
from travelcore_adapters.postgres.tables.invitations import employee_invitations as t

_BY_TENANT = t.c.tenant_id == bindparam("tid")
BY_TOKEN = select(t).where(_BY_TENANT, t.c.token_hash == bindparam("token_hash"))
PENDING_FOR = Statement(
    select(t)
    .where(_BY_TENANT, t.c.email == bindparam("email"), t.c.status == "pending")
    .order_by(t.c.created_at, t.c.id)
)


class PostgresInvitations(TableRepository[Invitation]):
    table, entity = t, "invitation"
    lock_on_get: ClassVar[bool] = True

    @property
    def _by_token(self) -> Statement:
        return _LOCKED if self.lock_on_get else _UNLOCKED

    def to_row(self, entity: Invitation) -> dict[str, Any]:
        return {
            "tenant_id": entity.tenant_id,
            "id": entity.id,
            "corporate_id": entity.corporate_id,
            "subscription_id": entity.subscription_id,
            "invited_by": entity.invited_by,
            "email": entity.email,
            "first_name": entity.first_name,
            "last_name": entity.last_name,
            "department": entity.department,
            "credits_to_allocate": entity.credits_to_allocate,
            "token_hash": entity.token_hash,
            "status": entity.status.value,
            "expires_at": entity.expires_at,
            "accepted_user_id": entity.accepted_user_id,
            "accepted_at": entity.accepted_at,
            "resend_count": entity.resend_count,
            "last_resent_at": entity.last_resent_at,
            "revoked_at": entity.revoked_at,
            "revoked_by": entity.revoked_by,
            "revoke_reason": entity.revoke_reason,
            "batch_import_id": entity.batch_import_id,
            "created_at": entity.created_at,
            "updated_at": entity.updated_at,
            "version": entity.version,
        }

    def to_entity(self, row: Any) -> Invitation:
        return Invitation(
            id=InvitationId(row.id),
            tenant_id=TenantId(row.tenant_id),
            corporate_id=CorporateId(row.corporate_id),
            subscription_id=SubscriptionId(row.subscription_id),
            invited_by=None if row.invited_by is None else UserId(row.invited_by),
            email=row.email,
            first_name=row.first_name,
            last_name=row.last_name,
            department=row.department,
            credits_to_allocate=row.credits_to_allocate,
            token_hash=row.token_hash,
            status=InvitationStatus(row.status),
            expires_at=row.expires_at,
            accepted_user_id=None if row.accepted_user_id is None else UserId(row.accepted_user_id),
            accepted_at=row.accepted_at,
            resend_count=row.resend_count,
            last_resent_at=row.last_resent_at,
            revoked_at=row.revoked_at,
            revoked_by=None if row.revoked_by is None else UserId(row.revoked_by),
            revoke_reason=row.revoke_reason,
            batch_import_id=row.batch_import_id,
            created_at=row.created_at,
            updated_at=row.updated_at,
            version=row.version,
        )

    def find_by_token_hash(self, token_hash: str) -> Invitation | None:
        return self._first_of(self._query(self._by_token, token_hash=token_hash))

    def pending_for(self, email: str) -> list[Invitation]:
        return self._rows_of(self._query(PENDING_FOR, email=email))


_LOCKED = Statement(BY_TOKEN.with_for_update(key_share=True))
_UNLOCKED = Statement(BY_TOKEN)
