"""The losers of a race get the same error on PostgreSQL as on memory: a use case locks the
row it changes before it checks it (``get`` and the finders of a repository with
``lock_on_get`` are ``SELECT ... FOR NO KEY UPDATE``; a lookup that finds no row takes a
lock on the key and looks again), so concurrent changes of one row queue and each checks
what the one before it left. Memory runs one unit of work at a time, which gives the same
result.

Each race runs 8 threads (``THREADS``) on memory and on both statement paths: 20 rounds
(``ROUNDS``) for the cancellations of one booking and the refunds of one payment, 10
(``FEW``) for the others: create-or-update of one row (a parent's credit balance, the
seats of a subscription's period, a travel policy rule, a traveller's preferences, a
tenant's platform settings, a user's notification preferences), changes of one row (an
invitation, a trip, an itinerary, an invoice, a venue payout, an API key, an in-app
notification, a data export, an account rehashed on sign-in, a conversation, a review
flagged and hidden, an invoice paid while overdue sweeps run), the sessions generated
for one schedule, the due reminders of one tenant sent by several job runners, the
numbering of one corporate's invoices and a parent's first locations (one of them
primary). The module takes about 30 s on 2 cores
(``-n 2``).

Negative controls swap in repositories that read without the locks and show that the same
races then end in other errors (each stops at the first round that shows one).
"""

from __future__ import annotations

import functools
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, ClassVar, get_args

import attrs
import pytest

from travelcore.accounts import (
    AccountService,
    ConversationService,
    EndConversation,
    RegisterAccount,
    Secret,
    StartConversation,
)
from travelcore.apikeys import ApiKeyService, CreateApiKey
from travelcore.billing import (
    AdjustPayout,
    BillingService,
    ChangeInvoice,
    CreatePayout,
    InvoiceStatus,
    IssueInvoice,
    RecordInvoicePayment,
)
from travelcore.booking import (
    BookingStatus,
    BookSession,
    CancelBooking,
    CancellationReason,
    ConfirmBooking,
)
from travelcore.catalog import CreateSchedule, GenerateSessions
from travelcore.discovery import Places, ReviewModeration
from travelcore.discovery.feedback import FeedbackService
from travelcore.discovery.intent import LOCATION_TYPES
from travelcore.export import DataExportService
from travelcore.invitations import MAX_RESENDS, ResendInvitation
from travelcore.kernel import (
    Actor,
    ManualClock,
    Money,
    Policy,
    TenantId,
    TravelcoreError,
    UserId,
    new_uuid,
)
from travelcore.ledger import (
    AllocateCredits,
    AllocatePeriodCredits,
    CreateSubscription,
    EntryType,
    SubscriptionTier,
)
from travelcore.ledger import CorporateId as SubscriberId
from travelcore.notifications import (
    Announce,
    Channel,
    MarkRead,
    NotificationService,
    NotificationType,
    SwitchChannel,
)
from travelcore.notifications.model import DEFAULT_CHANNELS
from travelcore.payments import PaymentService, PayTrip, RefundPayment
from travelcore.settings import PlatformSettings, PlatformSettingsService
from travelcore.testing.actors import admin, job
from travelcore.testing.builders import a_corporate, a_parent
from travelcore.testing.feedback import completed_bookings
from travelcore.testing.invitations import Company
from travelcore.testing.world import World
from travelcore.travel import (
    AddItineraryDay,
    BookTrip,
    ChangeTrip,
    DraftItinerary,
    ItineraryDay,
    ItineraryId,
    LineItem,
    PolicyKey,
    RegisterTenant,
    SendDueReminders,
    SetPolicyRule,
    SetTravelPreferences,
    TravelService,
    TripId,
    TripStatus,
)
from travelcore.vectors import HashingEmbedder
from travelcore_adapters.memory import MemoryDatabase
from travelcore_adapters.memory.payment_gateway import MemoryPaymentGateway
from travelcore_adapters.memory.vectors import MemoryVectorStore
from travelcore_adapters.notifications import JinjaRenderer
from travelcore_adapters.postgres import PostgresDatabase, PostgresUnitOfWork, StatementPath
from travelcore_adapters.postgres.provision import ProvisionedDatabase
from travelcore_adapters.postgres.repositories import ledger
from travelcore_adapters.postgres.repositories.accounts import (
    PostgresAccounts,
    PostgresConversations,
)
from travelcore_adapters.postgres.repositories.apikeys import PostgresApiKeys
from travelcore_adapters.postgres.repositories.billing import PostgresInvoices, PostgresPayouts
from travelcore_adapters.postgres.repositories.booking import PostgresBookingRepository
from travelcore_adapters.postgres.repositories.catalog import PostgresScheduleRepository
from travelcore_adapters.postgres.repositories.discovery import (
    PostgresReviews,
    PostgresUserLocations,
)
from travelcore_adapters.postgres.repositories.invitations import PostgresInvitations
from travelcore_adapters.postgres.repositories.ledger import (
    PostgresLedgerRepository,
    PostgresSeatRepository,
    PostgresSubscriptionRepository,
)
from travelcore_adapters.postgres.repositories.notifications import (
    PostgresNotificationRepository,
    PostgresPreferenceRepository,
)
from travelcore_adapters.postgres.repositories.payments import PostgresPayments
from travelcore_adapters.postgres.repositories.privacy import PostgresDataExports
from travelcore_adapters.postgres.repositories.scope import PostgresScope
from travelcore_adapters.postgres.repositories.settings import PostgresPlatformSettings
from travelcore_adapters.postgres.repositories.travel import (
    PostgresItineraries,
    PostgresReminders,
    PostgresTravelPolicies,
    PostgresTravelPreferences,
    PostgresTrips,
)
from travelcore_adapters.security import AesGcmSecretBox, Argon2PasswordHasher

THREADS, ROUNDS, FEW = 8, 20, 10
PATHS: tuple[StatementPath, ...] = get_args(StatementPath)
T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


@pytest.fixture(scope="module")
def pools(
    postgres_test_database: ProvisionedDatabase,
) -> Iterator[Callable[[StatementPath], PostgresDatabase]]:
    """A pool of ``THREADS`` connections per statement path, opened when first asked for."""
    opened: dict[StatementPath, PostgresDatabase] = {}

    def pool(path: StatementPath) -> PostgresDatabase:
        if path not in opened:
            opened[path] = PostgresDatabase(
                postgres_test_database.app_url,
                pool_size=THREADS,
                pool_timeout=60,
                retry_attempts=8,
                statement_path=path,
            )
        return opened[path]

    yield pool
    for database in opened.values():
        database.dispose()


@pytest.fixture(params=["memory", *PATHS])
def racing(request: pytest.FixtureRequest) -> tuple[Any, Callable[..., Any]]:
    """The unit-of-work factory (memory, or PostgreSQL on a statement path) and how to call
    a use case on it (retried on ``TransientConflict`` on PostgreSQL)."""
    if request.param == "memory":
        return MemoryDatabase(), lambda fn: fn
    database: PostgresDatabase = request.getfixturevalue("pools")(request.param)
    return database, database.retrying


@pytest.fixture(params=PATHS)
def unlocked_pool(
    request: pytest.FixtureRequest, pools: Callable[[StatementPath], PostgresDatabase]
) -> PostgresDatabase:
    """PostgreSQL on a statement path, for the negative controls."""
    return pools(request.param)


def without_locks(
    database: PostgresDatabase, **repositories: Callable[[Any], Any]
) -> Callable[[TenantId], PostgresUnitOfWork]:
    """Units of work whose named repositories are replaced (by ones that read without
    their locks)."""

    def make(tenant: TenantId) -> PostgresUnitOfWork:
        uow = PostgresUnitOfWork(database.engine, tenant, database.bus, clock=database.clock)
        for name, repository in repositories.items():
            setattr(uow, name, repository(uow.scope))
        return uow

    return make


