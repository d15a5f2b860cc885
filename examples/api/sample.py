"""Sample data: one tenant with a corporate, two families with credits, a venue with
activities and sessions over the next two weeks (one with a single seat, to see the
waitlist move), a traveller with the tenant's travel policies, and an API key and a
password for each person."""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import attrs

from travelcore.accounts import RegisterAccount, Secret
from travelcore.apikeys import CreateApiKey
from travelcore.catalog import (
    ActivityCategory,
    ApplyVenue,
    ChangeVenueStatus,
    CreateActivity,
    ScheduleSession,
    SessionId,
    VenueId,
    VenueStatus,
)
from travelcore.consent import ConsentKind, ConsentService, GrantConsent
from travelcore.discovery import activity_document
from travelcore.kernel import Actor, TenantId, UserId, new_uuid
from travelcore.ledger import AllocateCredits
from travelcore.people import AddChild, ChildId, RegisterCorporate, RegisterUser, UserRole
from travelcore.travel import PolicyKey, RegisterTenant, SetPolicyRule, Severity
from travelcore_adapters import bootstrap

if TYPE_CHECKING:
    from examples.api.services import Services

PASSWORD = "correct horse battery staple"
PARENT_SCOPES = frozenset(
    {"read:activities", "read:bookings", "write:bookings", "read:credits", "write:reviews"}
)
TRAVELLER_SCOPES = frozenset({"read:trips", "write:trips"})
ACTIVITIES = [
    ("Junior Robotics Lab", ActivityCategory.STEM, ("indoor", "creative"), 8),
    ("Forest Explorers", ActivityCategory.NATURE, ("outdoor", "active"), 8),
    ("Messy Paint Party", ActivityCategory.ARTS_CRAFTS, ("indoor", "messy"), 1),
]


@attrs.frozen(kw_only=True)
class Person:
    user_id: UserId
    email: str
    api_key: str = attrs.field(repr=False)
    children: tuple[ChildId, ...] = ()


@attrs.frozen(kw_only=True)
class SampleData:
    tenant_id: TenantId
    venue_id: VenueId
    parents: tuple[Person, ...]
    traveller: Person
    sessions: tuple[SessionId, ...]
    single_seat_session: SessionId
    password: str = attrs.field(default=PASSWORD, repr=False)

    def describe(self) -> str:
        people = [*self.parents, self.traveller]
        lines = [f"Sample tenant {self.tenant_id} (password for everyone: {self.password!r})"]
        lines += [f"  {p.email}: Authorization: Bearer {p.api_key}" for p in people]
        lines.append(f"  with X-Tenant-Id: {self.tenant_id}")
        return "\n".join(lines)


