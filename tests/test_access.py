"""DOMAIN.md section 10 under random actors: every use case is allowed exactly when an
oracle written from the section says so, on memory and PostgreSQL, and refused with
``AccessDenied`` otherwise. With the contexts' checks switched off the property fails."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import attrs
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

import travelcore.accounts.access
import travelcore.apikeys.access
import travelcore.billing.access
import travelcore.booking.access
import travelcore.catalog.access
import travelcore.discovery.access
import travelcore.ledger.access
import travelcore.notifications.access
import travelcore.people.access
import travelcore.settings.access
import travelcore.travel.access
import travelcore.vectors.access
from travelcore.accounts import (
    AccountService,
    ConversationService,
    EndConversation,
    RegisterAccount,
    RotateCredentials,
    Secret,
    StartConversation,
)
from travelcore.apikeys import ApiKeyService, CreateApiKey
from travelcore.apikeys.model import SCOPES
from travelcore.billing import (
    AdjustPayout,
    BillingService,
    CreatePayout,
    IssueInvoice,
)
from travelcore.booking import BookSession, CancelBooking, CancellationReason, MarkAttendance
from travelcore.catalog import ActivityCategory, ChangeVenueStatus, CreateActivity, VenueAction
from travelcore.discovery import GeoPoint
from travelcore.discovery.moderation import ReviewModeration
from travelcore.discovery.personal import Favourites
from travelcore.discovery.places import Places
from travelcore.discovery.scoring import RepositoryMetricsReader, VenueScoring
from travelcore.kernel import (
    ADMINS,
    AccessDenied,
    Actor,
    ManualClock,
    Money,
    Role,
    TenantId,
    TravelcoreError,
    UserId,
    new_uuid,
    permit,
)
from travelcore.ledger import Adjust, CreateSubscription, SubscriptionTier
from travelcore.notifications import (
    Channel,
    NotificationService,
    NotificationType,
    SaveTemplate,
    SwitchChannel,
)
from travelcore.people import AddChild, PeopleService, RegisterUser, UserRole
from travelcore.settings import PlatformSettingsService
from travelcore.testing.actors import admin
from travelcore.testing.world import World
from travelcore.travel import TravelService
from travelcore.vectors import HashingEmbedder, VectorSync
from travelcore_adapters.memory import MemoryDatabase
from travelcore_adapters.memory.vectors import MemoryVectorStore
from travelcore_adapters.notifications import JinjaRenderer
from travelcore_adapters.security import AesGcmSecretBox, Argon2PasswordHasher

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
CONTEXTS = [
    travelcore.booking.access,
    travelcore.catalog.access,
    travelcore.ledger.access,
    travelcore.people.access,
    travelcore.travel.access,
    travelcore.accounts.access,
    travelcore.notifications.access,
    travelcore.billing.access,
    travelcore.discovery.access,
    travelcore.settings.access,
    travelcore.apikeys.access,
    travelcore.vectors.access,
]


@attrs.frozen
class Case:
    """A use case on one target: the scope it needs, whether a job may run it, the roles
    that may act on every target (``admins``), the user who owns the target (any role of
    that user may act), and for each bound role the id the actor must be bound to."""

    name: str
    scope: str
    run: Callable[[Actor], object]
    owners: dict[Role, Any] = attrs.field(factory=dict)
    job: bool = False
    user: Any = None
    admins: frozenset[Role] = ADMINS


PLATFORM = frozenset({Role.PLATFORM_ADMIN})


class Scene:
    """Two families (A, B, each with a child and an employer), two venues (V1, V2) with a
    session each, a booking of A's child at V1 and of B's child at V2; A also travels; B
    has a conversation, A's employer an invoice, V1 a payout."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.people = PeopleService(world.db, world.clock)
        self.travel = TravelService(world.db, world.clock)
        w, staff = world, admin(world.tenant)
        self.a, [self.a_child] = w.family(credits=50)
        self.b, [self.b_child] = w.family(credits=50)
        self.s1, self.s2 = w.session(capacity=20), w.session(capacity=20)
        self.v1, self.v2 = w.get_session(self.s1).venue_id, w.get_session(self.s2).venue_id
        with w.db(w.tenant) as uow:
            self.corp_a = uow.users.get(self.a).corporate_id
            self.corp_b = uow.users.get(self.b).corporate_id
        self.booking_a = self._book(self.s1, self.a_child, self.a, staff)
        self.booking_b = self._book(self.s2, self.b_child, self.b, staff)
        self.balance_a = w.balance(self.a).balance_id
        self._more_services()
        self.chat_b = self.chats.start(
            StartConversation(tenant_id=w.tenant, user_id=self.b, idempotency_key=w.key()),
            actor=staff,
        )
        subscription = w.ledger.create_subscription(
            CreateSubscription(
                tenant_id=w.tenant,
                corporate_id=self.corp_a,
                tier=SubscriptionTier.STANDARD,
                covered_employees=10,
                credits_per_employee=30,
                monthly_cost=Money.of("500.00", "EUR"),
                start_date=date(2026, 1, 1),
                idempotency_key=w.key(),
            ),
            actor=staff,
        )
        self.invoice_a = self.billing.issue_invoice(
            IssueInvoice(
                tenant_id=w.tenant,
                subscription_id=subscription.id,
                prefix="A",
                idempotency_key=w.key(),
            ),
            actor=staff,
        ).id
        self.payout_v1 = self.billing.create_payout(
            CreatePayout(
                tenant_id=w.tenant,
                venue_id=self.v1,
                period_start=date(2026, 2, 1),
                period_end=date(2026, 3, 1),
                credit_value=Money.of("2.50", "EUR"),
                idempotency_key=w.key(),
            ),
            actor=staff,
        ).id

    def _more_services(self) -> None:
        db, clock = self.world.db, self.world.clock
        box = AesGcmSecretBox({"k1": AesGcmSecretBox.generate_key()}, current="k1")
        weak = Argon2PasswordHasher(time_cost=1, memory_cost=512, parallelism=1)
        self.accounts = AccountService(db, clock, secret_box=box, hasher=weak)
        self.chats = ConversationService(db, clock)
        self.notifications = NotificationService(db, clock, renderer=JinjaRenderer())
        self.billing = BillingService(db, clock)
        self.favourites = Favourites(db, clock)
        self.places = Places(db)
        self.scoring = VenueScoring(db, RepositoryMetricsReader(db), clock)
        self.moderation = ReviewModeration(db)
        self.settings = PlatformSettingsService(db, clock)
        self.api_keys = ApiKeyService(db, clock, digest=box)
        store = MemoryVectorStore(8)
        self.vectors = VectorSync(db, clock, store=store, embedder=HashingEmbedder(8))

    def _book(self, session: Any, child: Any, parent: UserId, actor: Actor) -> Any:
        cmd = BookSession(
            tenant_id=self.world.tenant,
            session_id=session,
            child_id=child,
            parent_id=parent,
            idempotency_key=self.world.key(),
        )
        return self.world.bookings.book(cmd, actor=actor).booking_id

    def cases(self) -> list[Case]:
        """The use cases and who owns their targets, from DOMAIN.md section 10."""
        w, t, key = self.world, self.world.tenant, self.world.key
        parent, venue, hr = Role.PARENT, Role.VENUE_ADMIN, Role.HR_ADMIN
        return [
            Case(
                "book own child",
                "write:bookings",
                lambda actor: self._book(self.s1, self.a_child, self.a, actor),
                {parent: self.a},
            ),
            Case(
                "cancel as parent",
                "write:bookings",
                lambda actor: w.bookings.cancel(
                    CancelBooking(
                        tenant_id=t,
                        booking_id=self.booking_a,
                        reason=CancellationReason.SCHEDULE_CONFLICT,
                        idempotency_key=key(),
                    ),
                    actor=actor,
                ),
                {parent: self.a},
            ),
            Case(
                "cancel as venue",
                "write:bookings",
                lambda actor: w.bookings.cancel(
                    CancelBooking(
                        tenant_id=t,
                        booking_id=self.booking_b,
                        reason=CancellationReason.VENUE_CANCELLED,
                        by_venue=True,
                        idempotency_key=key(),
                    ),
                    actor=actor,
                ),
                {venue: self.v2},
            ),
            Case(
                "attendance",
                "write:bookings",
                lambda actor: w.bookings.mark_attendance(
                    MarkAttendance(
                        tenant_id=t, booking_id=self.booking_a, attended=True, idempotency_key=key()
                    ),
                    actor=actor,
                ),
                {venue: self.v1},
            ),
            Case(
                "read a booking",
                "read:bookings",
                lambda actor: w.bookings.get(t, self.booking_a, actor=actor),
                {parent: self.a, venue: self.v1},
            ),
            Case(
                "a session's bookings",
                "read:bookings",
                lambda actor: w.bookings.for_session(t, self.s2, actor=actor),
                {venue: self.v2},
            ),
            Case(
                "a session's waitlist",
                "read:bookings",
                lambda actor: w.waitlist.entries(t, self.s1, actor=actor),
                {venue: self.v1},
            ),
            Case(
                "expire offers",
                "write:bookings",
                lambda actor: w.waitlist.expire_offers(t, actor=actor),
                job=True,
            ),
            Case(
                "a balance",
                "read:credits",
                lambda actor: w.ledger.balance(t, self.balance_a, actor=actor),
                {parent: self.a},
            ),
            Case(
                "the current balance",
                "read:credits",
                lambda actor: w.ledger.balance_for(t, self.b, actor=actor),
                {parent: self.b},
            ),
            Case(
                "adjust credits",
                "write:credits",
                lambda actor: w.ledger.adjust(
                    Adjust(
                        tenant_id=t,
                        balance_id=self.balance_a,
                        credits=1,
                        reason="goodwill",
                        idempotency_key=key(),
                    ),
                    actor=actor,
                ),
            ),
            Case(
                "expire holds",
                "write:credits",
                lambda actor: w.ledger.expire_holds(t, actor=actor),
                job=True,
            ),
            Case(
                "add a child",
                "write:employees",
                lambda actor: self.people.add_child(
                    AddChild(
                        tenant_id=t,
                        parent_id=self.a,
                        first_name="Ida",
                        date_of_birth=date(2019, 1, 1),
                    ),
                    actor=actor,
                ),
                {parent: self.a},
            ),
            Case(
                "read children",
                "read:employees",
                lambda actor: self.people.children(t, self.b, actor=actor),
                {parent: self.b},
            ),
            Case(
                "register an employee",
                "write:employees",
                lambda actor: self.people.register_user(
                    RegisterUser(
                        tenant_id=t,
                        email=f"{new_uuid()}@acme.test",
                        role=UserRole.PARENT,
                        first_name="New",
                        last_name="Hire",
                        corporate_id=self.corp_a,
                    ),
                    actor=actor,
                ),
                {hr: self.corp_a},
            ),
            Case(
                "create an activity",
                "write:activities",
                lambda actor: w.catalog.create_activity(
                    CreateActivity(
                        tenant_id=t,
                        venue_id=self.v1,
                        name="Chess",
                        category=ActivityCategory.STEM,
                        duration_minutes=60,
                        credits_required=3,
                        capacity_per_session=8,
                    ),
                    actor=actor,
                ),
                {venue: self.v1},
            ),
            Case(
                "review a venue",
                "write:activities",
                lambda actor: w.catalog.change_venue_status(
                    ChangeVenueStatus(
                        tenant_id=t, venue_id=self.v2, action=VenueAction.SUSPEND, reason="audit"
                    ),
                    actor=actor,
                ),
            ),
            Case(
                "a traveller's trips",
                "read:trips",
                lambda actor: self.travel.trips(t, user_id=self.a, actor=actor),
                {Role.TRAVELLER: self.a},
            ),
            Case(
                "the whole tenant's itineraries",
                "read:trips",
                lambda actor: self.travel.itineraries(t, actor=actor),
            ),
            Case(
                "release inventory",
                "write:activities",
                lambda actor: w.catalog.release_inventory(t, actor=actor),
                job=True,
            ),
            *self.more_cases(),
        ]

    def more_cases(self) -> list[Case]:
        """Accounts, conversations, notifications, billing, discovery, settings, API keys
        and vector sync."""
        t, key = self.world.tenant, self.world.key
        parent, venue, hr = Role.PARENT, Role.VENUE_ADMIN, Role.HR_ADMIN
        return [
            Case(
                "register one's account",
                "write:accounts",
                lambda actor: self.accounts.register(
                    RegisterAccount(
                        tenant_id=t,
                        user_id=self.a,
                        email=f"{new_uuid()}@acme.test",
                        name="A",
                        password=Secret("correct horse battery"),
                        idempotency_key=key(),
                    ),
                    actor=actor,
                ),
                user=self.a,
            ),
            Case(
                "a user's credentials",
                "read:accounts",
                lambda actor: self.accounts.credentials(t, self.b, actor=actor),
                user=self.b,
            ),
            Case(
                "rotate credentials",
                "write:accounts",
                lambda actor: self.accounts.rotate_credentials(
                    RotateCredentials(tenant_id=t, idempotency_key=key()), actor=actor
                ),
                job=True,
            ),
            Case(
                "start a conversation",
                "write:conversations",
                lambda actor: self.chats.start(
                    StartConversation(tenant_id=t, user_id=self.a, idempotency_key=key()),
                    actor=actor,
                ),
                user=self.a,
            ),
            Case(
                "a transcript",
                "read:conversations",
                lambda actor: self.chats.transcript(t, self.chat_b, actor=actor),
                user=self.b,
            ),
            Case(
                "end a conversation",
                "write:conversations",
                lambda actor: self.chats.end(
                    EndConversation(
                        tenant_id=t, conversation_id=self.chat_b, idempotency_key=key()
                    ),
                    actor=actor,
                ),
                user=self.b,
                job=True,
            ),
            Case(
                "an inbox",
                "read:notifications",
                lambda actor: self.notifications.inbox(t, self.a, actor=actor),
                user=self.a,
            ),
            Case(
                "switch a channel",
                "write:notifications",
                lambda actor: self.notifications.switch_channel(
                    SwitchChannel(
                        tenant_id=t,
                        user_id=self.b,
                        type=NotificationType.MONTHLY_SUGGESTIONS,
                        channel=Channel.EMAIL,
                        enabled=False,
                        idempotency_key=key(),
                    ),
                    actor=actor,
                ),
                user=self.b,
            ),
            Case(
                "save a template",
                "write:notifications",
                lambda actor: self.notifications.save_template(
                    SaveTemplate(
                        tenant_id=t,
                        key="system_announcement",
                        channel=Channel.IN_APP,
                        language="en",
                        name="Announcement",
                        title="{{ subject }}",
                        body="{{ message }}",
                        variables=("subject", "message"),
                        idempotency_key=key(),
                    ),
                    actor=actor,
                ),
            ),
            Case(
                "deliver notifications",
                "write:notifications",
                lambda actor: self.notifications.deliver_due(t, actor=actor),
                job=True,
            ),
            Case(
                "an invoice",
                "read:invoices",
                lambda actor: self.billing.invoice(t, self.invoice_a, actor=actor),
                {hr: self.corp_a},
                admins=PLATFORM,
            ),
            Case(
                "mark invoices overdue",
                "write:invoices",
                lambda actor: self.billing.mark_overdue(t, actor=actor),
                job=True,
                admins=PLATFORM,
            ),
            Case(
                "a payout",
                "read:payouts",
                lambda actor: self.billing.payout(t, self.payout_v1, actor=actor),
                {venue: self.v1},
                admins=PLATFORM,
            ),
            Case(
                "adjust a payout",
                "write:payouts",
                lambda actor: self.billing.adjust_payout(
                    AdjustPayout(
                        tenant_id=t,
                        payout_id=self.payout_v1,
                        amount=Money.of("1.00", "EUR"),
                        notes="goodwill",
                        idempotency_key=key(),
                    ),
                    actor=actor,
                ),
                admins=PLATFORM,
            ),
            Case(
                "a child's favourites",
                "read:personal",
                lambda actor: self.favourites.of(t, self.a_child, actor=actor),
                {parent: self.a},
            ),
            Case(
                "a user's locations",
                "read:personal",
                lambda actor: self.places.locations(t, self.b, actor=actor),
                user=self.b,
            ),
            Case(
                "place a venue",
                "write:activities",
                lambda actor: self.places.place_venue(
                    t, self.v2, GeoPoint(40.7, -74.0), actor=actor
                ),
                {venue: self.v2},
            ),
            Case(
                "score venues",
                "write:curation",
                lambda actor: self.scoring.run(t, actor=actor),
                job=True,
                admins=PLATFORM,
            ),
            Case(
                "the moderation queue",
                "write:reviews",
                lambda actor: self.moderation.queue(t, actor=actor),
                admins=PLATFORM,
            ),
            Case(
                "override settings",
                "write:settings",
                lambda actor: self.settings.update(t, {}, actor=actor),
            ),
            Case(
                "issue an API key",
                "write:api_keys",
                lambda actor: self.api_keys.create(
                    CreateApiKey(
                        tenant_id=t,
                        user_id=self.a,
                        role="parent",
                        name="integration",
                        scopes=frozenset({"read:bookings"}),
                    ),
                    actor=actor,
                ),
            ),
            Case(
                "sync vectors",
                "write:vectors",
                lambda actor: self.vectors.sync(t, "activities", [], actor=actor),
                job=True,
                admins=PLATFORM,
            ),
        ]

    def actors(self) -> st.SearchStrategy[Actor]:
        """Every role, bound to this scene's own or other users, venues and corporates, in
        this tenant or another, with every scope or a random few (an API key)."""
        other = st.builds(lambda: UserId(new_uuid()))
        users = st.sampled_from([self.a, self.b]) | other
        bindings = {
            Role.PARENT: st.fixed_dictionaries({"user_id": users}),
            Role.TRAVELLER: st.fixed_dictionaries({"user_id": users}),
            Role.VENUE_ADMIN: st.fixed_dictionaries(
                {"user_id": users, "venue_id": st.sampled_from([self.v1, self.v2]) | other}
            ),
            Role.HR_ADMIN: st.fixed_dictionaries(
                {"user_id": users, "corporate_id": st.sampled_from([self.corp_a, self.corp_b])}
            ),
            Role.PLATFORM_ADMIN: st.fixed_dictionaries({"user_id": users}),
            Role.TENANT_ADMIN: st.fixed_dictionaries({"user_id": users}),
            Role.SYSTEM: st.fixed_dictionaries({"job": st.just("sweep")}),
        }
        tenants = st.sampled_from([self.world.tenant]) | st.builds(lambda: TenantId(new_uuid()))
        scopes = st.none() | st.frozensets(st.sampled_from(sorted(SCOPES)), min_size=1)
        return st.sampled_from(list(bindings)).flatmap(
            lambda role: st.builds(
                lambda fields, tenant, granted: Actor(
                    tenant_id=tenant, role=role, scopes=granted, **fields
                ),
                bindings[role],
                tenants,
                scopes,
            )
        )