def race(calls: Sequence[Callable[[], object]]) -> Counter[str]:
    """Run ``calls`` at once on as many threads; the outcome of each: ``ok`` or the name of
    the error it raised."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], object]) -> str:
        barrier.wait()
        try:
            call()
        except TravelcoreError as error:
            return type(error).__name__
        return "ok"

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return Counter(pool.map(run, calls))


def lost_races(
    one_round: Callable[[], Counter[str]], expected: set[str], rounds: int = ROUNDS
) -> Counter[str]:
    """The outcomes of up to ``rounds`` rounds, stopping after the first that shows an
    outcome outside ``expected``."""
    seen: Counter[str] = Counter()
    for _ in range(rounds):
        outcomes = one_round()
        seen += outcomes
        if set(outcomes) - expected:
            break
    return seen


# -- cancellations of one booking ------------------------------------------------------------


def cancellation_round(world: World, retrying: Callable[..., Any]) -> tuple[Counter[str], int]:
    """A confirmed booking cancelled by the parent from 8 threads at once: the outcomes and
    the number of refunds in the ledger."""
    session_id = world.session(starts_in=timedelta(days=7), capacity=2, credits=5)
    parent, [child] = world.family(credits=20)
    receipt = world.bookings.book(
        BookSession(
            tenant_id=world.tenant,
            session_id=session_id,
            child_id=child,
            parent_id=parent,
            idempotency_key=world.key(),
        ),
        actor=admin(world.tenant),
    )
    world.bookings.confirm(
        ConfirmBooking(
            tenant_id=world.tenant, booking_id=receipt.booking_id, idempotency_key=world.key()
        ),
        actor=admin(world.tenant),
    )
    cancel = retrying(world.bookings.cancel)
    calls = [
        functools.partial(
            cancel,
            CancelBooking(
                tenant_id=world.tenant,
                booking_id=receipt.booking_id,
                reason=CancellationReason.SCHEDULE_CONFLICT,
                idempotency_key=f"cancel-{n}",
            ),
            actor=admin(world.tenant),
        )
        for n in range(THREADS)
    ]
    outcomes = race(calls)
    with world.db(world.tenant) as uow:
        balance = uow.credits.find(parent, world.clock.now().date())
    refunds = [
        entry
        for entry in (balance.entries if balance is not None else [])
        if entry.entry_type is EntryType.REFUND_CREDIT and entry.booking_id == receipt.booking_id
    ]
    assert world.booking(receipt.booking_id).status is BookingStatus.CANCELLED_PARENT
    return outcomes, len(refunds)


def test_eight_cancellations_of_one_booking_refund_once_and_the_losers_get_invalid_transition(
    racing: tuple[Any, Callable[..., Any]],
) -> None:
    database, retrying = racing
    for _ in range(ROUNDS):
        world = World(database, ManualClock(T0))
        outcomes, refunds = cancellation_round(world, retrying)
        assert outcomes == Counter({"ok": 1, "InvalidTransition": THREADS - 1}), outcomes
        assert refunds == 1


class UnlockedBookings(PostgresBookingRepository):
    lock_on_get: ClassVar[bool] = False


def test_negative_control_cancellations_checked_before_the_lock_give_other_errors(
    unlocked_pool: PostgresDatabase,
) -> None:
    """Read without the row lock, a loser checks the booking as it was before the winner
    cancelled it and fails later on something else (the test above can fail)."""
    database = without_locks(unlocked_pool, bookings=UnlockedBookings)
    expected = {"ok", "InvalidTransition"}
    seen = lost_races(
        lambda: cancellation_round(World(database, ManualClock(T0)), unlocked_pool.retrying)[0],
        expected,
    )
    assert set(seen) - expected, seen


# -- refunds of one payment --------------------------------------------------------------------


def hotel_trip(travel: TravelService, tenant: TenantId) -> TripId:
    """A new tenant's trip of two hotel nights at 110 EUR (220 EUR in all), booked."""
    travel.register_tenant(
        RegisterTenant(tenant_id=tenant, name="Acme", idempotency_key="t"), actor=admin(tenant)
    )
    start = date(2026, 5, 1)
    hotel = LineItem.hotel(
        provider="Booking.com",
        external_ref="H",
        price_per_night=Money.of("110.00", "EUR"),
        check_in=start,
        check_out=start + timedelta(days=2),
    )
    trip = travel.book_trip(
        BookTrip(
            tenant_id=tenant,
            user_id=UserId(new_uuid()),
            currency="EUR",
            items=(hotel,),
            idempotency_key="trip",
        ),
        actor=admin(tenant),
    )
    return TripId(trip.id)


def refund_round(database: Any, retrying: Callable[..., Any]) -> tuple[Counter[str], Money | None]:
    """A paid trip of 220 EUR refunded in full from 8 threads at once: the outcomes and
    what the provider refunded. A full refund of a payment with nothing left to refund is
    ``ValidationFailed("amount", "positive")``."""
    clock = ManualClock(T0)
    tenant = TenantId(new_uuid())
    travel = TravelService(database, clock)
    gateway = MemoryPaymentGateway()
    payments = PaymentService(database, clock, gateway=gateway)
    trip_id = hotel_trip(travel, tenant)
    paid = payments.pay(
        PayTrip(
            tenant_id=tenant,
            trip_id=trip_id,
            payment_method="pm_card_visa",
            idempotency_key="p",
        ),
        actor=admin(tenant),
    )
    refund = retrying(payments.refund)
    calls = [
        functools.partial(
            refund,
            RefundPayment(tenant_id=tenant, payment_id=paid.payment_id, idempotency_key=f"r{n}"),
            actor=admin(tenant),
        )
        for n in range(THREADS)
    ]
    outcomes = race(calls)
    assert payments.payment(tenant, paid.payment_id, actor=admin(tenant)).refunded == Money.of(
        "220.00", "EUR"
    )
    return outcomes, gateway.refunded(str(paid.provider_ref))


def test_eight_full_refunds_of_one_payment_refund_once_and_the_losers_get_the_same_error(
    racing: tuple[Any, Callable[..., Any]],
) -> None:
    database, retrying = racing
    for _ in range(ROUNDS):
        outcomes, refunded = refund_round(database, retrying)
        assert outcomes == Counter({"ok": 1, "ValidationFailed": THREADS - 1}), outcomes
        assert refunded == Money.of("220.00", "EUR")


class UnlockedPayments(PostgresPayments):
    lock_on_get: ClassVar[bool] = False


def test_negative_control_refunds_checked_before_the_lock_give_other_errors(
    unlocked_pool: PostgresDatabase,
) -> None:
    database = without_locks(unlocked_pool, payments=UnlockedPayments)
    expected = {"ok", "ValidationFailed"}
    seen = lost_races(lambda: refund_round(database, unlocked_pool.retrying)[0], expected)
    assert set(seen) - expected, seen


# -- allocations to one balance: create-or-update of one row -------------------------------


class UnlockedLedger(PostgresLedgerRepository):
    """Balances found without the row lock, and without the key lock when there is none."""

    lock_on_get: ClassVar[bool] = False

    def find_query(self, user_id: UserId, day: date) -> Any:
        return self._query(ledger.CURRENT, user_id=user_id, day=day)


def allocation_round(
    database: Any, retrying: Callable[..., Any], *, opened: bool
) -> tuple[Counter[str], int, int]:
    """Eight allocations of 5 credits to one parent at once, onto the balance of the
    period (``opened``: it holds 20 already) or opening it: the outcomes, the credits
    allocated and the number of balances of the parent."""
    world = World(database, ManualClock(T0))
    parent, _ = world.family(credits=20 if opened else 0)
    allocate = retrying(world.ledger.allocate_credits)
    calls = [
        functools.partial(
            allocate,
            AllocateCredits(
                tenant_id=world.tenant,
                user_id=parent,
                day=T0.date(),
                credits=5,
                idempotency_key=f"allocate-{n}",
            ),
            actor=admin(world.tenant),
        )
        for n in range(THREADS)
    ]
    outcomes = race(calls)
    with world.db(world.tenant) as uow:
        balance = uow.credits.find(parent, T0.date())
        opened_ids = uow.credits.open_ending_by(date(2100, 1, 1))
    return outcomes, 0 if balance is None else balance.allocated, len(opened_ids)


