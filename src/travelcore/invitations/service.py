"""Invitation use cases: invite (one, or a batch from CSV text), revoke, resend, accept.

HR admins of the invitation's corporate and platform admins invite, revoke and resend
(DOMAIN.md section 10); the invitee accepts with the token alone. Accepting creates the
parent in the corporate, takes one of the subscription's seats for the current period and
allocates the invitation's credits, all in one transaction.
"""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar
from uuid import UUID

import attrs

from travelcore.invitations.model import (
    InvalidInvitation,
    Invitation,
    InvitationId,
    InvitationStatus,
    email_address,
)
from travelcore.invitations.ports import InvitationUnitOfWork, InvitationUowFactory, KeyedDigest
from travelcore.kernel import (
    AccessDenied,
    Actor,
    AlreadyExists,
    Clock,
    Role,
    TenantId,
    UserId,
    ValidationFailed,
    checked_clock,
    new_uuid,
    run_use_case,
)
from travelcore.kernel import validation as v
from travelcore.kernel.validation import check_command
from travelcore.ledger import (
    BalanceId,
    CorporateSubscription,
    CreditBalance,
    SeatAllocations,
    SubscriptionId,
)
from travelcore.ledger.model import MAX_CREDITS
from travelcore.people import CorporateId, User, UserRole

R = TypeVar("R")

TOKEN_PREFIX = "tc_inv_"  # noqa: S105 (the public prefix of every token, not a secret)
MAX_BATCH_ROWS = 1000
MAX_CSV_CHARS = 1_000_000
CSV_COLUMNS = ("email", "first_name", "last_name", "department", "credits")
REQUIRED_COLUMNS = frozenset({"email", "first_name", "last_name"})
SCOPE = "write:employees"


@attrs.frozen(kw_only=True)
class InviteEmployee:
    """``credits``: the subscription's credits per employee if not given."""

    tenant_id: TenantId
    corporate_id: CorporateId
    subscription_id: SubscriptionId
    email: str
    first_name: str
    last_name: str
    department: str | None = None
    credits: int | None = None


@attrs.frozen(kw_only=True)
class InviteFromCsv:
    """CSV text with a header row naming some of :data:`CSV_COLUMNS` (``email``,
    ``first_name`` and ``last_name`` required)."""

    tenant_id: TenantId
    corporate_id: CorporateId
    subscription_id: SubscriptionId
    csv_text: str


@attrs.frozen(kw_only=True)
class RevokeInvitation:
    tenant_id: TenantId
    invitation_id: InvitationId
    reason: str


@attrs.frozen(kw_only=True)
class ResendInvitation:
    tenant_id: TenantId
    invitation_id: InvitationId


@attrs.frozen(kw_only=True)
class AcceptInvitation:
    tenant_id: TenantId
    token: str = attrs.field(repr=False)


@attrs.frozen(kw_only=True)
class IssuedInvitation:
    """The token is shown here once; only its keyed hash is stored."""

    invitation: Invitation
    token: str = attrs.field(repr=False)


@attrs.frozen(kw_only=True)
class RowError:
    """A CSV row refused: its line number (the header is line 1), the field and the rule."""

    row: int
    field: str
    rule: str
    message: str


@attrs.frozen(kw_only=True)
class BatchResult:
    batch_import_id: UUID
    issued: tuple[IssuedInvitation, ...]
    errors: tuple[RowError, ...]


@attrs.frozen(kw_only=True)
class AcceptedInvitation:
    invitation_id: InvitationId
    user_id: UserId
    balance_id: BalanceId
    credits: int