def seed(services: Services) -> SampleData:
    """Create a new sample tenant through the library's use cases, as a platform admin."""
    app = services.app
    tenant = TenantId(new_uuid())
    staff = Actor.platform_admin(tenant, UserId(new_uuid()))
    counter = iter(range(1_000_000))

    def key() -> str:
        return f"sample-{next(counter)}"

    today = app.clock.now().date()
    corporate = app.people.register_corporate(
        RegisterCorporate(
            tenant_id=tenant,
            company_name="Acme",
            primary_contact_name="Hana Ito",
            primary_contact_email="hr@acme.example",
            contract_start_date=today.replace(day=1),
            idempotency_key=key(),
        ),
        actor=staff,
    )
    venue = app.catalog.apply_venue(
        ApplyVenue(
            tenant_id=tenant,
            name="Riverside Studio",
            slug="riverside",
            insurance_coverage=Decimal(2_000_000),
            insurance_expiry_date=today + timedelta(days=365),
            idempotency_key=key(),
        ),
        actor=staff,
    )
    app.catalog.change_venue_status(
        ChangeVenueStatus(
            tenant_id=tenant, venue_id=venue, action="approve", idempotency_key=key()
        ),
        actor=staff,
    )
    sessions, single = [], None
    for name, category, tags, capacity in ACTIVITIES:
        activity = app.catalog.create_activity(
            CreateActivity(
                tenant_id=tenant,
                venue_id=venue,
                name=name,
                category=category,
                min_age=5,
                max_age=12,
                duration_minutes=60,
                credits_required=4,
                capacity_per_session=capacity,
                tags=tags,
                idempotency_key=key(),
            ),
            actor=staff,
        )
        for days in (7, 14):
            session = app.catalog.schedule_session(
                ScheduleSession(
                    tenant_id=tenant,
                    activity_id=activity,
                    session_date=today + timedelta(days=days),
                    start_time=time(10),
                    idempotency_key=key(),
                ),
                actor=staff,
            )
            sessions.append(session)
            if capacity == 1 and single is None:
                single = session
    assert single is not None

    def person(email: str, first: str, role: str, scopes: frozenset[str]) -> UserId:
        user = UserId(new_uuid())
        if role == "parent":
            user = app.people.register_user(
                RegisterUser(
                    tenant_id=tenant,
                    email=email,
                    role=UserRole.PARENT,
                    first_name=first,
                    last_name="Example",
                    corporate_id=corporate,
                    idempotency_key=key(),
                ),
                actor=staff,
            )
        app.accounts.register(
            RegisterAccount(
                tenant_id=tenant,
                user_id=user,
                email=email,
                name=first,
                password=Secret(PASSWORD),
                idempotency_key=key(),
            ),
            actor=staff,
        )
        return user

    consents = ConsentService(app.database, app.clock)
    consents.publish_text(
        ConsentKind.AI_PERSONALISATION, "Suggestions made for your child.", actor=staff
    )
    parents = []
    for family, kids in (("garcia", ("Ana", "Leo")), ("kim", ("Jun",))):
        email = f"{family}@acme.example"
        parent = person(email, family.title(), "parent", PARENT_SCOPES)
        app.ledger.allocate_credits(
            AllocateCredits(
                tenant_id=tenant, user_id=parent, day=today, credits=40, idempotency_key=key()
            ),
            actor=staff,
        )
        children = tuple(
            app.people.add_child(
                AddChild(
                    tenant_id=tenant,
                    parent_id=parent,
                    first_name=kid,
                    date_of_birth=today.replace(year=today.year - 8 - i, day=1),
                    parental_consent=True,
                    idempotency_key=key(),
                ),
                actor=staff,
            )
            for i, kid in enumerate(kids)
        )
        parent_actor = Actor.parent(tenant, parent, corporate)
        for child in children:  # the parents agree to AI suggestions for their children
            consents.grant(
                GrantConsent(child_id=child, kind=ConsentKind.AI_PERSONALISATION),
                actor=parent_actor,
            )
        token = _api_key(app, tenant, parent, "parent", PARENT_SCOPES, staff=staff)
        parents.append(Person(user_id=parent, email=email, api_key=token, children=children))

    app.travel.register_tenant(
        RegisterTenant(tenant_id=tenant, name="Acme", idempotency_key=key()), actor=staff
    )
    for rule, value, severity in (
        (PolicyKey.CABIN_CLASS, {"max": "premium_economy"}, Severity.REFUSAL),
        (PolicyKey.PER_NIGHT_CAP, {"amount": "160.00", "currency": "EUR"}, Severity.WARNING),
    ):
        app.travel.set_policy_rule(
            SetPolicyRule(
                tenant_id=tenant, key=rule, value=value, severity=severity, idempotency_key=key()
            ),
            actor=staff,
        )
    _discovery(services, tenant, [p.user_id for p in parents], today, staff)
    ada = person("ada@acme.example", "Ada", "traveller", frozenset())
    traveller = Person(
        user_id=ada,
        email="ada@acme.example",
        api_key=_api_key(app, tenant, ada, "traveller", TRAVELLER_SCOPES, staff=staff),
    )
    return SampleData(
        tenant_id=tenant,
        venue_id=venue,
        parents=tuple(parents),
        traveller=traveller,
        sessions=tuple(sessions),
        single_seat_session=single,
    )


def _discovery(
    services: Services, tenant: TenantId, parents: list[UserId], today: date, staff: Actor
) -> None:
    """Embed the activities (for search) and make the parents' monthly suggestions."""
    app = services.app
    with app.database(tenant) as uow:
        activities = [
            activity
            for venue in uow.venues.with_status(VenueStatus.ACTIVE)
            for activity in uow.activities.for_venue(venue.id)
        ]
        documents = [
            activity_document(activity, uow.sessions.for_activity(activity.id, None, None))
            for activity in activities
        ]
    app.vectors.sync(tenant, "activities", documents, actor=staff)
    for month in sorted({today, today + timedelta(days=14)}, key=lambda d: (d.year, d.month)):
        services.curation.generate(tenant, month, parents, actor=staff)


def _api_key(
    app: bootstrap.App,
    tenant: TenantId,
    user: UserId,
    role: str,
    scopes: frozenset[str],
    *,
    staff: Actor,
) -> str:
    issued = app.api_keys.create(
        CreateApiKey(
            tenant_id=tenant, user_id=user, role=role, name=f"{role} sample", scopes=scopes
        ),
        actor=staff,
    )
    token: str = issued.token
    return token