@pytest.mark.parametrize("opened", [True, False], ids=["onto-a-balance", "opening-it"])
def test_eight_allocations_to_one_parent_all_succeed_as_on_memory(
    racing: tuple[Any, Callable[..., Any]], opened: bool
) -> None:
    database, retrying = racing
    for _ in range(FEW):
        outcomes, allocated, balances = allocation_round(database, retrying, opened=opened)
        assert outcomes == Counter({"ok": THREADS}), outcomes
        assert allocated == (20 if opened else 0) + 5 * THREADS
        assert balances == 1


@pytest.mark.parametrize("opened", [True, False], ids=["onto-a-balance", "opening-it"])
def test_negative_control_allocations_without_the_locks_lose_races(
    unlocked_pool: PostgresDatabase, opened: bool
) -> None:
    database = without_locks(unlocked_pool, credits=UnlockedLedger)
    retrying = unlocked_pool.retrying
    seen = lost_races(lambda: allocation_round(database, retrying, opened=opened)[0], {"ok"})
    assert set(seen) & {"StaleVersion", "AlreadyExists"}, seen


# -- seats of one subscription: create-or-update of one row ---------------------------------


class UnlockedSeats(PostgresSeatRepository):
    lock_on_get: ClassVar[bool] = False


class UnlockedSubscriptions(PostgresSubscriptionRepository):
    """Subscriptions whose seats are found without the row lock or the key lock."""

    def __init__(self, scope: PostgresScope) -> None:
        super().__init__(scope)
        self._seats = UnlockedSeats(scope)


SEATS = 5


def seats_round(database: Any, retrying: Callable[..., Any]) -> tuple[Counter[str], list[int]]:
    """Eight employees given their period credits at once from a subscription of 5 seats
    whose period has none taken yet: the outcomes, and the number of users of each seats
    row of the period."""
    world = World(database, ManualClock(T0))
    with world.db(world.tenant) as uow:
        corporate = a_corporate(world.tenant)
        uow.corporates.add(corporate)
        employees = [a_parent(world.tenant, corporate) for _ in range(THREADS)]
        for employee in employees:
            uow.users.add(employee)
        uow.commit()
    subscription = world.ledger.create_subscription(
        CreateSubscription(
            tenant_id=world.tenant,
            corporate_id=SubscriberId(corporate.id),
            tier=SubscriptionTier.STANDARD,
            covered_employees=SEATS,
            credits_per_employee=10,
            monthly_cost=Money.of("250", "EUR"),
            start_date=date(2026, 1, 1),
            idempotency_key="subscription",
        ),
        actor=admin(world.tenant),
    )
    allocate = retrying(world.ledger.allocate_period_credits)
    calls = [
        functools.partial(
            allocate,
            AllocatePeriodCredits(
                tenant_id=world.tenant,
                subscription_id=subscription.id,
                user_id=employee.id,
                day=T0.date(),
                idempotency_key=f"seat-{employee.id}",
            ),
            actor=admin(world.tenant),
        )
        for employee in employees
    ]
    outcomes = race(calls)
    with world.db(world.tenant) as uow:
        period = subscription.period_containing(T0.date())
        seats = uow.subscriptions.seats(subscription.id, period.start)
    return outcomes, [] if seats is None else [len(seats.users)]


def test_eight_employees_taking_five_seats_get_them_or_capacity_exceeded_as_on_memory(
    racing: tuple[Any, Callable[..., Any]],
) -> None:
    database, retrying = racing
    for _ in range(FEW):
        outcomes, seats = seats_round(database, retrying)
        assert outcomes == Counter({"ok": SEATS, "CapacityExceeded": THREADS - SEATS}), outcomes
        assert seats == [SEATS]


def test_negative_control_seats_without_the_locks_lose_races(
    unlocked_pool: PostgresDatabase,
) -> None:
    database = without_locks(unlocked_pool, subscriptions=UnlockedSubscriptions)
    retrying = unlocked_pool.retrying
    seen = lost_races(lambda: seats_round(database, retrying)[0], {"ok", "CapacityExceeded"})
    assert set(seen) & {"StaleVersion", "AlreadyExists"}, seen


# -- a travel policy rule and a traveller's preferences: create-or-update of one row -------


class UnlockedPolicies(PostgresTravelPolicies):
    lock_on_get: ClassVar[bool] = False


class UnlockedTravelPreferences(PostgresTravelPreferences):
    lock_on_get: ClassVar[bool] = False


LANGUAGES = ("en", "de", "fr", "es", "it", "pt", "nl", "sv")


def travel_round(
    database: Any, retrying: Callable[..., Any], *, rule: bool
) -> tuple[Counter[str], list[tuple[object, int]]]:
    """Eight threads set the tenant's advance-booking rule (``rule``) or one traveller's
    preferences at once, each to another value, in a tenant that has none: the outcomes
    and the stored value and version of each row."""
    tenant, clock = TenantId(new_uuid()), ManualClock(T0)
    travel = TravelService(database, clock)
    travel.register_tenant(
        RegisterTenant(tenant_id=tenant, name="Acme", idempotency_key="t"), actor=admin(tenant)
    )
    traveller = UserId(new_uuid())
    command: Callable[..., Any] = retrying(
        travel.set_policy_rule if rule else travel.set_preferences
    )
    calls = [
        functools.partial(
            command,
            SetPolicyRule(
                tenant_id=tenant,
                key=PolicyKey.ADVANCE_BOOKING,
                value={"min_days": n + 1},
                idempotency_key=f"rule-{n}",
            )
            if rule
            else SetTravelPreferences(
                tenant_id=tenant,
                user_id=traveller,
                language=LANGUAGES[n],
                idempotency_key=f"preferences-{n}",
            ),
            actor=admin(tenant),
        )
        for n in range(THREADS)
    ]
    outcomes = race(calls)
    if rule:
        rules = travel.policy_rules(tenant, actor=admin(tenant))
        return outcomes, [(r.value["min_days"], r.version) for r in rules]
    preferences = travel.preferences(tenant, traveller, actor=admin(tenant))
    return outcomes, [(preferences.language, preferences.version)]


@pytest.mark.parametrize("rule", [True, False], ids=["policy-rule", "preferences"])
def test_eight_travel_settings_of_one_key_all_succeed_one_after_another_as_on_memory(
    racing: tuple[Any, Callable[..., Any]], rule: bool
) -> None:
    """Every write lands on the row the one before it left: the version counts all 8."""
    database, retrying = racing
    sent = range(1, THREADS + 1) if rule else LANGUAGES
    for _ in range(FEW):
        outcomes, rows = travel_round(database, retrying, rule=rule)
        assert outcomes == Counter({"ok": THREADS}), outcomes
        [(value, version)] = rows
        assert value in sent
        assert version == THREADS


@pytest.mark.parametrize("rule", [True, False], ids=["policy-rule", "preferences"])
def test_negative_control_travel_settings_without_the_locks_lose_races(
    unlocked_pool: PostgresDatabase, rule: bool
) -> None:
    database = without_locks(
        unlocked_pool,
        travel_policies=UnlockedPolicies,
        travel_preferences=UnlockedTravelPreferences,
    )
    retrying = unlocked_pool.retrying
    seen = lost_races(lambda: travel_round(database, retrying, rule=rule)[0], {"ok"})
    assert set(seen) & {"StaleVersion", "AlreadyExists"}, seen


# -- a tenant's platform settings: create-or-update of one row ------------------------------


class UnlockedSettings(PostgresPlatformSettings):
    def get_for_update(self, key: object = ()) -> PlatformSettings:
        return self.get()


DURATIONS = [f.name for f in attrs.fields(attrs.resolve_types(Policy)) if f.type is timedelta][
    :THREADS
]


