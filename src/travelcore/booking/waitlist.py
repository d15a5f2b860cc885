"""The waitlist: children queued, first come first served, for a full session.

An entry is ``waiting`` until a seat frees up, then ``offered`` (the seat is held for it for
``policy.waitlist_offer_window``), then ``removed`` with one of :class:`RemovalReason`.
An entry is offered at most once.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import NewType
from uuid import UUID

import attrs

from travelcore.catalog.model import SessionId
from travelcore.kernel import Aggregate, DomainEvent, InvalidTransition, TenantId, UserId, new_uuid
from travelcore.people.model import ChildId

WaitlistEntryId = NewType("WaitlistEntryId", UUID)


class RemovalReason(StrEnum):
    USER_REMOVED = "user_removed"
    SPOT_ACCEPTED = "spot_accepted"
    SPOT_DECLINED = "spot_declined"
    SPOT_EXPIRED = "spot_expired"
    SESSION_CANCELLED = "session_cancelled"


class EntryStatus(StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"
    REMOVED = "removed"


class OfferResponse(StrEnum):
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"


_RESPONSES = {
    RemovalReason.SPOT_ACCEPTED: OfferResponse.ACCEPTED,
    RemovalReason.SPOT_DECLINED: OfferResponse.DECLINED,
    RemovalReason.SPOT_EXPIRED: OfferResponse.EXPIRED,
}


@attrs.frozen(kw_only=True)
class WaitlistChanged(DomainEvent):
    """An entry joined, was offered a seat, or left (``removed_reason`` says why)."""

    entry_id: WaitlistEntryId
    session_id: SessionId
    child_id: ChildId
    user_id: UserId
    status: EntryStatus
    removed_reason: RemovalReason | None = None
    offer_expires_at: datetime | None = None
    booking_id: UUID | None = None


@attrs.define(kw_only=True)
class WaitlistEntry(Aggregate):
    id: WaitlistEntryId
    tenant_id: TenantId
    session_id: SessionId
    child_id: ChildId
    user_id: UserId
    position: int
    joined_at: datetime
    spot_offered_at: datetime | None = None
    spot_expires_at: datetime | None = None
    response: OfferResponse | None = None
    responded_at: datetime | None = None
    converted_booking_id: UUID | None = None
    is_active: bool = True
    removed_at: datetime | None = None
    removed_reason: RemovalReason | None = None
    version: int = 1

    @classmethod
    def join(
        cls,
        tenant_id: TenantId,
        *,
        session_id: SessionId,
        child_id: ChildId,
        user_id: UserId,
        position: int,
        at: datetime,
    ) -> WaitlistEntry:
        entry = cls(
            id=WaitlistEntryId(new_uuid()),
            tenant_id=tenant_id,
            session_id=session_id,
            child_id=child_id,
            user_id=user_id,
            position=position,
            joined_at=at,
        )
        entry._changed(at, None)
        return entry

    @property
    def status(self) -> EntryStatus:
        if not self.is_active:
            return EntryStatus.REMOVED
        return EntryStatus.WAITING if self.spot_offered_at is None else EntryStatus.OFFERED

    def offer_expired(self, at: datetime) -> bool:
        return (
            self.status is EntryStatus.OFFERED
            and self.spot_expires_at is not None
            and at >= self.spot_expires_at
        )

    def offer(self, at: datetime, expires_at: datetime) -> None:
        if self.status is not EntryStatus.WAITING:
            raise InvalidTransition("waitlist_entry", self.status.value, EntryStatus.OFFERED.value)
        self.spot_offered_at = at
        self.spot_expires_at = expires_at
        self._changed(at, None)

    def remove(
        self,
        reason: RemovalReason,
        at: datetime,
        *,
        booking_id: UUID | None = None,
        actor: str | None = None,
    ) -> None:
        """Leave the list; offer responses require an outstanding offer."""
        needs_offer = reason in _RESPONSES
        if not self.is_active or (needs_offer and self.status is not EntryStatus.OFFERED):
            raise InvalidTransition("waitlist_entry", self.status.value, reason.value)
        self.is_active = False
        self.removed_at = at
        self.removed_reason = reason
        if needs_offer:
            self.response = _RESPONSES[reason]
            self.responded_at = at
        self.converted_booking_id = booking_id
        self._changed(at, actor)

    def _changed(self, at: datetime, actor: str | None) -> None:
        self.record(
            WaitlistChanged(
                tenant_id=self.tenant_id,
                occurred_at=at,
                actor=actor,
                reason=self.removed_reason.value if self.removed_reason else None,
                entry_id=self.id,
                session_id=self.session_id,
                child_id=self.child_id,
                user_id=self.user_id,
                status=self.status,
                removed_reason=self.removed_reason,
                offer_expires_at=self.spot_expires_at,
                booking_id=self.converted_booking_id,
            )
        )