def oracle(scene: Scene, actor: Actor, case: Case) -> bool:
    """DOMAIN.md section 10 and docs/access.md: same tenant; an API key's scopes narrow any
    role; the case's admins (platform and tenant admins unless it says otherwise) do
    everything; the system runs jobs; a user acts on what is their own; a parent,
    traveller, venue admin or HR admin only what they own."""
    if actor.tenant_id != scene.world.tenant:
        return False
    if actor.scopes is not None and case.scope not in actor.scopes:
        return False
    if actor.role in case.admins:
        return True
    if actor.role is Role.SYSTEM:
        return case.job
    if case.user is not None and actor.user_id == case.user:
        return True
    mine = {
        Role.PARENT: actor.user_id,
        Role.TRAVELLER: actor.user_id,
        Role.VENUE_ADMIN: actor.venue_id,
        Role.HR_ADMIN: actor.corporate_id,
    }.get(actor.role, object())
    return case.owners.get(actor.role, object()) == mine


def check(scene: Scene, runs: int, cases: list[Case] | None = None, *, shrink: bool = True) -> None:
    """The property over ``cases`` (all by default); a negative control need not shrink."""
    cases = scene.cases() if cases is None else cases
    phases = list(Phase) if shrink else [Phase.generate]

    @settings(max_examples=runs, deadline=None, phases=phases)
    @given(actor=scene.actors(), which=st.integers(0, len(cases) - 1))
    def no_actor_acts_outside_section_10(actor: Actor, which: int) -> None:
        case = cases[which]
        try:
            case.run(actor)
            allowed = True
        except AccessDenied:
            allowed = False
        except TravelcoreError:  # allowed, then refused by a rule (a second cancel, ...)
            allowed = True
        assert allowed == oracle(scene, actor, case), (case.name, actor)

    no_actor_acts_outside_section_10()