def settings_round(
    database: Any, retrying: Callable[..., Any]
) -> tuple[Counter[str], dict[str, Any], int]:
    """Eight platform admins override another duration of a tenant's policy each, at once,
    in a tenant without settings: the outcomes, the stored overrides and their version."""
    tenant = TenantId(new_uuid())
    settings = PlatformSettingsService(database, ManualClock(T0))
    default = Policy()
    update = retrying(settings.update)
    calls = [
        functools.partial(
            update,
            tenant,
            {name: int((getattr(default, name) + timedelta(hours=1)).total_seconds())},
            actor=admin(tenant),
        )
        for name in DURATIONS
    ]
    outcomes = race(calls)
    with database(tenant) as uow:
        stored = uow.platform_settings.get()
    return outcomes, stored.overrides, stored.version


def test_eight_overrides_of_one_tenants_settings_all_land_as_on_memory(
    racing: tuple[Any, Callable[..., Any]],
) -> None:
    """Each update merges its override into what the one before it stored: none is lost,
    and the version counts the 7 saves after the first update added the record (at 1)."""
    database, retrying = racing
    default = Policy()
    expected = {
        name: int((getattr(default, name) + timedelta(hours=1)).total_seconds())
        for name in DURATIONS
    }
    for _ in range(FEW):
        outcomes, overrides, version = settings_round(database, retrying)
        assert outcomes == Counter({"ok": THREADS}), outcomes
        assert overrides == expected
        assert version == THREADS


def test_negative_control_settings_without_the_locks_lose_races(
    unlocked_pool: PostgresDatabase,
) -> None:
    database = without_locks(unlocked_pool, platform_settings=UnlockedSettings)
    seen = lost_races(lambda: settings_round(database, unlocked_pool.retrying)[0], {"ok"})
    assert set(seen) & {"StaleVersion", "AlreadyExists"}, seen


# -- a user's notification preferences: create-or-update of one row -------------------------


class UnlockedNotificationPreferences(PostgresPreferenceRepository):
    lock_on_get: ClassVar[bool] = False


KINDS = list(NotificationType)[:THREADS]


def notification_round(
    database: Any, retrying: Callable[..., Any]
) -> tuple[Counter[str], dict[NotificationType, tuple[Channel, ...]], int]:
    """Eight threads switch SMS on for another notification type each, at once, for a
    parent without stored preferences: the outcomes, the stored channels and version."""
    world = World(database, ManualClock(T0))
    parent, _ = world.family(credits=0)
    notify = NotificationService(database, world.clock, renderer=JinjaRenderer())
    switch = retrying(notify.switch_channel)
    calls = [
        functools.partial(
            switch,
            SwitchChannel(
                tenant_id=world.tenant,
                user_id=parent,
                type=kind,
                channel=Channel.SMS,
                enabled=True,
                idempotency_key=f"switch-{kind}",
            ),
            actor=admin(world.tenant),
        )
        for kind in KINDS
    ]
    outcomes = race(calls)
    stored = notify.preferences(world.tenant, parent, actor=admin(world.tenant))
    return outcomes, dict(stored.channels), stored.version


def test_eight_channel_switches_of_one_user_all_land_as_on_memory(
    racing: tuple[Any, Callable[..., Any]],
) -> None:
    """Each switch is applied to what the one before it stored: none is lost, and the
    version counts the 7 saves after the first switch added the record (at 1)."""
    database, retrying = racing
    on = tuple(sorted(DEFAULT_CHANNELS | {Channel.SMS}))
    for _ in range(FEW):
        outcomes, channels, version = notification_round(database, retrying)
        assert outcomes == Counter({"ok": THREADS}), outcomes
        assert channels == dict.fromkeys(KINDS, on)
        assert version == THREADS


def test_negative_control_channel_switches_without_the_locks_lose_races(
    unlocked_pool: PostgresDatabase,
) -> None:
    database = without_locks(
        unlocked_pool, notification_preferences=UnlockedNotificationPreferences
    )
    seen = lost_races(lambda: notification_round(database, unlocked_pool.retrying)[0], {"ok"})
    assert set(seen) & {"StaleVersion", "AlreadyExists"}, seen


# -- resends of one invitation ------------------------------------------------------------


class UnlockedInvitations(PostgresInvitations):
    lock_on_get: ClassVar[bool] = False


def resend_round(
    database: Any, retrying: Callable[..., Any]
) -> tuple[Counter[str], tuple[int, int]]:
    """The HR admin resends one invitation from 8 threads at once (an invitation is resent
    at most 5 times): the outcomes, and the stored resend count and version. Concurrent
    accepts of one token are raced in ``test_invitations.py``."""
    digest = AesGcmSecretBox({"k": AesGcmSecretBox.generate_key()}, "k")
    company = Company(lambda tenant, _bus: database(tenant), digest, ManualClock(T0))
    invitation = company.invite().invitation
    resend = retrying(company.service.resend)
    command = ResendInvitation(tenant_id=company.tenant, invitation_id=invitation.id)
    outcomes = race([functools.partial(resend, command, actor=company.hr)] * THREADS)
    with company.db(company.tenant) as uow:
        stored = uow.invitations.get(invitation.id)
    return outcomes, (stored.resend_count, stored.version)


def test_eight_resends_of_one_invitation_stop_at_the_limit_as_on_memory(
    racing: tuple[Any, Callable[..., Any]],
) -> None:
    database, retrying = racing
    for _ in range(FEW):
        outcomes, stored = resend_round(database, retrying)
        assert outcomes == Counter(
            {"ok": MAX_RESENDS, "ResendLimitReached": THREADS - MAX_RESENDS}
        ), outcomes
        assert stored == (MAX_RESENDS, 1 + MAX_RESENDS)  # created at version 1, one save each


def test_negative_control_resends_checked_before_the_lock_give_other_errors(
    unlocked_pool: PostgresDatabase,
) -> None:
    database = without_locks(unlocked_pool, invitations=UnlockedInvitations)
    expected = {"ok", "ResendLimitReached"}
    seen = lost_races(lambda: resend_round(database, unlocked_pool.retrying)[0], expected)
    assert set(seen) & {"StaleVersion", "AlreadyExists"}, seen


# -- a trip and an itinerary: changes of one row -------------------------------------------


class UnlockedTrips(PostgresTrips):
    lock_on_get: ClassVar[bool] = False


class UnlockedItineraries(PostgresItineraries):
    lock_on_get: ClassVar[bool] = False


def trip_round(database: Any, retrying: Callable[..., Any]) -> tuple[Counter[str], object]:
    """A confirmed trip cancelled from 8 threads at once: the outcomes and its status."""
    tenant, clock = TenantId(new_uuid()), ManualClock(T0)
    travel = TravelService(database, clock)
    trip_id = hotel_trip(travel, tenant)
    travel.confirm_trip(
        ChangeTrip(tenant_id=tenant, trip_id=trip_id, idempotency_key="confirm"),
        actor=admin(tenant),
    )
    cancel = retrying(travel.cancel_trip)
    calls = [
        functools.partial(
            cancel,
            ChangeTrip(tenant_id=tenant, trip_id=trip_id, idempotency_key=f"cancel-{n}"),
            actor=admin(tenant),
        )
        for n in range(THREADS)
    ]
    outcomes = race(calls)
    return outcomes, travel.trip(tenant, trip_id, actor=admin(tenant)).status


def test_eight_cancellations_of_one_trip_succeed_once_and_the_losers_get_invalid_transition(
    racing: tuple[Any, Callable[..., Any]],
) -> None:
    database, retrying = racing
    for _ in range(FEW):
        outcomes, status = trip_round(database, retrying)
        assert outcomes == Counter({"ok": 1, "InvalidTransition": THREADS - 1}), outcomes
        assert status is TripStatus.CANCELLED


