"""A user's full actor (``PeopleService.actor_for``), and the two entry points that produce
actors through the same record: API-key authentication and account sign-in, on memory and
PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from travelcore.accounts import AccountService, RegisterAccount, Secret
from travelcore.apikeys import ApiKeyService, CreateApiKey, InvalidApiKey
from travelcore.kernel import (
    AccessDenied,
    Actor,
    ManualClock,
    NotFound,
    Role,
    TenantId,
    UserId,
    new_uuid,
)
from travelcore.people import PeopleService, RegisterCorporate, RegisterUser, UserRole
from travelcore.testing.actors import admin, job
from travelcore_adapters.memory import MemoryDatabase
from travelcore_adapters.security import AesGcmSecretBox, Argon2PasswordHasher

BOX = AesGcmSecretBox({"k1": AesGcmSecretBox.generate_key()}, current="k1")
HASHER = Argon2PasswordHasher(time_cost=1, memory_cost=512, parallelism=1)
PASSWORD = Secret("correct horse battery")


@pytest.fixture(params=["memory", "postgres"])
def database(request: pytest.FixtureRequest) -> Any:
    if request.param == "memory":
        return MemoryDatabase()
    return request.getfixturevalue("postgres_database")


class Scene:
    def __init__(self, database: Any) -> None:
        self.database = database
        clock = ManualClock(datetime(2026, 3, 2, 9, tzinfo=UTC))
        self.tenant = TenantId(new_uuid())
        self.people = PeopleService(database, clock)
        self.keys = ApiKeyService(database, clock, digest=BOX)
        self.accounts = AccountService(database, clock, secret_box=BOX, hasher=HASHER)
        self.admin = admin(self.tenant)
        self.corporate = self.people.register_corporate(
            RegisterCorporate(
                tenant_id=self.tenant,
                company_name="Acme",
                primary_contact_name="Hana Ito",
                primary_contact_email="hana@acme.example",
                contract_start_date=date(2026, 1, 1),
            ),
            actor=self.admin,
        )
        self.venue = new_uuid()

    def user(self, role: UserRole) -> UserId:
        return self.people.register_user(
            RegisterUser(
                tenant_id=self.tenant,
                email=f"{new_uuid().hex}@acme.example",
                role=role,
                first_name="Ada",
                last_name="Hale",
                corporate_id=self.corporate if role is not UserRole.VENUE_ADMIN else None,
                venue_id=self.venue if role is UserRole.VENUE_ADMIN else None,
            ),
            actor=self.admin,
        )

    def key(self, user_id: UserId, role: str, scopes: frozenset[str]) -> str:
        create = CreateApiKey(
            tenant_id=self.tenant, user_id=user_id, role=role, name="sync", scopes=scopes
        )
        return self.keys.create(create, actor=self.admin).token


@pytest.fixture
def scene(database: Any) -> Scene:
    return Scene(database)


def test_the_actor_of_each_role_is_bound_as_its_record_says(scene: Scene) -> None:
    parent, hr, host = (
        scene.user(role) for role in (UserRole.PARENT, UserRole.HR_ADMIN, UserRole.VENUE_ADMIN)
    )
    tenant = scene.tenant
    assert scene.people.actor_for(tenant, parent, actor=scene.admin) == Actor(
        tenant_id=tenant, role=Role.PARENT, user_id=parent, corporate_id=scene.corporate
    )
    assert scene.people.actor_for(tenant, hr, actor=job(tenant, "sign-in")) == Actor(
        tenant_id=tenant, role=Role.HR_ADMIN, user_id=hr, corporate_id=scene.corporate
    )
    own = scene.people.actor_for(
        tenant, host, actor=Actor(tenant_id=tenant, role=Role.VENUE_ADMIN, user_id=host)
    )
    assert own == Actor(tenant_id=tenant, role=Role.VENUE_ADMIN, user_id=host, venue_id=scene.venue)


def test_only_the_user_admins_and_jobs_look_an_actor_up(scene: Scene) -> None:
    parent, other = scene.user(UserRole.PARENT), scene.user(UserRole.PARENT)
    snooping = Actor(tenant_id=scene.tenant, role=Role.PARENT, user_id=other)
    with pytest.raises(AccessDenied) as refused:
        scene.people.actor_for(scene.tenant, parent, actor=snooping)
    assert refused.value.rule == "role"
    elsewhere = admin(TenantId(new_uuid()))
    with pytest.raises(AccessDenied) as refused:
        scene.people.actor_for(scene.tenant, parent, actor=elsewhere)
    assert refused.value.rule == "tenant"
    with pytest.raises(NotFound):
        scene.people.actor_for(scene.tenant, UserId(new_uuid()), actor=scene.admin)


def test_a_deactivated_user_has_no_actor(scene: Scene) -> None:
    parent = scene.user(UserRole.PARENT)
    token = scene.key(parent, "parent", frozenset({"read:bookings"}))
    with scene.database(scene.tenant) as uow:
        user = uow.users.get(parent)
        user.is_active = False
        uow.users.save(user)
        uow.commit()
    for attempt in (
        lambda: scene.people.actor_for(scene.tenant, parent, actor=scene.admin),
        lambda: scene.keys.authenticate(scene.tenant, token),
    ):
        with pytest.raises(AccessDenied) as refused:
            attempt()
        assert refused.value.rule == "inactive_user"


def test_an_api_key_acts_as_its_users_actor_narrowed_to_its_scopes(scene: Scene) -> None:
    host = scene.user(UserRole.VENUE_ADMIN)
    scopes = frozenset({"read:bookings"})
    token = scene.key(host, "venue_admin", scopes)
    actor = scene.keys.authenticate(scene.tenant, token)
    full = scene.people.actor_for(scene.tenant, host, actor=scene.admin)
    assert (actor.role, actor.user_id, actor.venue_id) == (full.role, host, scene.venue)
    assert actor.scopes == scopes
    assert actor.api_key_id is not None


def test_a_key_whose_role_is_not_its_users_is_refused(scene: Scene) -> None:
    parent = scene.user(UserRole.PARENT)
    token = scene.key(parent, "platform_admin", frozenset({"write:bookings"}))
    with pytest.raises(InvalidApiKey) as refused:
        scene.keys.authenticate(scene.tenant, token)
    assert refused.value.reason == "role_changed"
    control = scene.key(parent, "parent", frozenset({"write:bookings"}))
    assert scene.keys.authenticate(scene.tenant, control).role is Role.PARENT


def test_sign_in_yields_the_users_full_actor_or_a_traveller(scene: Scene) -> None:
    parent, traveller = scene.user(UserRole.PARENT), UserId(new_uuid())
    for user_id in (parent, traveller):
        scene.accounts.register(
            RegisterAccount(
                tenant_id=scene.tenant,
                user_id=user_id,
                email=f"{user_id.hex}@example.com",
                name="Ada",
                password=PASSWORD,
                idempotency_key=f"register-{user_id}",
            ),
            actor=scene.admin,
        )
    signed_in = scene.accounts.sign_in(scene.tenant, f"{parent.hex}@example.com", PASSWORD)
    assert signed_in == scene.people.actor_for(scene.tenant, parent, actor=scene.admin)
    assert signed_in.corporate_id == scene.corporate
    assert scene.accounts.sign_in(scene.tenant, f"{traveller.hex}@example.com", PASSWORD) == Actor(
        tenant_id=scene.tenant, role=Role.TRAVELLER, user_id=traveller
    )
    with pytest.raises(AccessDenied):
        scene.accounts.sign_in(scene.tenant, f"{parent.hex}@example.com", Secret("wrong one!!"))
