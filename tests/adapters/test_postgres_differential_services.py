"""Differential test of every public command of every service: random sequences of commands
with right-typed random arguments (ids of things made earlier or unknown ones, strings,
amounts, dates and local times on DST edges, reused idempotency keys) run on the memory
adapter and on PostgreSQL, and each command must end the same way on both: a result of the
same class, or an error of the same class."""

from __future__ import annotations

import typing
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

import attrs
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from travelcore.accounts import (
    AccountService,
    ConversationService,
    EndConversation,
    PostMessage,
    RegisterAccount,
    RotateCredentials,
    Secret,
    StartConversation,
    StoreCredential,
)
from travelcore.booking import (
    BookAgain,
    BookGroup,
    BookingService,
    BookSession,
    CancelBooking,
    CancelSession,
    CompensateActivityChange,
    CompleteSession,
    ConfirmBooking,
    GrantPartialRefund,
    JoinWaitlist,
    LeaveWaitlist,
    MarkAttendance,
    PromoteWaitlist,
    RespondToOffer,
    WaitlistService,
)
from travelcore.catalog import (
    ApplyVenue,
    CatalogService,
    ChangeVenueStatus,
    CreateActivity,
    CreateSchedule,
    GenerateSessions,
    ScheduleSession,
    UpdateInsurance,
)
from travelcore.kernel import ManualClock, Money, StaticPolicies, TravelcoreError
from travelcore.ledger import (
    Adjust,
    AllocateCredits,
    AllocatePeriodCredits,
    CaptureHold,
    CreateSubscription,
    Debit,
    Forfeit,
    LedgerService,
    PlaceHold,
    Refund,
    Reverse,
    VoidHold,
)
from travelcore.payments import PaymentService, PayTrip, RefundPayment, RefundTrip
from travelcore.people import AddChild, PeopleService, RegisterCorporate, RegisterUser
from travelcore.testing.actors import admin, job
from travelcore.testing.world import World
from travelcore.travel import (
    AddItineraryDay,
    BookTrip,
    ChangeTrip,
    DraftItinerary,
    ItineraryDay,
    LineItem,
    RegisterTenant,
    RemovePolicyRule,
    SendDueReminders,
    SetPolicyRule,
    SetTravelPreferences,
    TravelService,
)
from travelcore_adapters.memory import MemoryDatabase
from travelcore_adapters.memory.payment_gateway import DECLINED_METHOD, MemoryPaymentGateway
from travelcore_adapters.postgres import PostgresDatabase
from travelcore_adapters.security import AesGcmSecretBox, Argon2PasswordHasher

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
KEY = AesGcmSecretBox.generate_key()
HASHER = Argon2PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