def test_negative_control_trip_cancellations_checked_before_the_lock_give_other_errors(
    unlocked_pool: PostgresDatabase,
) -> None:
    database = without_locks(unlocked_pool, trips=UnlockedTrips)
    expected = {"ok", "InvalidTransition"}
    seen = lost_races(lambda: trip_round(database, unlocked_pool.retrying)[0], expected)
    assert set(seen) & {"StaleVersion", "AlreadyExists"}, seen


def itinerary_round(
    database: Any, retrying: Callable[..., Any]
) -> tuple[Counter[str], list[date], int]:
    """Eight days added to one draft itinerary from 8 threads at once: the outcomes, the
    stored days and version."""
    tenant, clock = TenantId(new_uuid()), ManualClock(T0)
    travel = TravelService(database, clock)
    travel.register_tenant(
        RegisterTenant(tenant_id=tenant, name="Acme", idempotency_key="t"), actor=admin(tenant)
    )
    start = date(2026, 5, 1)
    draft = travel.draft_itinerary(
        DraftItinerary(
            tenant_id=tenant,
            user_id=UserId(new_uuid()),
            starts_on=start,
            ends_on=start + timedelta(days=THREADS - 1),
            destinations=("Lisbon",),
            idempotency_key="draft",
        ),
        actor=admin(tenant),
    )
    itinerary_id = ItineraryId(draft.id)
    add = retrying(travel.add_itinerary_day)
    days = [start + timedelta(days=n) for n in range(THREADS)]
    calls = [
        functools.partial(
            add,
            AddItineraryDay(
                tenant_id=tenant,
                itinerary_id=itinerary_id,
                day=ItineraryDay(day=day, activity_type="museum"),
                idempotency_key=f"day-{day}",
            ),
            actor=admin(tenant),
        )
        for day in days
    ]
    outcomes = race(calls)
    stored = travel.itinerary(tenant, itinerary_id, actor=admin(tenant))
    return outcomes, [d.day for d in stored.days], stored.version


def test_eight_days_added_to_one_itinerary_all_land_as_on_memory(
    racing: tuple[Any, Callable[..., Any]],
) -> None:
    database, retrying = racing
    start = date(2026, 5, 1)
    for _ in range(FEW):
        outcomes, days, version = itinerary_round(database, retrying)
        assert outcomes == Counter({"ok": THREADS}), outcomes
        assert days == [start + timedelta(days=n) for n in range(THREADS)]
        assert version == 1 + THREADS


def test_negative_control_itinerary_days_without_the_lock_lose_races(
    unlocked_pool: PostgresDatabase,
) -> None:
    database = without_locks(unlocked_pool, itineraries=UnlockedItineraries)
    seen = lost_races(lambda: itinerary_round(database, unlocked_pool.retrying)[0], {"ok"})
    assert set(seen) & {"StaleVersion", "AlreadyExists"}, seen


# -- invoices: the numbers of one corporate and the payment of one invoice -----------------


class UnlockedInvoices(PostgresInvoices):
    """Invoices read without the row lock (found by the overdue sweep without it too),
    numbered without the corporate's lock."""

    lock_on_get: ClassVar[bool] = False
    numbering_lock: ClassVar[bool] = False
    due_lock: ClassVar[bool] = False


def invoicing(database: Any, subscriptions: int) -> tuple[World, BillingService, list[Any]]:
    """A tenant whose corporate has ``subscriptions`` subscriptions, none invoiced yet."""
    world = World(database, ManualClock(T0))
    corporate = SubscriberId(new_uuid())
    created = [
        world.ledger.create_subscription(
            CreateSubscription(
                tenant_id=world.tenant,
                corporate_id=corporate,
                tier=SubscriptionTier.STANDARD,
                covered_employees=40,
                credits_per_employee=30,
                monthly_cost=Money.of("1000.00", "EUR"),
                start_date=date(2026, 1, 1),
                idempotency_key=f"subscription-{n}",
            ),
            actor=admin(world.tenant),
        )
        for n in range(subscriptions)
    ]
    return world, BillingService(database, world.clock), created


def issue(world: World, billing: BillingService, subscription: Any) -> Callable[[], Any]:
    command = IssueInvoice(
        tenant_id=world.tenant,
        subscription_id=subscription.id,
        day=T0.date(),
        prefix="ACME",
        idempotency_key=f"invoice-{subscription.id}",
    )
    return functools.partial(billing.issue_invoice, command, actor=admin(world.tenant))


def numbering_round(database: Any, retrying: Callable[..., Any]) -> tuple[Counter[str], list[str]]:
    """Eight invoices issued at once, one per subscription of one corporate: the outcomes
    and the stored invoice numbers."""
    world, billing, subscriptions = invoicing(database, THREADS)
    outcomes = race([retrying(issue(world, billing, s)) for s in subscriptions])
    with database(world.tenant) as uow:
        found = [uow.invoices.for_period(s.id, date(2026, 3, 1)) for s in subscriptions]
    return outcomes, sorted(invoice.number for invoice in found if invoice is not None)


def test_eight_invoices_of_one_corporate_issued_at_once_are_numbered_one_to_eight(
    racing: tuple[Any, Callable[..., Any]],
) -> None:
    database, retrying = racing
    for _ in range(FEW):
        outcomes, numbers = numbering_round(database, retrying)
        assert outcomes == Counter({"ok": THREADS}), outcomes
        assert numbers == [f"ACME-{n:06d}" for n in range(1, THREADS + 1)]


def test_negative_control_invoices_numbered_without_the_lock_clash(
    unlocked_pool: PostgresDatabase,
) -> None:
    database = without_locks(unlocked_pool, invoices=UnlockedInvoices)
    seen = lost_races(lambda: numbering_round(database, unlocked_pool.retrying)[0], {"ok"})
    assert set(seen) & {"StaleVersion", "AlreadyExists"}, seen


def payment_round(database: Any, retrying: Callable[..., Any]) -> tuple[Counter[str], object]:
    """A sent invoice paid in full from 8 threads at once: the outcomes and its status."""
    world, billing, [subscription] = invoicing(database, 1)
    invoice = issue(world, billing, subscription)()
    billing.send_invoice(
        ChangeInvoice(tenant_id=world.tenant, invoice_id=invoice.id, idempotency_key="send"),
        actor=admin(world.tenant),
    )
    pay = retrying(billing.record_payment)
    calls = [
        functools.partial(
            pay,
            RecordInvoicePayment(
                tenant_id=world.tenant,
                invoice_id=invoice.id,
                amount=invoice.total,
                reference=f"transfer-{n}",
                idempotency_key=f"pay-{n}",
            ),
            actor=admin(world.tenant),
        )
        for n in range(THREADS)
    ]
    outcomes = race(calls)
    return outcomes, billing.invoice(world.tenant, invoice.id, actor=admin(world.tenant)).status


def test_eight_payments_of_one_invoice_succeed_once_and_the_losers_get_invalid_transition(
    racing: tuple[Any, Callable[..., Any]],
) -> None:
    database, retrying = racing
    for _ in range(FEW):
        outcomes, status = payment_round(database, retrying)
        assert outcomes == Counter({"ok": 1, "InvalidTransition": THREADS - 1}), outcomes
        assert status is InvoiceStatus.PAID


def test_negative_control_invoice_payments_checked_before_the_lock_give_other_errors(
    unlocked_pool: PostgresDatabase,
) -> None:
    database = without_locks(unlocked_pool, invoices=UnlockedInvoices)
    expected = {"ok", "InvalidTransition"}
    seen = lost_races(lambda: payment_round(database, unlocked_pool.retrying)[0], expected)
    assert set(seen) & {"StaleVersion", "AlreadyExists"}, seen


# -- one API key: its uses and its revocation -----------------------------------------------


class UnlockedApiKeys(PostgresApiKeys):
    lock_on_get: ClassVar[bool] = False


