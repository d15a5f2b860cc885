"""Employee invitations: random single-use tokens stored as keyed hashes, expiring,
revocable, resent a bounded number of times; accepting creates the parent and allocates
the credits within the subscription's seats, in one transaction; batches from CSV."""

from travelcore.invitations.model import (
    LIFETIME,
    MAX_RESENDS,
    InvalidInvitation,
    Invitation,
    InvitationAlreadyAccepted,
    InvitationExpired,
    InvitationId,
    InvitationRevoked,
    InvitationStatus,
    ResendLimitReached,
)
from travelcore.invitations.ports import (
    InvitationRepository,
    InvitationUnitOfWork,
    InvitationUowFactory,
    KeyedDigest,
)
from travelcore.invitations.service import (
    AcceptedInvitation,
    AcceptInvitation,
    BatchResult,
    InvitationService,
    InviteEmployee,
    InviteFromCsv,
    IssuedInvitation,
    ResendInvitation,
    RevokeInvitation,
    RowError,
)

__all__ = [
    "LIFETIME",
    "MAX_RESENDS",
    "AcceptInvitation",
    "AcceptedInvitation",
    "BatchResult",
    "InvalidInvitation",
    "Invitation",
    "InvitationAlreadyAccepted",
    "InvitationExpired",
    "InvitationId",
    "InvitationRepository",
    "InvitationRevoked",
    "InvitationService",
    "InvitationStatus",
    "InvitationUnitOfWork",
    "InvitationUowFactory",
    "InviteEmployee",
    "InviteFromCsv",
    "IssuedInvitation",
    "KeyedDigest",
    "ResendInvitation",
    "ResendLimitReached",
    "RevokeInvitation",
    "RowError",
]