class InvitationService:
    def __init__(
        self, uow_factory: InvitationUowFactory, clock: Clock, *, digest: KeyedDigest
    ) -> None:
        self._uow_factory = uow_factory
        self._clock = checked_clock(clock)
        self._digest = digest

    def invite(self, cmd: InviteEmployee, *, actor: Actor) -> IssuedInvitation:
        _require_inviter(actor, cmd.tenant_id, cmd.corporate_id)

        def action(uow: InvitationUnitOfWork, now: datetime) -> IssuedInvitation:
            return self._invite(uow, cmd, actor, now, None)

        return self._run(cmd.tenant_id, cmd, IssuedInvitation, action, actor)

    def invite_from_csv(self, cmd: InviteFromCsv, *, actor: Actor) -> BatchResult:
        """Invite every valid row in one transaction; each refused row is reported with
        its line, field and rule, and the others are still invited."""
        _require_inviter(actor, cmd.tenant_id, cmd.corporate_id)
        parsed = _parse(cmd.csv_text)

        def action(uow: InvitationUnitOfWork, now: datetime) -> BatchResult:
            batch = new_uuid()
            _subscription_of(uow, cmd.corporate_id, cmd.subscription_id)
            issued, errors = [], list(parsed.errors)
            for line, row in parsed.rows:
                try:
                    invite = InviteEmployee(
                        tenant_id=cmd.tenant_id,
                        corporate_id=cmd.corporate_id,
                        subscription_id=cmd.subscription_id,
                        email=row["email"],
                        first_name=row["first_name"],
                        last_name=row["last_name"],
                        department=row.get("department") or None,
                        credits=_credits(row.get("credits")),
                    )
                    check_command(invite)
                    issued.append(self._invite(uow, invite, actor, now, batch))
                except ValidationFailed as error:
                    errors.append(_row_error(line, error.field, error.rule, error))
                except AlreadyExists as error:
                    errors.append(_row_error(line, "email", "unique", error))
            errors.sort(key=lambda e: e.row)
            return BatchResult(batch_import_id=batch, issued=tuple(issued), errors=tuple(errors))

        return self._run(cmd.tenant_id, cmd, BatchResult, action, actor)

    def revoke(self, cmd: RevokeInvitation, *, actor: Actor) -> Invitation:
        def action(uow: InvitationUnitOfWork, now: datetime) -> Invitation:
            invitation = uow.invitations.get(cmd.invitation_id)
            _require_inviter(actor, cmd.tenant_id, invitation.corporate_id)
            invitation.revoke(now, by=actor.user_id, reason=cmd.reason)
            uow.invitations.save(invitation)
            return invitation

        return self._run(cmd.tenant_id, cmd, Invitation, action, actor)

    def resend(self, cmd: ResendInvitation, *, actor: Actor) -> IssuedInvitation:
        """A new token for the invitation, valid for another 14 days; the old token stops
        working. Bounded (``ResendLimitReached``)."""

        def action(uow: InvitationUnitOfWork, now: datetime) -> IssuedInvitation:
            invitation = uow.invitations.get(cmd.invitation_id)
            _require_inviter(actor, cmd.tenant_id, invitation.corporate_id)
            token = _new_token()
            invitation.resend(self._hash(cmd.tenant_id, token), now)
            uow.invitations.save(invitation)
            return IssuedInvitation(invitation=invitation, token=token)

        return self._run(cmd.tenant_id, cmd, IssuedInvitation, action, actor)

    def accept(self, cmd: AcceptInvitation) -> AcceptedInvitation:
        """Create the invitee's parent account in the corporate, take a seat of the
        subscription for the current period (``CapacityExceeded`` when all are taken) and
        allocate the invitation's credits: once, in one transaction. A wrong token is
        ``InvalidInvitation``; an expired, revoked or accepted invitation is refused."""
        if not isinstance(cmd.token, str) or not cmd.token.startswith(TOKEN_PREFIX):
            raise InvalidInvitation("not an invitation token", rule="invitation_token")

        def action(uow: InvitationUnitOfWork, now: datetime) -> AcceptedInvitation:
            invitation = uow.invitations.find_by_token_hash(self._hash(cmd.tenant_id, cmd.token))
            if invitation is None:
                raise InvalidInvitation("no invitation has this token", rule="invitation_token")
            user = User.create(
                cmd.tenant_id,
                email=invitation.email,
                role=UserRole.PARENT,
                first_name=invitation.first_name,
                last_name=invitation.last_name,
                corporate_id=invitation.corporate_id,
            )
            invitation.accept(user.id, now)
            uow.actor = Actor(
                tenant_id=cmd.tenant_id,
                role=Role.PARENT,
                user_id=user.id,
                corporate_id=invitation.corporate_id,
            )
            subscription = _subscription_of(
                uow, invitation.corporate_id, invitation.subscription_id
            )
            today = subscription.today(now)
            subscription.require_covers(today)
            period = subscription.period_containing(today)
            seats = uow.subscriptions.seats(subscription.id, period.start) or SeatAllocations(
                tenant_id=cmd.tenant_id, subscription_id=subscription.id, period=period
            )
            seats.take(user.id, subscription.covered_employees)
            if uow.users.find_by_email(user.email) is not None:
                raise AlreadyExists("a user has this email", key="email")
            uow.users.add(user)
            balance = CreditBalance.open(
                cmd.tenant_id, user.id, period, now, timezone=subscription.timezone
            )
            balance.allocate(
                invitation.credits_to_allocate,
                now,
                actor=f"invitation:{invitation.id}",
                reason="credits of the invitation",
                idempotency_key=f"invitation:{invitation.id}",
            )
            uow.credits.add(balance)
            uow.subscriptions.save_seats(seats)
            uow.invitations.save(invitation)
            return AcceptedInvitation(
                invitation_id=invitation.id,
                user_id=user.id,
                balance_id=balance.id,
                credits=invitation.credits_to_allocate,
            )

        invitee = Actor.system(cmd.tenant_id, "invitation")  # until the invitation names them
        return self._run(cmd.tenant_id, cmd, AcceptedInvitation, action, invitee, attempts=3)

    # -- internals -------------------------------------------------------------------------

    def _invite(
        self,
        uow: InvitationUnitOfWork,
        cmd: InviteEmployee,
        actor: Actor,
        now: datetime,
        batch: UUID | None,
    ) -> IssuedInvitation:
        subscription = _subscription_of(uow, cmd.corporate_id, cmd.subscription_id)
        email = email_address(cmd.email)
        if uow.users.find_by_email(email) is not None:
            raise AlreadyExists("a user has this email", key="email")
        pending = uow.invitations.pending_for(email)
        if any(i.state_at(now) is InvitationStatus.PENDING for i in pending):
            raise AlreadyExists("a pending invitation has this email", key="email")
        token = _new_token()
        invitation = Invitation.create(
            cmd.tenant_id,
            corporate_id=cmd.corporate_id,
            subscription_id=subscription.id,
            invited_by=actor.user_id,
            email=email,
            first_name=cmd.first_name,
            last_name=cmd.last_name,
            department=cmd.department,
            credits_to_allocate=cmd.credits or subscription.credits_per_employee,
            token_hash=self._hash(cmd.tenant_id, token),
            now=now,
            batch_import_id=batch,
        )
        uow.invitations.add(invitation)
        return IssuedInvitation(invitation=invitation, token=token)

    def _hash(self, tenant_id: TenantId, token: str) -> str:
        return self._digest.digest(b"invitation\x00" + tenant_id.bytes + token.encode())

    def _run(
        self,
        tenant_id: TenantId,
        cmd: object,
        result_type: type[R],
        action: Callable[[InvitationUnitOfWork, datetime], R],
        actor: Actor,
        *,
        attempts: int = 1,
    ) -> R:
        return run_use_case(
            self._uow_factory,
            tenant_id,
            self._clock,
            None,
            cmd,
            result_type,
            action,
            actor=actor,
            attempts=attempts,
        )