def api_key_round(
    database: Any, retrying: Callable[..., Any], *, revoke: bool
) -> tuple[Counter[str], tuple[bool, bool, int]]:
    """Eight requests authenticate with one new API key at once (each records the key's
    use unless another did within the minute) or revoke it (``revoke``): the outcomes, and
    whether the stored key is used and revoked, and its version."""
    world = World(database, ManualClock(T0))
    parent, _ = world.family(credits=0)
    keys = ApiKeyService(
        database, world.clock, digest=AesGcmSecretBox({"k": bytes(32)}, current="k")
    )
    issued = keys.create(
        CreateApiKey(
            tenant_id=world.tenant,
            user_id=parent,
            role="parent",
            name="integration",
            scopes=frozenset({"read:bookings"}),
        ),
        actor=admin(world.tenant),
    )
    command: Callable[[], object] = (
        functools.partial(
            retrying(keys.revoke),
            world.tenant,
            issued.key.id,
            reason="leaked",
            actor=admin(world.tenant),
        )
        if revoke
        else functools.partial(retrying(keys.authenticate), world.tenant, issued.token)
    )
    outcomes = race([command] * THREADS)
    with database(world.tenant) as uow:
        stored = uow.api_keys.get(issued.key.id)
    return outcomes, (
        stored.last_used_at is not None,
        stored.revoked_at is not None,
        stored.version,
    )


def test_eight_requests_with_one_api_key_all_pass_and_record_one_use_as_on_memory(
    racing: tuple[Any, Callable[..., Any]],
) -> None:
    database, retrying = racing
    for _ in range(FEW):
        outcomes, stored = api_key_round(database, retrying, revoke=False)
        assert outcomes == Counter({"ok": THREADS}), outcomes
        assert stored == (True, False, 2)


def test_eight_revocations_of_one_api_key_succeed_once_as_on_memory(
    racing: tuple[Any, Callable[..., Any]],
) -> None:
    database, retrying = racing
    for _ in range(FEW):
        outcomes, stored = api_key_round(database, retrying, revoke=True)
        assert outcomes == Counter({"ok": 1, "InvalidTransition": THREADS - 1}), outcomes
        assert stored == (False, True, 2)


@pytest.mark.parametrize("revoke", [False, True], ids=["uses", "revocations"])
def test_negative_control_api_key_changes_checked_before_the_lock_give_other_errors(
    unlocked_pool: PostgresDatabase, revoke: bool
) -> None:
    database = without_locks(unlocked_pool, api_keys=UnlockedApiKeys)
    retrying = unlocked_pool.retrying
    expected = {"ok", "InvalidTransition"}
    seen = lost_races(lambda: api_key_round(database, retrying, revoke=revoke)[0], expected)
    assert set(seen) & {"StaleVersion", "AlreadyExists"}, seen


# -- adjustments of one venue payout ------------------------------------------------------


class UnlockedPayouts(PostgresPayouts):
    lock_on_get: ClassVar[bool] = False


def payout_round(database: Any, retrying: Callable[..., Any]) -> tuple[Counter[str], Money]:
    """A venue's pending payout adjusted by 1.00 EUR from 8 threads at once: the outcomes
    and the stored adjustments."""
    world = World(database, ManualClock(T0))
    venue_id = world.get_session(world.session()).venue_id
    billing = BillingService(database, world.clock)
    payout = billing.create_payout(
        CreatePayout(
            tenant_id=world.tenant,
            venue_id=venue_id,
            period_start=date(2026, 3, 1),
            period_end=date(2026, 4, 1),
            credit_value=Money.of("2.50", "EUR"),
            idempotency_key="payout",
        ),
        actor=admin(world.tenant),
    )
    adjust = retrying(billing.adjust_payout)
    calls = [
        functools.partial(
            adjust,
            AdjustPayout(
                tenant_id=world.tenant,
                payout_id=payout.id,
                amount=Money.of("1.00", "EUR"),
                notes=f"correction {n}",
                idempotency_key=f"adjust-{n}",
            ),
            actor=admin(world.tenant),
        )
        for n in range(THREADS)
    ]
    outcomes = race(calls)
    return outcomes, billing.payout(world.tenant, payout.id, actor=admin(world.tenant)).adjustments


def test_eight_adjustments_of_one_payout_all_add_up_as_on_memory(
    racing: tuple[Any, Callable[..., Any]],
) -> None:
    database, retrying = racing
    for _ in range(FEW):
        outcomes, adjustments = payout_round(database, retrying)
        assert outcomes == Counter({"ok": THREADS}), outcomes
        assert adjustments == Money.of("8.00", "EUR")


def test_negative_control_payout_adjustments_without_the_lock_lose_races(
    unlocked_pool: PostgresDatabase,
) -> None:
    database = without_locks(unlocked_pool, payouts=UnlockedPayouts)
    seen = lost_races(lambda: payout_round(database, unlocked_pool.retrying)[0], {"ok"})
    assert set(seen) & {"StaleVersion", "AlreadyExists"}, seen


# -- one in-app notification read from several tabs ----------------------------------------


class UnlockedNotifications(PostgresNotificationRepository):
    lock_on_get: ClassVar[bool] = False


def read_round(database: Any, retrying: Callable[..., Any]) -> tuple[Counter[str], bool, int]:
    """A parent's in-app announcement marked read from 8 threads at once: the outcomes,
    whether it is read, and its version."""
    world = World(database, ManualClock(T0))
    parent, _ = world.family(credits=0)
    notify = NotificationService(database, world.clock, renderer=JinjaRenderer())
    notify.announce(
        Announce(
            tenant_id=world.tenant,
            user_ids=(parent,),
            subject="Closed on Monday",
            message="The venues are closed on Monday.",
            idempotency_key="announce",
        ),
        actor=admin(world.tenant),
    )
    [in_app] = [
        n
        for n in notify.history(world.tenant, parent, actor=admin(world.tenant))
        if n.channel is Channel.IN_APP
    ]
    mark = retrying(notify.mark_read)
    calls = [
        functools.partial(
            mark,
            MarkRead(
                tenant_id=world.tenant,
                user_id=parent,
                notification_id=in_app.id,
                idempotency_key=f"read-{n}",
            ),
            actor=admin(world.tenant),
        )
        for n in range(THREADS)
    ]
    outcomes = race(calls)
    with database(world.tenant) as uow:
        stored = uow.notifications.get(in_app.id)
    return outcomes, stored.read_at is not None, stored.version - in_app.version


def test_eight_reads_of_one_notification_all_succeed_as_on_memory(
    racing: tuple[Any, Callable[..., Any]],
) -> None:
    """Marking read is idempotent: every caller succeeds, and each saves once."""
    database, retrying = racing
    for _ in range(FEW):
        outcomes, read, saves = read_round(database, retrying)
        assert outcomes == Counter({"ok": THREADS}), outcomes
        assert (read, saves) == (True, THREADS)


def test_negative_control_notification_reads_without_the_lock_lose_races(
    unlocked_pool: PostgresDatabase,
) -> None:
    database = without_locks(unlocked_pool, notifications=UnlockedNotifications)
    seen = lost_races(lambda: read_round(database, unlocked_pool.retrying)[0], {"ok"})
    assert set(seen) & {"StaleVersion", "AlreadyExists"}, seen


# -- downloads of one data export ---------------------------------------------------------


class UnlockedDataExports(PostgresDataExports):
    lock_on_get: ClassVar[bool] = False


def download_round(database: Any, retrying: Callable[..., Any]) -> tuple[Counter[str], int]:
    """A parent's produced data export downloaded from 8 threads at once: the outcomes and
    the stored download count."""
    world = World(database, ManualClock(T0))
    parent, _ = world.family(credits=0)
    with database(world.tenant) as uow:
        corporate = uow.users.get(parent).corporate_id
    owner = Actor.parent(world.tenant, parent, corporate)
    exports = DataExportService(database, world.clock)
    export = exports.request(actor=owner)
    exports.produce(actor=Actor.system(world.tenant, "exports"))
    download = retrying(exports.download)
    outcomes = race([functools.partial(download, export.id, actor=owner)] * THREADS)
    return outcomes, exports.get(export.id, actor=owner).download_count


