"""Employee invitations (seed 003 ``employee_invitations``): an HR admin invites an
employee by email with credits to allocate; the invitee accepts with a random token, of
which only a keyed hash is stored. An invitation is accepted at most once, before it
expires and unless it was revoked; a resend issues a new token (the old one stops working)
a bounded number of times."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import NewType
from uuid import UUID

import attrs

from travelcore.kernel import (
    AccessDenied,
    Conflict,
    RuleViolation,
    TenantId,
    UserId,
    ValidationFailed,
    new_uuid,
)
from travelcore.ledger import SubscriptionId
from travelcore.people import CorporateId

InvitationId = NewType("InvitationId", UUID)

LIFETIME = timedelta(days=14)
"""How long an invitation (or its resent token) can be accepted: DOMAIN.md section 9."""
MAX_RESENDS = 5


class InvitationStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REVOKED = "revoked"
    EXPIRED = "expired"


class InvalidInvitation(AccessDenied):
    """No invitation has this token (a wrong, resent-over or made-up one)."""

    code = "invalid_invitation"


class InvitationExpired(RuleViolation):
    code = "invitation_expired"


class InvitationRevoked(RuleViolation):
    code = "invitation_revoked"


class InvitationAlreadyAccepted(Conflict):
    code = "invitation_already_accepted"


class ResendLimitReached(RuleViolation):
    code = "resend_limit_reached"


def email_address(value: object, field: str = "email") -> str:
    """``value`` as a lower-case email address, or ``ValidationFailed``."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed(field, "non_empty")
    if len(value) > 255:
        raise ValidationFailed(field, "max_length_255")
    address = value.strip().lower()
    local, _, domain = address.partition("@")
    if not local or "." not in domain or " " in address:
        raise ValidationFailed(field, "email_address", f"{value!r} is not an email address")
    return address


@attrs.define(kw_only=True)
class Invitation:
    id: InvitationId
    tenant_id: TenantId
    corporate_id: CorporateId
    subscription_id: SubscriptionId
    invited_by: UserId | None
    email: str
    first_name: str
    last_name: str
    department: str | None
    credits_to_allocate: int
    token_hash: str = attrs.field(repr=False)
    status: InvitationStatus = InvitationStatus.PENDING
    expires_at: datetime
    accepted_user_id: UserId | None = None
    accepted_at: datetime | None = None
    resend_count: int = 0
    last_resent_at: datetime | None = None
    revoked_at: datetime | None = None
    revoked_by: UserId | None = None
    revoke_reason: str | None = None
    batch_import_id: UUID | None = None
    created_at: datetime
    updated_at: datetime
    version: int = 1

    @classmethod
    def create(
        cls,
        tenant_id: TenantId,
        *,
        corporate_id: CorporateId,
        subscription_id: SubscriptionId,
        invited_by: UserId | None,
        email: str,
        first_name: str,
        last_name: str,
        department: str | None,
        credits_to_allocate: int,
        token_hash: str,
        now: datetime,
        batch_import_id: UUID | None = None,
    ) -> Invitation:
        return cls(
            id=InvitationId(new_uuid()),
            tenant_id=tenant_id,
            corporate_id=corporate_id,
            subscription_id=subscription_id,
            invited_by=invited_by,
            email=email_address(email),
            first_name=first_name.strip(),
            last_name=last_name.strip(),
            department=department,
            credits_to_allocate=credits_to_allocate,
            token_hash=token_hash,
            expires_at=now + LIFETIME,
            batch_import_id=batch_import_id,
            created_at=now,
            updated_at=now,
        )

    def state_at(self, now: datetime) -> InvitationStatus:
        """The status, with a pending invitation past its expiry seen as expired."""
        if self.status is InvitationStatus.PENDING and now >= self.expires_at:
            return InvitationStatus.EXPIRED
        return self.status

    def accept(self, user_id: UserId, now: datetime) -> None:
        self._require_pending(now)
        self.status, self.accepted_user_id, self.accepted_at = (
            InvitationStatus.ACCEPTED,
            user_id,
            now,
        )
        self.updated_at = now

    def revoke(self, now: datetime, *, by: UserId | None, reason: str) -> None:
        self._require_pending(now)
        self.status, self.revoked_at, self.revoked_by = InvitationStatus.REVOKED, now, by
        self.revoke_reason, self.updated_at = reason, now

    def resend(self, token_hash: str, now: datetime) -> None:
        """A new token, valid for another :data:`LIFETIME` (an expired invitation may be
        resent; an accepted or revoked one may not)."""
        if self.status is not InvitationStatus.PENDING:
            self._require_pending(now)
        if self.resend_count >= MAX_RESENDS:
            raise ResendLimitReached(
                f"an invitation is resent at most {MAX_RESENDS} times",
                invitation_id=str(self.id),
                max_resends=MAX_RESENDS,
            )
        self.token_hash, self.expires_at = token_hash, now + LIFETIME
        self.resend_count += 1
        self.last_resent_at = self.updated_at = now

    def _require_pending(self, now: datetime) -> None:
        state = self.state_at(now)
        details = {"invitation_id": str(self.id)}
        if state is InvitationStatus.ACCEPTED:
            raise InvitationAlreadyAccepted("the invitation was accepted already", **details)
        if state is InvitationStatus.REVOKED:
            raise InvitationRevoked("the invitation was revoked", **details)
        if state is InvitationStatus.EXPIRED:
            raise InvitationExpired("the invitation has expired", **details)