def _new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def _require_inviter(actor: Actor, tenant_id: TenantId, corporate_id: CorporateId) -> None:
    if actor.tenant_id != tenant_id:
        raise AccessDenied("the actor belongs to another tenant", rule="same_tenant")
    actor.require(SCOPE)
    if actor.role is Role.PLATFORM_ADMIN:
        return
    if actor.role is Role.HR_ADMIN and actor.corporate_id == corporate_id:
        return
    raise AccessDenied(
        "only the corporate's HR admins and platform admins manage its invitations",
        rule="hr_admin_of_corporate",
    )


def _subscription_of(
    uow: InvitationUnitOfWork, corporate_id: CorporateId, subscription_id: SubscriptionId
) -> CorporateSubscription:
    subscription = uow.subscriptions.get(subscription_id)
    if subscription.corporate_id != corporate_id:
        raise ValidationFailed("subscription_id", "of_the_corporate")
    return subscription


def _row_error(line: int, field: str, rule: str, error: Exception) -> RowError:
    return RowError(row=line, field=field, rule=rule, message=str(error))


def _credits(value: str | None) -> int | None:
    if value is None or not value.strip():
        return None
    try:
        return int(value.strip())
    except ValueError:
        raise ValidationFailed("credits", "integer", f"{value!r} is not a whole number") from None