def test_eight_downloads_of_one_export_all_succeed_and_count_as_on_memory(
    racing: tuple[Any, Callable[..., Any]],
) -> None:
    database, retrying = racing
    for _ in range(FEW):
        outcomes, downloads = download_round(database, retrying)
        assert outcomes == Counter({"ok": THREADS}), outcomes
        assert downloads == THREADS


def test_negative_control_export_downloads_without_the_lock_lose_races(
    unlocked_pool: PostgresDatabase,
) -> None:
    database = without_locks(unlocked_pool, data_exports=UnlockedDataExports)
    seen = lost_races(lambda: download_round(database, unlocked_pool.retrying)[0], {"ok"})
    assert set(seen) & {"StaleVersion", "AlreadyExists"}, seen


# -- sign-ins of one account whose password hash is outdated --------------------------------


class UnlockedAccounts(PostgresAccounts):
    lock_on_get: ClassVar[bool] = False


BOX = AesGcmSecretBox({"k": bytes(32)}, current="k")
OLD_HASHER = Argon2PasswordHasher(time_cost=1, memory_cost=512, parallelism=1)
NEW_HASHER = Argon2PasswordHasher(time_cost=2, memory_cost=512, parallelism=1)


def sign_in_round(database: Any, retrying: Callable[..., Any]) -> tuple[Counter[str], bool, int]:
    """Eight sign-ins at once to an account whose password was hashed with parameters
    that have since changed (a sign-in rehashes it): the outcomes, whether the stored hash
    is up to date, and the account's version."""
    tenant, clock = TenantId(new_uuid()), ManualClock(T0)
    user_id, password = UserId(new_uuid()), Secret("correct horse battery staple")
    AccountService(database, clock, secret_box=BOX, hasher=OLD_HASHER).register(
        RegisterAccount(
            tenant_id=tenant,
            user_id=user_id,
            email="ada@example.com",
            name="Ada",
            password=password,
            idempotency_key="register",
        ),
        actor=admin(tenant),
    )
    accounts = AccountService(database, clock, secret_box=BOX, hasher=NEW_HASHER)
    sign_in = functools.partial(retrying(accounts.sign_in), tenant, "ada@example.com", password)
    outcomes = race([sign_in] * THREADS)
    with database(tenant) as uow:
        stored = uow.accounts.get(user_id)
    return outcomes, not NEW_HASHER.needs_rehash(stored.password_hash), stored.version


def test_eight_sign_ins_rehashing_one_password_all_pass_and_rehash_once_as_on_memory(
    racing: tuple[Any, Callable[..., Any]],
) -> None:
    database, retrying = racing
    for _ in range(FEW):
        outcomes, rehashed, version = sign_in_round(database, retrying)
        assert outcomes == Counter({"ok": THREADS}), outcomes
        assert (rehashed, version) == (True, 2)  # registered at 1, rehashed once


def test_negative_control_sign_ins_without_the_lock_lose_races(
    unlocked_pool: PostgresDatabase,
) -> None:
    database = without_locks(unlocked_pool, accounts=UnlockedAccounts)
    seen = lost_races(lambda: sign_in_round(database, unlocked_pool.retrying)[0], {"ok"})
    assert set(seen) & {"StaleVersion", "AlreadyExists"}, seen


# -- one schedule's sessions generated by several job runners ------------------------------


class UnlockedSchedules(PostgresScheduleRepository):
    lock_on_get: ClassVar[bool] = False


def generation_round(
    database: Any, retrying: Callable[..., Any]
) -> tuple[Counter[str], list[date]]:
    """A Monday-and-Thursday schedule's sessions for two weeks generated from 8 threads at
    once: the outcomes and the dates of the schedule's sessions."""
    world = World(database, ManualClock(T0))
    activity_id = world.get_session(world.session()).activity_id
    schedule_id = world.catalog.create_schedule(
        CreateSchedule(
            tenant_id=world.tenant,
            activity_id=activity_id,
            days_of_week=(0, 3),
            start_time=time(16),
            duration_minutes=60,
            capacity=10,
            effective_from=T0.date(),
        ),
        actor=admin(world.tenant),
    )
    generate = retrying(world.catalog.generate_sessions)
    command = GenerateSessions(
        tenant_id=world.tenant, schedule_id=schedule_id, through=T0.date() + timedelta(days=13)
    )
    outcomes = race([functools.partial(generate, command, actor=admin(world.tenant))] * THREADS)
    with database(world.tenant) as uow:
        sessions = uow.sessions.for_activity(activity_id)
    return outcomes, sorted(s.session_date for s in sessions if s.schedule_id == schedule_id)


def test_eight_generations_of_one_schedule_create_each_session_once_as_on_memory(
    racing: tuple[Any, Callable[..., Any]],
) -> None:
    database, retrying = racing
    mondays_and_thursdays = [T0.date() + timedelta(days=n) for n in (0, 3, 7, 10)]
    for _ in range(FEW):
        outcomes, dates = generation_round(database, retrying)
        assert outcomes == Counter({"ok": THREADS}), outcomes
        assert dates == mondays_and_thursdays


def test_negative_control_generations_without_the_lock_lose_races(
    unlocked_pool: PostgresDatabase,
) -> None:
    database = without_locks(unlocked_pool, schedules=UnlockedSchedules)
    seen = lost_races(lambda: generation_round(database, unlocked_pool.retrying)[0], {"ok"})
    assert set(seen) & {"StaleVersion", "AlreadyExists"}, seen


# -- a parent's first locations, set at once -----------------------------------------------


class UnlockedUserLocations(PostgresUserLocations):
    """Locations listed without the user's lock."""

    user_lock: ClassVar[bool] = False


def locations_round(database: Any) -> tuple[Counter[str], list[str]]:
    """A parent without locations sets home, work, school and other from two threads each
    at once (the first location is primary): the outcomes and the primary ones' types."""
    world = World(database, ManualClock(T0))
    parent, _ = world.family(credits=0)
    places = Places(database)
    calls = [
        functools.partial(
            places.set_location,
            world.tenant,
            parent,
            kind,
            address_line1=f"{n} Main Street",
            city="Springfield",
            postal_code="12345",
            actor=admin(world.tenant),
        )
        for n, kind in enumerate(LOCATION_TYPES * 2)
    ]
    outcomes = race(calls)
    stored = places.locations(world.tenant, parent, actor=admin(world.tenant))
    assert sorted(loc.location_type for loc in stored) == sorted(LOCATION_TYPES)
    return outcomes, [loc.location_type for loc in stored if loc.is_primary]


def test_a_parents_first_locations_set_at_once_have_one_primary_as_on_memory(
    racing: tuple[Any, Callable[..., Any]],
) -> None:
    database, _ = racing
    for _ in range(FEW):
        outcomes, primary = locations_round(database)
        assert outcomes == Counter({"ok": THREADS}), outcomes
        assert len(primary) == 1, primary


def test_negative_control_locations_listed_without_the_lock_get_several_primaries(
    unlocked_pool: PostgresDatabase,
) -> None:
    """Without the lock, each caller sees no other location and makes its own primary:
    no error, but the one-primary rule breaks."""
    database = without_locks(unlocked_pool, user_locations=UnlockedUserLocations)
    primaries = [len(locations_round(database)[1]) for _ in range(FEW)]
    assert max(primaries) > 1, primaries


# -- one conversation ended from several tabs ------------------------------------------------


class UnlockedConversations(PostgresConversations):
    lock_on_get: ClassVar[bool] = False


def conversation_round(database: Any, retrying: Callable[..., Any]) -> Counter[str]:
    """A user's conversation with the agent ended from 8 threads at once: the outcomes."""
    tenant, clock = TenantId(new_uuid()), ManualClock(T0)
    conversations = ConversationService(database, clock)
    user_id = UserId(new_uuid())
    conversation_id = conversations.start(
        StartConversation(tenant_id=tenant, user_id=user_id, idempotency_key="start"),
        actor=admin(tenant),
    )
    end = retrying(conversations.end)
    calls = [
        functools.partial(
            end,
            EndConversation(
                tenant_id=tenant, conversation_id=conversation_id, idempotency_key=f"end-{n}"
            ),
            actor=admin(tenant),
        )
        for n in range(THREADS)
    ]
    return race(calls)


