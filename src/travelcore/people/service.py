"""People use cases: corporates, users and children."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TypeVar
from uuid import UUID

import attrs

from travelcore.kernel import (
    Actor,
    AlreadyExists,
    Clock,
    TenantId,
    UserId,
    checked_clock,
    require_tenant,
    run_use_case,
)
from travelcore.kernel import validation as v
from travelcore.people import access
from travelcore.people.model import (
    Child,
    ChildId,
    Corporate,
    CorporateId,
    User,
    UserRole,
)
from travelcore.people.ports import PeopleUnitOfWork
from travelcore.people.zones import local_today

R = TypeVar("R")
UowFactory = Callable[[TenantId], PeopleUnitOfWork]


@attrs.frozen(kw_only=True)
class RegisterCorporate:
    tenant_id: TenantId
    company_name: str
    primary_contact_name: str
    primary_contact_email: str
    contract_start_date: date
    contract_end_date: date | None = None
    timezone: str = "UTC"
    idempotency_key: str | None = None


@attrs.frozen(kw_only=True)
class RegisterUser:
    tenant_id: TenantId
    email: str
    role: UserRole
    first_name: str
    last_name: str
    corporate_id: CorporateId | None = None
    venue_id: UUID | None = None
    idempotency_key: str | None = None


@attrs.frozen(kw_only=True)
class AddChild:
    tenant_id: TenantId
    parent_id: UserId
    first_name: str
    date_of_birth: date
    interests: tuple[str, ...] = ()
    activities_to_avoid: tuple[str, ...] = ()
    accessibility_needs: tuple[str, ...] = ()
    parental_consent: bool = False
    idempotency_key: str | None = None


class PeopleService:
    """Corporates, users and children. Its commands are set-up commands: their
    ``idempotency_key`` is optional (without one a command runs each time it is sent)."""

    def __init__(self, uow_factory: UowFactory, clock: Clock) -> None:
        self._uow_factory = uow_factory
        self._clock = checked_clock(clock)

    def register_corporate(self, cmd: RegisterCorporate, *, actor: Actor) -> CorporateId:
        def action(uow: PeopleUnitOfWork, now: datetime) -> CorporateId:
            access.register(actor)
            corporate = Corporate.create(
                cmd.tenant_id,
                company_name=cmd.company_name,
                primary_contact_name=cmd.primary_contact_name,
                primary_contact_email=cmd.primary_contact_email,
                contract_start_date=cmd.contract_start_date,
                contract_end_date=cmd.contract_end_date,
                timezone=cmd.timezone,
            )
            uow.corporates.add(corporate)
            return corporate.id

        return self._run(cmd.tenant_id, cmd, cmd.idempotency_key, CorporateId, action, actor=actor)

    def register_user(self, cmd: RegisterUser, *, actor: Actor) -> UserId:
        def action(uow: PeopleUnitOfWork, now: datetime) -> UserId:
            access.register(actor, cmd.corporate_id if cmd.role is UserRole.PARENT else None)
            user = User.create(
                cmd.tenant_id,
                email=cmd.email,
                role=cmd.role,
                first_name=cmd.first_name,
                last_name=cmd.last_name,
                corporate_id=cmd.corporate_id,
                venue_id=cmd.venue_id,
            )
            if user.corporate_id is not None:
                uow.corporates.get(user.corporate_id)
            if uow.users.find_by_email(user.email) is not None:
                raise AlreadyExists("the email is taken", key="email")
            uow.users.add(user)
            return user.id

        return self._run(cmd.tenant_id, cmd, cmd.idempotency_key, UserId, action, actor=actor)

    def add_child(self, cmd: AddChild, *, actor: Actor) -> ChildId:
        def action(uow: PeopleUnitOfWork, now: datetime) -> ChildId:
            access.family(actor, cmd.parent_id)
            uow.users.get(cmd.parent_id)
            child = Child.create(
                cmd.tenant_id,
                parent_id=cmd.parent_id,
                first_name=cmd.first_name,
                date_of_birth=cmd.date_of_birth,
                today=local_today(uow, cmd.parent_id, now),
                interests=cmd.interests,
                activities_to_avoid=cmd.activities_to_avoid,
                accessibility_needs=cmd.accessibility_needs,
            )
            if cmd.parental_consent:
                child.give_consent(now)
            uow.children.add(child)
            return child.id

        return self._run(cmd.tenant_id, cmd, cmd.idempotency_key, ChildId, action, actor=actor)

    def children(self, tenant_id: TenantId, parent_id: UserId, *, actor: Actor) -> list[Child]:
        v.ids(parent_id=parent_id)
        require_tenant(actor, tenant_id)
        access.read_family(actor, parent_id)
        with self._uow_factory(tenant_id) as uow:
            return uow.children.for_parent(parent_id)

    def actor_for(self, tenant_id: TenantId, user_id: UserId, *, actor: Actor) -> Actor:
        """The full actor of the user ``user_id`` (:meth:`User.actor`: the role, corporate
        and venue of its record); ``NotFound`` for an unknown user, ``AccessDenied`` (rule
        ``inactive_user``) for a deactivated one. Asked by the user themselves, an admin
        or a job."""
        v.ids(user_id=user_id)
        require_tenant(actor, tenant_id)
        access.look_up(actor, user_id)
        with self._uow_factory(tenant_id) as uow:
            return uow.users.get(user_id).actor()

    def _run(
        self,
        tenant_id: TenantId,
        cmd: object,
        key: str | None,
        result_type: type[R],
        action: Callable[[PeopleUnitOfWork, datetime], R],
        *,
        actor: Actor,
    ) -> R:
        return run_use_case(
            self._uow_factory, tenant_id, self._clock, key, cmd, result_type, action, actor=actor
        )


# -- boundary checks -----------------------------------------------------------------------

MAX_PROFILE_ITEMS = 20
_KEY = {"idempotency_key": v.optional(v.text(255))}
_LABELS = v.items(v.text(100), max_items=MAX_PROFILE_ITEMS)
v.validated(
    RegisterCorporate,
    tenant_id=v.uuid,
    company_name=v.text(255),
    primary_contact_name=v.text(255),
    primary_contact_email=v.text(255),
    contract_start_date=v.day,
    contract_end_date=v.optional(v.day),
    timezone=v.time_zone,
    **_KEY,
)
v.validated(
    RegisterUser,
    tenant_id=v.uuid,
    email=v.text(255),
    role=v.member(UserRole),
    first_name=v.text(100),
    last_name=v.text(100),
    corporate_id=v.optional(v.uuid),
    venue_id=v.optional(v.uuid),
    **_KEY,
)
v.validated(
    AddChild,
    tenant_id=v.uuid,
    parent_id=v.uuid,
    first_name=v.text(100),
    date_of_birth=v.day,
    interests=v.items(v.text(50), max_items=3),
    activities_to_avoid=_LABELS,
    accessibility_needs=_LABELS,
    parental_consent=v.boolean,
    **_KEY,
)