COMMANDS: dict[type[Any], tuple[str, str]] = {
    ApplyVenue: ("catalog", "apply_venue"),
    ChangeVenueStatus: ("catalog", "change_venue_status"),
    UpdateInsurance: ("catalog", "update_insurance"),
    CreateActivity: ("catalog", "create_activity"),
    ScheduleSession: ("catalog", "schedule_session"),
    CreateSchedule: ("catalog", "create_schedule"),
    GenerateSessions: ("catalog", "generate_sessions"),
    RegisterCorporate: ("people", "register_corporate"),
    RegisterUser: ("people", "register_user"),
    AddChild: ("people", "add_child"),
    CreateSubscription: ("ledger", "create_subscription"),
    AllocatePeriodCredits: ("ledger", "allocate_period_credits"),
    AllocateCredits: ("ledger", "allocate_credits"),
    PlaceHold: ("ledger", "place_hold"),
    CaptureHold: ("ledger", "capture_hold"),
    VoidHold: ("ledger", "void_hold"),
    Debit: ("ledger", "debit"),
    Refund: ("ledger", "refund"),
    Forfeit: ("ledger", "forfeit"),
    Adjust: ("ledger", "adjust"),
    Reverse: ("ledger", "reverse"),
    SetPolicyRule: ("travel", "set_policy_rule"),
    RemovePolicyRule: ("travel", "remove_policy_rule"),
    SetTravelPreferences: ("travel", "set_preferences"),
    DraftItinerary: ("travel", "draft_itinerary"),
    AddItineraryDay: ("travel", "add_itinerary_day"),
    BookTrip: ("travel", "book_trip"),
    SendDueReminders: ("travel", "send_due_reminders"),
    RegisterAccount: ("accounts", "register"),
    StoreCredential: ("accounts", "store_credential"),
    RotateCredentials: ("accounts", "rotate_credentials"),
    StartConversation: ("chats", "start"),
    PostMessage: ("chats", "post"),
    EndConversation: ("chats", "end"),
    PayTrip: ("payments", "pay"),
    RefundPayment: ("payments", "refund"),
    RefundTrip: ("payments", "refund_trip"),
    BookSession: ("bookings", "book"),
    BookGroup: ("bookings", "book_group"),
    BookAgain: ("bookings", "book_again"),
    ConfirmBooking: ("bookings", "confirm"),
    CancelBooking: ("bookings", "cancel"),
    CancelSession: ("bookings", "cancel_session"),
    MarkAttendance: ("bookings", "mark_attendance"),
    CompleteSession: ("bookings", "complete_session"),
    GrantPartialRefund: ("bookings", "partial_refund"),
    CompensateActivityChange: ("bookings", "compensate_activity_change"),
    JoinWaitlist: ("waitlist", "join"),
    RespondToOffer: ("waitlist", "accept"),
    LeaveWaitlist: ("waitlist", "leave"),
    PromoteWaitlist: ("waitlist", "promote"),
}
CHANGE_TRIP = ("travel", ("confirm_trip", "cancel_trip"))
JOBS = [
    ("catalog", "release_inventory"),
    ("ledger", "expire_holds"),
    ("ledger", "close_periods"),
    ("ledger", "send_expiry_warnings"),
    ("ledger", "purge_idempotency_keys"),
]

# -- the arguments --------------------------------------------------------------------------

ALIASES = {"parent_id": "user_id", "original_booking_id": "booking_id", "corporate_id": "corp"}
"""Which pool of ids an id field draws from (by default the one named after the field)."""


@attrs.frozen
class Ref:
    """An id of ``pool`` made so far (by ``index``), or an unknown one (index 3)."""

    pool: str
    index: int
    unknown: uuid.UUID


def ref(pool: str) -> st.SearchStrategy[Ref]:
    return st.builds(Ref, st.just(pool), st.integers(0, 3), st.uuids())


DST_DAYS = [date(2026, 3, 8), date(2026, 3, 29), date(2026, 11, 1), date(2026, 10, 25)]
DST_TIMES = [time(1, 30), time(2, 0), time(2, 30), time(3, 0), time(9, 0), time(23, 59)]
days = st.sampled_from(DST_DAYS) | st.dates(date(2025, 12, 1), date(2027, 1, 31))
times = st.sampled_from(DST_TIMES) | st.times().map(lambda t: t.replace(microsecond=0))
words = st.sampled_from(["", "Ada", "x" * 300, "Lisbon", "chess", "Ünïcödé"])
ZONES = ["America/New_York", "Europe/Berlin", "UTC", "Mars/Olympus"]
money = st.builds(
    Money, st.decimals(Decimal("0.01"), Decimal("900"), places=2), st.sampled_from(["EUR"])
)
item = st.builds(
    LineItem.hotel,
    provider=st.just("Booking.com"),
    external_ref=st.just("H1"),
    price_per_night=money,
    check_in=st.just(date(2026, 5, 1)),
    check_out=st.sampled_from([date(2026, 5, 2), date(2026, 5, 4)]),
)
itinerary_day = st.builds(
    ItineraryDay, day=days, activity_type=st.sampled_from(["meeting", "hike"])
)
BY_NAME: dict[str, st.SearchStrategy[Any]] = {
    "timezone": st.sampled_from(ZONES),
    "action": st.sampled_from(["approve", "reject", "suspend", "reinstate", "fly"]),
    "email": st.sampled_from(["ada@example.com", "bob@example.com", "not an email"]),
    "primary_contact_email": st.sampled_from(["hr@example.com", "nope"]),
    "slug": st.sampled_from(["park", "pool", "Bad Slug"]),
    "currency": st.sampled_from(["EUR", "USD", "EURO"]),
    "payment_method": st.sampled_from(["pm_card_visa", DECLINED_METHOD]),
    "password": st.sampled_from([Secret("short"), Secret("correct horse battery staple")]),
    "fields": st.sampled_from([{}, {"api_key": Secret("k-1")}]),
    "value": st.sampled_from([{"min_days": 7}, {"max": "economy"}, {"amount": "9"}, 3]),
    "items": st.lists(item, max_size=2).map(tuple),
    "days": st.lists(itinerary_day, max_size=2).map(tuple),
    "day": days,
    "days_of_week": st.lists(st.integers(-1, 7), max_size=3).map(tuple),
    "loyalty_numbers": st.sampled_from([{}, {"airline": "ABC"}]),
    "language": st.sampled_from(["en", "de-CH", "??"]),
    "child_ids": st.lists(ref("child_id"), max_size=3).map(tuple),
    "booking_id": ref("booking_id"),  # a ledger command's booking may be any
}