@attrs.frozen
class _Parsed:
    rows: tuple[tuple[int, dict[str, str]], ...]
    errors: tuple[RowError, ...]


def _parse(text: str) -> _Parsed:
    """The data rows of CSV text by line number; rows that cannot be read as CSV records
    are errors. The header and the size are checked first (``ValidationFailed`` for the
    whole file)."""
    if not isinstance(text, str) or not text.strip():
        raise ValidationFailed("csv_text", "non_empty")
    if len(text) > MAX_CSV_CHARS:
        raise ValidationFailed("csv_text", f"max_length_{MAX_CSV_CHARS}")
    reader = csv.reader(io.StringIO(text))
    header = [name.strip().lower() for name in next(reader)]
    unknown = set(header) - set(CSV_COLUMNS)
    if unknown or not set(header) >= REQUIRED_COLUMNS or len(set(header)) != len(header):
        raise ValidationFailed(
            "csv_text",
            "header",
            f"the header names each of {sorted(REQUIRED_COLUMNS)} once, and may name"
            f" department and credits; got {header}",
        )
    rows: list[tuple[int, dict[str, str]]] = []
    errors: list[RowError] = []
    for record in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in record):
            continue
        if len(rows) + len(errors) >= MAX_BATCH_ROWS:
            raise ValidationFailed("csv_text", f"max_rows_{MAX_BATCH_ROWS}")
        if len(record) != len(header):
            errors.append(
                RowError(
                    row=line,
                    field="csv_text",
                    rule="column_count",
                    message=f"{len(record)} values for {len(header)} columns",
                )
            )
            continue
        rows.append((line, dict(zip(header, (cell.strip() for cell in record), strict=True))))
    return _Parsed(rows=tuple(rows), errors=tuple(errors))


v.validated(
    InviteEmployee,
    tenant_id=v.uuid,
    corporate_id=v.uuid,
    subscription_id=v.uuid,
    email=v.text(255),
    first_name=v.text(100),
    last_name=v.text(100),
    department=v.optional(v.text(100)),
    credits=v.optional(v.integer(1, MAX_CREDITS)),
)
v.validated(
    InviteFromCsv,
    tenant_id=v.uuid,
    corporate_id=v.uuid,
    subscription_id=v.uuid,
    csv_text=v.text(MAX_CSV_CHARS),
)
v.validated(RevokeInvitation, tenant_id=v.uuid, invitation_id=v.uuid, reason=v.text(500))
v.validated(ResendInvitation, tenant_id=v.uuid, invitation_id=v.uuid)
v.validated(AcceptInvitation, tenant_id=v.uuid, token=v.text(100))