def test_eight_ends_of_one_conversation_succeed_once_and_the_losers_get_invalid_transition(
    racing: tuple[Any, Callable[..., Any]],
) -> None:
    database, retrying = racing
    for _ in range(FEW):
        outcomes = conversation_round(database, retrying)
        assert outcomes == Counter({"ok": 1, "InvalidTransition": THREADS - 1}), outcomes


def test_negative_control_conversation_ends_checked_before_the_lock_give_other_errors(
    unlocked_pool: PostgresDatabase,
) -> None:
    database = without_locks(unlocked_pool, conversations=UnlockedConversations)
    expected = {"ok", "InvalidTransition"}
    seen = lost_races(lambda: conversation_round(database, unlocked_pool.retrying), expected)
    assert set(seen) & {"StaleVersion", "AlreadyExists"}, seen


# -- one review flagged and hidden at once -------------------------------------------------


class UnlockedReviews(PostgresReviews):
    lock_on_get: ClassVar[bool] = False


def review_round(database: Any) -> tuple[Counter[str], bool]:
    """A review flagged by 4 threads and hidden by 4 others at once: the outcomes of the
    hides and flags, and whether the review stays hidden."""
    world = World(database, ManualClock(T0))
    parent, _, [booking], _ = completed_bookings(world)
    feedback = FeedbackService(
        database, world.clock, embedder=HashingEmbedder(16), store=MemoryVectorStore(16)
    )
    review = feedback.review(
        world.tenant, parent, booking, rating=1, text="Rude", actor=admin(world.tenant)
    )
    moderation = ReviewModeration(database)
    hide = functools.partial(
        feedback.hide,
        world.tenant,
        review.id,
        admin_id=UserId(new_uuid()),
        reason="abusive",
        actor=admin(world.tenant),
    )
    flag = functools.partial(
        moderation.flag, world.tenant, review.id, reason="rude", actor=admin(world.tenant)
    )

    def hiding() -> None:
        try:
            hide()
        except TravelcoreError as error:
            raise AssertionError(f"a hide failed: {error!r}") from error

    outcomes = race([hiding, flag] * (THREADS // 2))
    with database(world.tenant) as uow:
        stored = uow.reviews.get(review.id)
    return outcomes, not stored.is_visible


def test_a_review_hidden_while_it_is_flagged_stays_hidden_as_on_memory(
    racing: tuple[Any, Callable[..., Any]],
) -> None:
    """Each change applies to what the one before it left: a flag after a hide is refused
    (``ValidationFailed``: the review is not visible), none undoes a hide."""
    database, _ = racing
    for _ in range(FEW):
        outcomes, hidden = review_round(database)
        assert set(outcomes) <= {"ok", "ValidationFailed"}, outcomes
        assert hidden


def test_negative_control_reviews_changed_without_the_lock_lose_a_hide(
    unlocked_pool: PostgresDatabase,
) -> None:
    """Without the lock, a flag that read the review before a hide committed writes it back
    visible after: no error, but the hide is lost."""
    database = without_locks(unlocked_pool, reviews=UnlockedReviews)
    hidden = [review_round(database)[1] for _ in range(FEW)]
    assert not all(hidden), hidden


# -- one tenant's due reminders sent by several job runners ----------------------------------


class UnlockedReminders(PostgresReminders):
    due_lock: ClassVar[bool] = False


def reminders_round(
    database: Any, retrying: Callable[..., Any]
) -> tuple[Counter[str], list[object], int]:
    """A confirmed trip's reminders, all due, sent by 8 job runners at once: the outcomes,
    the reminders each sent (all together) and how many the trip has."""
    tenant, clock = TenantId(new_uuid()), ManualClock(T0)
    travel = TravelService(database, clock)
    trip_id = hotel_trip(travel, tenant)
    travel.confirm_trip(
        ChangeTrip(tenant_id=tenant, trip_id=trip_id, idempotency_key="confirm"),
        actor=admin(tenant),
    )
    clock.set(datetime(2026, 5, 1, 12, tzinfo=UTC))
    runner = job(tenant, "reminders")
    scheduled = len(travel.due_reminders(tenant, actor=runner))
    send = retrying(travel.send_due_reminders)
    sent: list[object] = []

    def run(n: int) -> None:
        command = SendDueReminders(tenant_id=tenant, idempotency_key=f"send-{n}")
        sent.extend(send(command, actor=runner).reminder_ids)

    outcomes = race([functools.partial(run, n) for n in range(THREADS)])
    assert travel.due_reminders(tenant, actor=runner) == []
    return outcomes, sent, scheduled


def test_eight_job_runners_send_each_due_reminder_once_as_on_memory(
    racing: tuple[Any, Callable[..., Any]],
) -> None:
    database, retrying = racing
    for _ in range(FEW):
        outcomes, sent, scheduled = reminders_round(database, retrying)
        assert outcomes == Counter({"ok": THREADS}), outcomes
        assert scheduled > 0
        assert len(sent) == len(set(sent)) == scheduled


def test_negative_control_reminders_read_without_the_lock_lose_races(
    unlocked_pool: PostgresDatabase,
) -> None:
    database = without_locks(unlocked_pool, reminders=UnlockedReminders)
    seen = lost_races(lambda: reminders_round(database, unlocked_pool.retrying)[0], {"ok"})
    assert set(seen) & {"StaleVersion", "AlreadyExists"}, seen


def overdue_round(database: Any, retrying: Callable[..., Any]) -> tuple[Counter[str], object]:
    """A sent invoice past its due date paid by 4 threads while 4 overdue sweeps run: the
    outcomes and its status."""
    world, billing, [subscription] = invoicing(database, 1)
    invoice = issue(world, billing, subscription)()
    billing.send_invoice(
        ChangeInvoice(tenant_id=world.tenant, invoice_id=invoice.id, idempotency_key="send"),
        actor=admin(world.tenant),
    )
    world.clock.set(datetime(2026, 4, 3, 12, tzinfo=UTC))
    pay = retrying(billing.record_payment)
    sweep = functools.partial(retrying(billing.mark_overdue), world.tenant, actor=job(world.tenant))
    calls = [
        functools.partial(
            pay,
            RecordInvoicePayment(
                tenant_id=world.tenant,
                invoice_id=invoice.id,
                amount=invoice.total,
                reference=f"transfer-{n}",
                idempotency_key=f"pay-{n}",
            ),
            actor=admin(world.tenant),
        )
        for n in range(THREADS // 2)
    ]
    outcomes = race([*calls, *[sweep] * len(calls)])
    return outcomes, billing.invoice(world.tenant, invoice.id, actor=admin(world.tenant)).status


def test_an_invoice_paid_while_overdue_sweeps_run_is_paid_once_as_on_memory(
    racing: tuple[Any, Callable[..., Any]],
) -> None:
    """Every sweep succeeds (it marks the invoice overdue or finds it paid); one payment
    succeeds and the others get ``InvalidTransition``."""
    database, retrying = racing
    half = THREADS // 2
    for _ in range(FEW):
        outcomes, status = overdue_round(database, retrying)
        assert outcomes == Counter({"ok": half + 1, "InvalidTransition": half - 1}), outcomes
        assert status is InvoiceStatus.PAID


def test_negative_control_overdue_sweeps_without_the_lock_lose_races(
    unlocked_pool: PostgresDatabase,
) -> None:
    database = without_locks(unlocked_pool, invoices=UnlockedInvoices)
    expected = {"ok", "InvalidTransition"}
    seen = lost_races(lambda: overdue_round(database, unlocked_pool.retrying)[0], expected)
    assert set(seen) & {"StaleVersion", "AlreadyExists"}, seen