def strategy(name: str, hint: Any) -> st.SearchStrategy[Any]:
    """Values for the field ``name`` of type ``hint``."""
    if hint is ItineraryDay:
        return itinerary_day
    if name in BY_NAME:
        return BY_NAME[name]
    if typing.get_origin(hint) in (typing.Union, __import__("types").UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        return st.none() | strategy(name, options[0])
    if name.endswith("_id"):
        return ref(ALIASES.get(name, name))
    if name == "day" or hint is date:
        return days
    if hint is time:
        return times
    if hint is bool:
        return st.booleans()
    if hint is int:
        return st.integers(-1, 12)
    if hint is Decimal:
        return st.decimals(Decimal(-1), Decimal(10**7), places=2)
    if hint is Money:
        return money
    if isinstance(hint, type) and issubclass(hint, Enum):
        return st.sampled_from(list(hint))
    if hint is str:
        return words
    if typing.get_origin(hint) is tuple:
        return st.lists(words, max_size=2).map(tuple)
    raise AssertionError(f"no strategy for {name}: {hint}")


def command(cls: type[Any]) -> st.SearchStrategy[tuple[Any, ...]]:
    hints = typing.get_type_hints(cls)
    fields = {
        f.name: strategy(f.name, hints[f.name])
        for f in attrs.fields(cls)
        if f.name not in ("tenant_id", "idempotency_key")
    }
    keys = st.just("reused") | st.uuids().map(str)
    return st.tuples(st.just(cls), st.fixed_dictionaries(fields), keys)


steps = st.one_of(
    *(command(cls) for cls in COMMANDS),
    st.tuples(st.just("change_trip"), ref("trip_id"), st.booleans()),
    st.tuples(st.just("job"), st.sampled_from(JOBS)),
    st.tuples(st.just("advance"), st.sampled_from([1, 24, 24 * 31])),
)

# -- one adapter ----------------------------------------------------------------------------

MADE = {
    ApplyVenue: "venue_id",
    CreateActivity: "activity_id",
    ScheduleSession: "session_id",
    CreateSchedule: "schedule_id",
    RegisterCorporate: "corp",
    RegisterUser: "user_id",
    AddChild: "child_id",
    RegisterAccount: "user_id",
    StoreCredential: "credential_id",
    StartConversation: "conversation_id",
}
RESULT_ID = {
    "Hold": "hold_id",
    "LedgerEntry": "entry_id",
    "CorporateSubscription": "subscription_id",
    "PlanResult": "itinerary_id",
    "BookingReceipt": "booking_id",
    "WaitlistReceipt": "entry_id",
}


class Runner:
    """The services on one adapter, for one tenant, and the ids they made by pool."""

    def __init__(self, database: Any) -> None:
        self.clock = ManualClock(T0)
        policies = StaticPolicies()
        box = AesGcmSecretBox({"k": KEY}, current="k")
        self.services: dict[str, Any] = {
            "catalog": CatalogService(database, self.clock, policies=policies),
            "people": PeopleService(database, self.clock),
            "ledger": LedgerService(database, self.clock, policies=policies),
            "travel": TravelService(database, self.clock),
            "accounts": AccountService(database, self.clock, secret_box=box, hasher=HASHER),
            "chats": ConversationService(database, self.clock),
            "payments": PaymentService(database, self.clock, gateway=MemoryPaymentGateway()),
            "bookings": BookingService(database, self.clock, policies=policies),
            "waitlist": WaitlistService(database, self.clock, policies=policies),
        }
        self.pools: dict[str, list[Any]] = {}
        self._seed(database)

    def _seed(self, database: Any) -> None:
        """What the commands find from the start: two sessions (one on the night the clocks
        go back), a family with credits, a venue and activity, a trip."""
        world = World(database, self.clock)
        self.tenant = world.tenant
        self.services["travel"].register_tenant(
            RegisterTenant(tenant_id=self.tenant, name="Acme", idempotency_key="tenant"),
            actor=admin(self.tenant),
        )
        sessions = [
            world.session(starts_in=timedelta(days=3), capacity=2, credits=2),
            world.session(local=(date(2026, 11, 1), time(1, 30)), capacity=3, credits=1),
        ]
        parent, children = world.family(credits=20, born=(date(2018, 5, 1), date(2019, 5, 1)))
        self.pools = {
            "session_id": sessions,
            "user_id": [parent],
            "child_id": children,
            "activity_id": [world.get_session(s).activity_id for s in sessions],
            "venue_id": [world.get_session(s).venue_id for s in sessions],
        }
        with database(self.tenant) as uow:
            self.pools["balance_id"] = [uow.credits.find(parent, T0.date()).id]

    def resolve(self, value: Any) -> Any:
        if isinstance(value, Ref):
            pool = self.pools.get(value.pool, [])
            return pool[value.index % len(pool)] if pool and value.index < 3 else value.unknown
        if isinstance(value, tuple):
            return tuple(self.resolve(v) for v in value)
        return value

    def run(self, step: tuple[Any, ...]) -> str:
        """The class of the step's result, or ``refused: <error class>``."""
        try:
            result = self._run(step)
        except TravelcoreError as error:
            return f"refused: {type(error).__name__}"
        self._collect(step, result)
        return type(result).__name__

    def _run(self, step: tuple[Any, ...]) -> Any:
        kind = step[0]
        if kind == "advance":
            self.clock.advance(timedelta(hours=step[1]))
            return None
        if kind == "job":
            service, method = step[1]
            return getattr(self.services[service], method)(self.tenant, actor=job(self.tenant))
        if kind == "change_trip":
            method = CHANGE_TRIP[1][step[2]]
            trip = self.resolve(step[1])
            return getattr(self.services["travel"], method)(
                ChangeTrip(tenant_id=self.tenant, trip_id=trip, idempotency_key=str(trip)),
                actor=admin(self.tenant),
            )
        cls, fields, key = step
        values = {name: self.resolve(value) for name, value in fields.items()}
        cmd = cls(tenant_id=self.tenant, idempotency_key=key, **values)
        service, method = COMMANDS[cls]
        return getattr(self.services[service], method)(cmd, actor=admin(self.tenant))

    def _collect(self, step: tuple[Any, ...], result: Any) -> None:
        def keep(pool: str, value: Any) -> None:
            if isinstance(value, uuid.UUID) and value not in self.pools.setdefault(pool, []):
                self.pools[pool].append(value)

        if step[0] in MADE:
            keep(MADE[step[0]], result)
            if step[0] is RegisterCorporate:
                keep("corporate_id", result)
        if attrs.has(type(result)):
            for field in attrs.fields(type(result)):
                value = getattr(result, field.name)
                if field.name == "id":
                    keep(RESULT_ID.get(type(result).__name__, "id"), value)
                elif field.name.endswith("_id"):
                    keep(field.name, value)
            for booking in getattr(result, "bookings", ()):
                keep("booking_id", booking.booking_id)


def differential(postgres: Callable[[], PostgresDatabase]) -> Any:
    @settings(
        max_examples=30,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(st.lists(steps, min_size=8, max_size=30))
    def check(sequence: list[tuple[Any, ...]]) -> None:
        memory, pg = Runner(MemoryDatabase()), Runner(postgres())
        for step in sequence:
            outcome = memory.run(step)
            name = step[0] if isinstance(step[0], str) else step[0].__name__
            event(f"{name}: {outcome}")
            assert pg.run(step) == outcome, step

    return check


def test_memory_and_postgres_end_every_command_the_same_way(
    postgres_database: PostgresDatabase,
) -> None:
    differential(lambda: postgres_database)()