@pytest.fixture(params=["memory", "postgres"])
def scene(request: pytest.FixtureRequest) -> Scene:
    database = (
        MemoryDatabase()
        if request.param == "memory"
        else request.getfixturevalue("postgres_database")
    )
    return Scene(World(database, ManualClock(T0)))


def test_no_actor_acts_outside_section_10(scene: Scene) -> None:
    check(scene, runs=600 if isinstance(scene.world.db, MemoryDatabase) else 300)


def test_negative_control_without_the_checks_the_property_fails(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    for context in CONTEXTS:
        monkeypatch.setattr(context, "permit", lambda *args, **kwargs: None)
    runs = 600 if isinstance(scene.world.db, MemoryDatabase) else 300
    with pytest.raises(AssertionError):
        check(scene, runs=runs, shrink=False)


@pytest.mark.parametrize("context", CONTEXTS, ids=lambda module: module.__name__.split(".")[1])
def test_each_contexts_checks_are_needed(context: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Switching off one context's rules alone makes the property fail on that context's
    use cases (those that call its checks; memory)."""
    scene = Scene(World(MemoryDatabase(), ManualClock(T0)))
    calls: list[object] = []
    monkeypatch.setattr(context, "permit", lambda *args, **kwargs: calls.append(args))
    own = []
    for case in scene.cases():
        calls.clear()
        with contextlib.suppress(TravelcoreError):
            case.run(admin(scene.world.tenant))
        if calls:
            own.append(case)
    assert own
    with pytest.raises(AssertionError):
        check(scene, runs=200, cases=own, shrink=False)


# -- one test per rule ----------------------------------------------------------------------


TENANT = TenantId(new_uuid())
OWNER, VENUE, CORPORATE = UserId(new_uuid()), new_uuid(), new_uuid()


def _actor(role: Role, **fields: Any) -> Actor:
    user = {} if role is Role.SYSTEM else {"user_id": UserId(new_uuid())}
    return Actor(tenant_id=TENANT, role=role, **(user | fields))


@pytest.mark.parametrize(
    ("actor", "owners", "rule"),
    [
        (_actor(Role.PARENT), {"parent": OWNER}, "own_family"),
        (_actor(Role.VENUE_ADMIN, venue_id=new_uuid()), {"venue": VENUE}, "own_venue"),
        (_actor(Role.HR_ADMIN, corporate_id=new_uuid()), {"corporate": CORPORATE}, "own_corporate"),
        (_actor(Role.TRAVELLER), {"traveller": OWNER}, "own_trips"),
        (_actor(Role.VENUE_ADMIN, venue_id=VENUE), {"user": OWNER}, "own_user"),
        (_actor(Role.PARENT), {"venue": VENUE}, "role"),
        (_actor(Role.SYSTEM, job="sweep"), {"parent": OWNER}, "system"),
        (_actor(Role.PLATFORM_ADMIN, scopes=frozenset({"read:bookings"})), {}, "scope"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_each_refusal_names_its_rule(actor: Actor, owners: dict[str, Any], rule: str) -> None:
    with pytest.raises(AccessDenied) as refused:
        permit(actor, "write:bookings", **owners)
    assert refused.value.rule == rule


def test_owners_admins_and_jobs_are_let_through() -> None:
    permit(_actor(Role.PARENT, user_id=OWNER), "write:bookings", parent=OWNER)
    permit(_actor(Role.VENUE_ADMIN, venue_id=VENUE), "write:bookings", venue=VENUE)
    permit(_actor(Role.HR_ADMIN, corporate_id=CORPORATE), "write:credits", corporate=CORPORATE)
    permit(_actor(Role.TENANT_ADMIN), "write:credits")
    permit(_actor(Role.SYSTEM, job="sweep"), "write:credits", jobs=True)
    permit(_actor(Role.HR_ADMIN, user_id=OWNER), "write:accounts", user=OWNER)
    key = _actor(Role.PLATFORM_ADMIN, scopes=frozenset({"write:bookings"}))
    permit(key, "write:bookings")


def test_another_tenants_actor_is_refused_before_anything_runs() -> None:
    world = World(MemoryDatabase(), ManualClock(T0))
    stranger = Actor(tenant_id=TenantId(new_uuid()), role=Role.PLATFORM_ADMIN, user_id=OWNER)
    with pytest.raises(AccessDenied) as refused:
        world.ledger.expire_holds(world.tenant, actor=stranger)
    assert refused.value.rule == "tenant"


def test_hiding_a_review_needs_its_venues_admin_or_a_platform_admin() -> None:
    tenant_admin = _actor(Role.TENANT_ADMIN)
    with pytest.raises(AccessDenied) as refused:
        permit(
            tenant_admin,
            "write:reviews",
            venue=VENUE,
            admins=frozenset({Role.PLATFORM_ADMIN}),
        )
    assert refused.value.rule == "role"


def test_only_a_platform_admin_issues_a_platform_admins_key() -> None:
    db, clock = MemoryDatabase(), ManualClock(T0)
    keys = ApiKeyService(db, clock, digest=AesGcmSecretBox({"k": bytes(32)}, current="k"))

    def issue(actor: Actor) -> object:
        return keys.create(
            CreateApiKey(
                tenant_id=TENANT,
                user_id=OWNER,
                role="platform_admin",
                name="ops",
                scopes=frozenset({"read:bookings"}),
            ),
            actor=actor,
        )

    with pytest.raises(AccessDenied) as refused:
        issue(_actor(Role.TENANT_ADMIN))
    assert refused.value.rule == "role"
    assert issue(_actor(Role.PLATFORM_ADMIN))
