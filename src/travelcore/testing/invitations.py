"""The invitation repository contract and the invitation service's behaviour, run against
every adapter. The adapter's test module provides ``uow_factory`` (as for every repository
contract) and ``digest`` (a keyed digest, e.g. a ``SecretBox``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from travelcore.audit import AuditQuery
from travelcore.invitations import (
    LIFETIME,
    MAX_RESENDS,
    AcceptInvitation,
    InvalidInvitation,
    Invitation,
    InvitationAlreadyAccepted,
    InvitationExpired,
    InvitationRevoked,
    InvitationService,
    InvitationStatus,
    InviteEmployee,
    InviteFromCsv,
    KeyedDigest,
    ResendInvitation,
    ResendLimitReached,
    RevokeInvitation,
)
from travelcore.kernel import (
    AccessDenied,
    Actor,
    AlreadyExists,
    CapacityExceeded,
    ManualClock,
    Money,
    Role,
    TenantId,
    UserId,
    ValidationFailed,
    new_uuid,
    to_data,
)
from travelcore.ledger import CorporateId as SubscriberId
from travelcore.ledger import CorporateSubscription, SubscriptionTier
from travelcore.people import CorporateId
from travelcore.testing.builders import a_corporate
from travelcore.testing.repositories import RepositoryContract, UowFactory

T0 = datetime(2026, 4, 1, 9, tzinfo=UTC)


def an_invitation(uow: Any, *, token_hash: str | None = None) -> Invitation:
    corporate = a_corporate(uow.tenant_id)
    return Invitation.create(
        uow.tenant_id,
        corporate_id=corporate.id,
        subscription_id=new_uuid(),  # type: ignore[arg-type]
        invited_by=UserId(new_uuid()),
        email=f"e{new_uuid().hex[:8]}@example.com",
        first_name="Ada",
        last_name="Lovelace",
        department="Research",
        credits_to_allocate=12,
        token_hash=token_hash or new_uuid().hex,
        now=T0,
        batch_import_id=new_uuid(),
    )


class InvitationRepositoryContract(RepositoryContract):
    repository = "invitations"

    def build(self, uow: Any) -> Invitation:
        return an_invitation(uow)

    def change(self, entity: Invitation) -> None:
        entity.revoke(T0 + timedelta(hours=1), by=UserId(new_uuid()), reason="left the company")

    def test_an_invitation_is_found_by_its_token_hash_in_its_tenant_only(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        entity = self.stored(uow_factory, tenant)
        with uow_factory(tenant, None) as uow:
            assert uow.invitations.find_by_token_hash(entity.token_hash) == entity
            assert uow.invitations.find_by_token_hash("0" * 64) is None
            assert uow.invitations.pending_for(entity.email) == [entity]
        with uow_factory(TenantId(new_uuid()), None) as uow:
            assert uow.invitations.find_by_token_hash(entity.token_hash) is None

    def test_two_invitations_cannot_share_a_token_hash(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        entity = self.stored(uow_factory, tenant)
        with uow_factory(tenant, None) as uow, pytest.raises(AlreadyExists), uow.batched():
            uow.invitations.add(an_invitation(uow, token_hash=entity.token_hash))


class Company:
    """A corporate with a subscription of ``seats`` employees, its HR admin and the
    invitation service over one adapter."""

    def __init__(
        self, uow_factory: UowFactory, digest: KeyedDigest, clock: ManualClock, seats: int = 3
    ) -> None:
        self.tenant = TenantId(new_uuid())
        self.db: Callable[[TenantId], Any] = lambda t: uow_factory(t, None)
        corporate = a_corporate(self.tenant)
        subscription = CorporateSubscription.create(
            tenant_id=self.tenant,
            corporate_id=SubscriberId(corporate.id),
            tier=SubscriptionTier.STANDARD,
            covered_employees=seats,
            credits_per_employee=10,
            monthly_cost=Money(Decimal("100.00"), "EUR"),
            start_date=date(2026, 1, 1),
        )
        with self.db(self.tenant) as uow:
            uow.corporates.add(corporate)
            uow.subscriptions.add(subscription)
            uow.commit()
        self.corporate: CorporateId = corporate.id
        self.subscription = subscription.id
        self.hr = Actor(
            tenant_id=self.tenant,
            role=Role.HR_ADMIN,
            user_id=UserId(new_uuid()),
            corporate_id=corporate.id,
        )
        self.service = InvitationService(self.db, clock, digest=digest)

    def invite(self, email: str = "ada@example.com", credits: int | None = None) -> Any:
        return self.service.invite(
            InviteEmployee(
                tenant_id=self.tenant,
                corporate_id=self.corporate,
                subscription_id=self.subscription,
                email=email,
                first_name="Ada",
                last_name="Lovelace",
                credits=credits,
            ),
            actor=self.hr,
        )

    def accept(self, token: str) -> Any:
        return self.service.accept(AcceptInvitation(tenant_id=self.tenant, token=token))

    def csv(self, text: str) -> Any:
        return self.service.invite_from_csv(
            InviteFromCsv(
                tenant_id=self.tenant,
                corporate_id=self.corporate,
                subscription_id=self.subscription,
                csv_text=text,
            ),
            actor=self.hr,
        )


class InvitationServiceContract:
    @pytest.fixture
    def clock(self) -> ManualClock:
        return ManualClock(T0)

    @pytest.fixture
    def company(self, uow_factory: UowFactory, digest: KeyedDigest, clock: ManualClock) -> Company:
        return Company(uow_factory, digest, clock)

    def test_accepting_creates_the_parent_and_allocates_the_credits_once(
        self, company: Company
    ) -> None:
        issued = company.invite(credits=15)
        accepted = company.accept(issued.token)
        with company.db(company.tenant) as uow:
            user = uow.users.get(accepted.user_id)
            assert (user.email, user.role.value, user.corporate_id) == (
                "ada@example.com",
                "parent",
                company.corporate,
            )
            balance = uow.credits.get(accepted.balance_id)
            assert (balance.user_id, balance.allocated, balance.balance) == (user.id, 15, 15)
            seats = uow.subscriptions.seats(company.subscription, balance.period.start)
            assert seats.users == [user.id]
            stored = uow.invitations.get(issued.invitation.id)
            assert stored.status is InvitationStatus.ACCEPTED
            assert stored.accepted_user_id == user.id
            actions = {
                (e.entity_type, e.action.value, e.actor)
                for e in uow.audit_log.find(AuditQuery(since=T0)).entries
                if e.actor == f"user:{user.id}"
            }
            assert actions == {
                ("user", "create", f"user:{user.id}"),
                ("credit_balance", "create", f"user:{user.id}"),
                ("subscription_seats", "create", f"user:{user.id}"),
                ("invitation", "update", f"user:{user.id}"),
            }

    def test_the_token_is_random_and_stored_only_as_a_keyed_hash(self, company: Company) -> None:
        first, second = company.invite(), company.invite("bob@example.com")
        assert first.token != second.token
        assert len(first.token) >= 40
        with company.db(company.tenant) as uow:
            stored = uow.invitations.get(first.invitation.id)
        assert first.token not in repr(stored)
        assert first.token not in str(to_data(stored))
        assert first.token not in stored.token_hash
        assert first.token not in repr(first)

    def test_a_used_token_is_refused(self, company: Company) -> None:
        issued = company.invite()
        company.accept(issued.token)
        with pytest.raises(InvitationAlreadyAccepted):
            company.accept(issued.token)

    def test_an_expired_token_is_refused(self, company: Company, clock: ManualClock) -> None:
        issued = company.invite()
        clock.advance(LIFETIME)
        with pytest.raises(InvitationExpired):
            company.accept(issued.token)
        with company.db(company.tenant) as uow:
            assert uow.users.find_by_email("ada@example.com") is None

    def test_a_token_accepted_just_before_it_expires_works(
        self, company: Company, clock: ManualClock
    ) -> None:
        issued = company.invite()
        clock.advance(LIFETIME - timedelta(seconds=1))
        assert company.accept(issued.token).credits == 10

    def test_a_revoked_token_is_refused(self, company: Company) -> None:
        issued = company.invite()
        revoked = company.service.revoke(
            RevokeInvitation(
                tenant_id=company.tenant, invitation_id=issued.invitation.id, reason="typo"
            ),
            actor=company.hr,
        )
        assert (revoked.status, revoked.revoked_by) == (
            InvitationStatus.REVOKED,
            company.hr.user_id,
        )
        with pytest.raises(InvitationRevoked):
            company.accept(issued.token)

    @pytest.mark.parametrize("token", ["tc_inv_made-up", "not a token", ""])
    def test_a_wrong_token_is_refused(self, company: Company, token: str) -> None:
        company.invite()
        with pytest.raises((InvalidInvitation, ValidationFailed)):
            company.accept(token)

    def test_a_resend_replaces_the_token_a_bounded_number_of_times(
        self, company: Company, clock: ManualClock
    ) -> None:
        issued = company.invite()
        clock.advance(LIFETIME + timedelta(days=1))  # an expired invitation may be resent
        resend = ResendInvitation(tenant_id=company.tenant, invitation_id=issued.invitation.id)
        tokens = [
            company.service.resend(resend, actor=company.hr).token for _ in range(MAX_RESENDS)
        ]
        with pytest.raises(ResendLimitReached):
            company.service.resend(resend, actor=company.hr)
        for old in (issued.token, *tokens[:-1]):
            with pytest.raises(InvalidInvitation):
                company.accept(old)
        assert company.accept(tokens[-1]).credits == 10
        with company.db(company.tenant) as uow:
            assert uow.invitations.get(issued.invitation.id).resend_count == MAX_RESENDS

    def test_accepting_beyond_the_seats_is_refused_and_writes_nothing(
        self, uow_factory: UowFactory, digest: KeyedDigest, clock: ManualClock
    ) -> None:
        company = Company(uow_factory, digest, clock, seats=1)
        first, second = company.invite(), company.invite("bob@example.com")
        company.accept(first.token)
        with pytest.raises(CapacityExceeded):
            company.accept(second.token)
        with company.db(company.tenant) as uow:
            assert uow.users.find_by_email("bob@example.com") is None
            assert uow.invitations.get(second.invitation.id).status is InvitationStatus.PENDING

    def test_an_email_already_invited_or_registered_is_refused(self, company: Company) -> None:
        company.accept(company.invite().token)
        with pytest.raises(AlreadyExists):
            company.invite()  # a user has it
        company.invite("bob@example.com")
        with pytest.raises(AlreadyExists):
            company.invite("BOB@example.com")  # a pending invitation has it

    def test_only_the_corporates_hr_admins_and_platform_admins_invite(
        self, company: Company
    ) -> None:
        cmd = InviteEmployee(
            tenant_id=company.tenant,
            corporate_id=company.corporate,
            subscription_id=company.subscription,
            email="ada@example.com",
            first_name="Ada",
            last_name="Lovelace",
        )
        others = [
            Actor(tenant_id=company.tenant, role=Role.PARENT, user_id=UserId(new_uuid())),
            Actor(
                tenant_id=company.tenant,
                role=Role.HR_ADMIN,
                user_id=UserId(new_uuid()),
                corporate_id=new_uuid(),
            ),
            Actor(
                tenant_id=company.tenant,
                role=Role.HR_ADMIN,
                user_id=UserId(new_uuid()),
                corporate_id=company.corporate,
                scopes=frozenset({"read:employees"}),
            ),
        ]
        for actor in others:
            with pytest.raises(AccessDenied):
                company.service.invite(cmd, actor=actor)
        admin = Actor(
            tenant_id=company.tenant, role=Role.PLATFORM_ADMIN, user_id=UserId(new_uuid())
        )
        issued = company.service.invite(cmd, actor=admin)
        with company.db(company.tenant) as uow:
            [entry] = uow.audit_log.find(AuditQuery(entity_id=str(issued.invitation.id))).entries
        assert (entry.actor, entry.role) == (admin.label, Role.PLATFORM_ADMIN)

    def test_a_csv_batch_invites_the_valid_rows_and_reports_the_others(
        self, company: Company
    ) -> None:
        company.invite("taken@example.com")
        result = company.csv(
            "email,first_name,last_name,department,credits\n"
            "ada@example.com,Ada,Lovelace,Research,12\n"
            "not-an-email,Bob,Stone,,\n"
            "carol@example.com,,Doe,,\n"
            "dan@example.com,Dan,Brown,,many\n"
            "taken@example.com,Tim,Taken,,\n"
            "ada@example.com,Ada,Again,,\n"
            "erin@example.com,Erin,Green\n"
            "\n"
            "fay@example.com,Fay,Wray,Sales,\n"
        )
        assert [(e.row, e.field, e.rule) for e in result.errors] == [
            (3, "email", "email_address"),
            (4, "first_name", "non_empty"),
            (5, "credits", "integer"),
            (6, "email", "unique"),
            (7, "email", "unique"),
            (8, "csv_text", "column_count"),
        ]
        issued = {i.invitation.email: i.invitation for i in result.issued}
        assert sorted(issued) == ["ada@example.com", "fay@example.com"]
        assert issued["ada@example.com"].credits_to_allocate == 12
        assert issued["fay@example.com"].credits_to_allocate == 10
        assert {i.batch_import_id for i in issued.values()} == {result.batch_import_id}
        for invitation in result.issued:
            assert company.accept(invitation.token).user_id

    @pytest.mark.parametrize(
        "text",
        ["", "name,email\nAda,ada@example.com\n", "email,first_name\nada@example.com,Ada\n"],
    )
    def test_a_csv_without_its_header_is_refused_whole(self, company: Company, text: str) -> None:
        with pytest.raises(ValidationFailed) as error:
            company.csv(text)
        assert error.value.field == "csv_text"
