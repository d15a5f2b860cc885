"""Every public command and query of the catalog, people, booking, waitlist, travel,
payments, billing and notifications contexts, with arbitrary values in every field (not
only right-typed ones), on memory and on PostgreSQL side by side: nothing but
``TravelcoreError`` comes out, a refused command leaves every stored row as it was (a dump
of the whole store before and after), and both back ends end in the same outcome (the same
error code, or a result of the same class)."""

from __future__ import annotations

import copy
import typing
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import attrs
import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.adapters.test_boundary_fuzz import WEIRD, field
from tests.adapters.test_postgres_differential_services import (
    BY_NAME,
    COMMANDS,
    MADE,
    RESULT_ID,
    Ref,
    Runner,
    money,
    ref,
    strategy,
)
from travelcore.apikeys import ApiKeyService, CreateApiKey
from travelcore.billing import (
    AdjustPayout,
    BillingService,
    ChangeInvoice,
    ChangePayout,
    CreatePayout,
    InvoiceLine,
    IssueInvoice,
    RecordInvoicePayment,
)
from travelcore.booking import RespondToOffer
from travelcore.discovery.feedback import FeedbackService
from travelcore.discovery.personal import Favourites
from travelcore.discovery.places import Places
from travelcore.kernel import Money, TravelcoreError
from travelcore.ledger import CorporateId, CreateSubscription, SubscriptionTier
from travelcore.notifications import (
    Announce,
    Channel,
    MarkRead,
    NotificationService,
    QuietHours,
    SaveTemplate,
    SwitchChannel,
    UpdatePreferences,
)
from travelcore.payments import ReconcilePayments
from travelcore.settings import PlatformSettingsService
from travelcore.testing.actors import admin
from travelcore.travel import ChangeTrip
from travelcore.vectors.embedder import HashingEmbedder
from travelcore_adapters.memory import MemoryDatabase
from travelcore_adapters.memory.vectors import MemoryVectorStore
from travelcore_adapters.notifications import JinjaRenderer
from travelcore_adapters.postgres import PostgresDatabase
from travelcore_adapters.postgres.provision import (
    ProvisionedDatabase,
    admin_connection,
    provision_database,
)
from travelcore_adapters.security import AesGcmSecretBox

EXAMPLES = 25
OUTCOMES: defaultdict[str, Counter[str]] = defaultdict(Counter)
"""Per command or query, how often each outcome happened (printed with ``-s``)."""

SKIPPED_HERE = {"ledger", "accounts", "chats"}
"""Fuzzed by ``test_boundary_fuzz``."""
MORE_COMMANDS: list[tuple[type[Any], str, str]] = [
    (ChangeTrip, "travel", "confirm_trip"),
    (ChangeTrip, "travel", "cancel_trip"),
    (RespondToOffer, "waitlist", "decline"),
    (ReconcilePayments, "payments", "reconcile"),
    (IssueInvoice, "billing", "issue_invoice"),
    (ChangeInvoice, "billing", "send_invoice"),
    (ChangeInvoice, "billing", "cancel_invoice"),
    (RecordInvoicePayment, "billing", "record_payment"),
    (CreatePayout, "billing", "create_payout"),
    (AdjustPayout, "billing", "adjust_payout"),
    (ChangePayout, "billing", "change_payout"),
    (SaveTemplate, "notifications", "save_template"),
    (SwitchChannel, "notifications", "switch_channel"),
    (UpdatePreferences, "notifications", "update_preferences"),
    (Announce, "notifications", "announce"),
    (MarkRead, "notifications", "mark_read"),
]
ALL_COMMANDS = [
    *((cls, *where) for cls, where in COMMANDS.items() if where[0] not in SKIPPED_HERE),
    *MORE_COMMANDS,
]

# -- right-typed values ---------------------------------------------------------------------

line = st.builds(
    InvoiceLine,
    description=st.sampled_from(["seats", "setup"]),
    quantity=st.integers(1, 40),
    unit_price=money,
)
quiet = st.builds(
    QuietHours,
    start=st.just(time(22)),
    end=st.just(time(7)),
    timezone=st.sampled_from(["Europe/Berlin", "UTC"]),
)
OVERRIDES: dict[str, st.SearchStrategy[Any]] = {
    "extra_lines": st.lists(line, max_size=2).map(tuple),
    "prefix": st.sampled_from(["ACME", "X1"]),
    "tax_rate": st.sampled_from([Decimal(0), Decimal("0.2")]),
    "target": st.sampled_from(["processing", "paid", "failed", "on_hold", "pending", "gone"]),
    "amount": money,
    "credit_value": money,
    "period_start": st.just(date(2026, 2, 1)),
    "period_end": st.sampled_from([date(2026, 3, 1), date(2026, 1, 1)]),
    "older_than": st.sampled_from([timedelta(minutes=15), timedelta(days=1)]),
    "quiet_hours": st.none() | quiet,
    "addresses": st.none() | st.just({Channel.SMS: "+4915112345678"}),
    "user_ids": st.lists(ref("user_id"), max_size=2).map(tuple),
    "variables": st.just(("name",)),
    "body": st.sampled_from(["Hello {{ name }}", "Hi"]),
    "html": st.none(),
    "days_of_week": st.lists(st.integers(0, 6), min_size=1, max_size=3, unique=True).map(tuple),
    "destinations": st.lists(st.sampled_from(["Lisbon", "Oslo"]), min_size=1).map(tuple),
    "subject": st.sampled_from(["Closed Monday", "  "]),
    "message": st.sampled_from(["We are closed.", "x" * 50]),
}


SPOILERS = st.one_of(
    WEIRD,
    st.sampled_from(
        [
            "a\x00b",
            "\udcff",
            "x" * 100_000,
            Decimal("NaN"),
            Decimal("-Infinity"),
            Decimal("1E+30"),
            2**31,
            -(2**63),
            datetime(2026, 3, 1, 12),
            date(9999, 12, 31),
            [[1]],
        ]
    ),
)
"""Anything at all, and half the time one of the values storage alone would choke on."""
BAD_TEXT = st.sampled_from(["a\x00b", "\udcff", "x" * 100_000, "", " "])


def spoiler(hint: Any) -> st.SearchStrategy[Any]:
    """Anything at all; for a text field, half the time text storage would refuse."""
    if hint in (str, str | None):
        return st.one_of(BAD_TEXT, SPOILERS)
    return SPOILERS


WORDS = st.sampled_from(["Ada", "Lisbon", "chess club", "Ünïcödé"])


TEMPLATE_KEYS = st.sampled_from(["booking_confirmed", "promo"])
FRESH = Ref("fresh key", 0, uuid.uuid4())
"""Replaced by a new idempotency key in each example (the same on both back ends)."""


def right_typed(name: str, hint: Any) -> st.SearchStrategy[Any]:
    if name == "key" and hint is str:
        return TEMPLATE_KEYS
    if name in OVERRIDES:
        return OVERRIDES[name]
    if hint is str and name not in BY_NAME:
        return WORDS
    if hint == str | None and name not in BY_NAME:
        return st.none() | WORDS
    return strategy(name, hint)


def command_fields(cls: type[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Right-typed values in every field but up to two (none, in one example of three),
    which get anything at all; the tenant is the back end's (``Ref("tenant")``) unless it is
    one of those."""
    hints = typing.get_type_hints(cls)
    good = {
        f.name: right_typed(f.name, hints[f.name])
        for f in attrs.fields(cls)
        if f.name not in ("tenant_id", "idempotency_key")
    }
    if "idempotency_key" in hints:
        good["idempotency_key"] = st.just(FRESH)
    good["tenant_id"] = st.just(Ref("tenant", 0, uuid.uuid4()))
    names = sorted(good)
    spoiled = st.just(frozenset[str]()) | st.frozensets(st.sampled_from(names), max_size=2)
    return spoiled.flatmap(
        lambda bad: st.fixed_dictionaries(
            {
                name: spoiler(hints.get(name)) if name in bad else values
                for name, values in good.items()
            }
        )
    )


# -- one back end ---------------------------------------------------------------------------


ID_POOLS = {
    **RESULT_ID,
    "VenuePayout": "payout_id",
    "Invoice": "invoice_id",
    "Notification": "notification_id",
    "Trip": "trip_id",
}
"""The pool a result's ``id`` goes to, by the result's class."""


class Backend(Runner):
    """The services of ``Runner`` plus billing and notifications, and a dump of the store."""

    def __init__(self, database: Any, dump: typing.Callable[[], Any]) -> None:
        super().__init__(database)
        self.services["billing"] = BillingService(database, self.clock)
        self.services["notifications"] = NotificationService(
            database, self.clock, renderer=JinjaRenderer()
        )
        subscription = self.services["ledger"].create_subscription(
            CreateSubscription(
                tenant_id=self.tenant,
                corporate_id=CorporateId(uuid.uuid4()),
                tier=SubscriptionTier.BASIC,
                covered_employees=10,
                credits_per_employee=10,
                monthly_cost=Money.of("99.00", "EUR"),
                start_date=date(2026, 1, 1),
                idempotency_key="subscription",
            ),
            actor=admin(self.tenant),
        )
        self.services["feedback"] = FeedbackService(
            database, self.clock, embedder=HashingEmbedder(8), store=MemoryVectorStore(8)
        )
        self.services["apikeys"] = ApiKeyService(database, self.clock, digest=BOX)
        self.services["settings"] = PlatformSettingsService(database, self.clock)
        self.services["favourites"] = Favourites(database, self.clock)
        self.services["places"] = Places(database)
        self.actor = admin(self.tenant)
        self.pools["tenant"] = [self.tenant]
        self.pools["subscription_id"] = [subscription.id]
        self.dump = dump

    def attempt(self, cls: type[Any], service: str, method: str, values: Mapping[str, Any]) -> str:
        resolved = {name: self.resolve(value) for name, value in values.items()}
        before = self.dump()
        try:
            cmd = cls(**resolved)
            result = getattr(self.services[service], method)(cmd, actor=self.actor)
        except TravelcoreError as error:
            refused = error.code
        except Exception as error:
            return f"CRASH {type(error).__name__}: {error}"
        else:
            self.keep(cls, result)
            return f"ok {type(result).__name__}"
        assert self.dump() == before, f"{cls.__name__} half-wrote ({refused})"
        return refused

    def keep(self, cls: type[Any], result: Any) -> None:
        """Add the ids ``result`` names to the pools later commands draw from."""
        if isinstance(result, uuid.UUID) and cls in MADE:
            self.pools.setdefault(MADE[cls], []).append(result)
        if not attrs.has(type(result)):
            return
        for item in attrs.fields(type(result)):
            value = getattr(result, item.name)
            pool = ID_POOLS.get(type(result).__name__, "id") if item.name == "id" else item.name
            if isinstance(value, uuid.UUID) and pool.endswith("_id"):
                self.pools.setdefault(pool, []).append(value)

    def call(self, service: str, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
        """A use case called with arguments: like ``attempt``, the store is dumped around a
        refusal."""
        kwargs = {name: self.resolve(value) for name, value in kwargs.items()}
        args = tuple(map(self.resolve_inside, args))
        before = self.dump()
        try:
            if f"{service}.{method}" not in ACTORLESS:
                kwargs["actor"] = self.actor
            result = getattr(self.services[service], method)(*args, **kwargs)
        except TravelcoreError as error:
            refused = error.code
        except Exception as error:
            return f"CRASH {type(error).__name__}: {error}"
        else:
            return f"ok {type(result).__name__}"
        assert self.dump() == before, f"{method} half-wrote ({refused})"
        return refused

    def resolve_inside(self, value: Any) -> Any:
        """``value`` resolved, and so are the fields of a command built with references."""
        if attrs.has(type(value)) and not isinstance(value, Ref):
            fields = {
                f.name: self.resolve(getattr(value, f.name)) for f in attrs.fields(type(value))
            }
            return attrs.evolve(value, **fields)
        return self.resolve(value)

    def ask(self, service: str, method: str, args: tuple[Any, ...]) -> str:
        try:
            result = getattr(self.services[service], method)(
                *map(self.resolve, args), actor=self.actor
            )
        except TravelcoreError as error:
            return error.code
        except Exception as error:
            return f"CRASH {type(error).__name__}: {error}"
        return f"ok {type(result).__name__}"


def memory_dump(database: MemoryDatabase) -> typing.Callable[[], Any]:
    def dump() -> Any:
        return {name: copy.deepcopy(rows) for name, rows in database.store.tables.items() if rows}

    return dump


def postgres_dump(conn: psycopg.Connection[Any]) -> typing.Callable[[], Any]:
    """Every table's row count and a sum of its rows' hashes (read as the superuser, so
    row-level security hides nothing)."""
    names = [
        row[0]
        for row in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
    ]
    parts = [f"SELECT '{name}', count(*), sum(hashtext(t::text)) FROM {name} t" for name in names]
    query = " UNION ALL ".join(parts)

    def dump() -> Any:
        return conn.execute(query).fetchall()  # type: ignore[arg-type]

    return dump


@pytest.fixture(scope="module")
def own_database(postgres_superuser_url: str) -> ProvisionedDatabase:
    """A database of the fuzz's own: its before/after dumps cover every table, so no other
    test's late writes (a relay still draining, say) may land in them."""
    return provision_database(postgres_superuser_url)


@pytest.fixture(scope="module")
def backends(own_database: ProvisionedDatabase) -> Iterator[tuple[Backend, Backend]]:
    url = own_database.superuser_url
    with (
        PostgresDatabase(own_database.app_url, pool_size=2) as database,
        admin_connection(url, own_database.name) as conn,
    ):
        memory = MemoryDatabase()
        yield (
            Backend(memory, memory_dump(memory)),
            Backend(database, postgres_dump(conn)),
        )


@pytest.mark.parametrize(
    ("cls", "service", "method"),
    ALL_COMMANDS,
    ids=[f"{c[0].__name__}.{c[2]}" for c in ALL_COMMANDS],
)
def test_commands_with_arbitrary_values(
    cls: type[Any], service: str, method: str, backends: tuple[Backend, Backend]
) -> None:
    memory, postgres = backends
    name = f"{cls.__name__}.{method}"

    @settings(max_examples=EXAMPLES, deadline=None)
    @given(values=command_fields(cls))
    def check(values: dict[str, Any]) -> None:
        key = str(uuid.uuid4())
        values = {name: key if value is FRESH else value for name, value in values.items()}
        outcomes = (
            memory.attempt(cls, service, method, values),
            postgres.attempt(cls, service, method, values),
        )
        OUTCOMES[name][outcomes[0]] += 1
        assert not any(o.startswith("CRASH") for o in outcomes), (values, outcomes)
        assert outcomes[0] == outcomes[1], (values, outcomes)

    check()
    print(name, sum(OUTCOMES[name].values()), dict(OUTCOMES[name]))


# -- queries --------------------------------------------------------------------------------

TENANT = st.just(Ref("tenant", 0, uuid.uuid4()))
DAY = st.dates(date(2026, 1, 1), date(2026, 12, 31))
QUERIES: list[tuple[str, str, list[st.SearchStrategy[Any]]]] = [
    ("catalog", "venue", [TENANT, ref("venue_id")]),
    ("catalog", "session", [TENANT, ref("session_id")]),
    ("catalog", "sessions", [TENANT, ref("activity_id"), DAY, DAY]),
    ("people", "children", [TENANT, ref("user_id")]),
    ("bookings", "get", [TENANT, ref("booking_id")]),
    ("bookings", "find_by_code", [TENANT, st.sampled_from(["ABC-1234", "zz"])]),
    ("bookings", "for_session", [TENANT, ref("session_id")]),
    ("waitlist", "entries", [TENANT, ref("session_id")]),
    ("travel", "trip", [TENANT, ref("trip_id")]),
    ("travel", "itinerary", [TENANT, ref("itinerary_id")]),
    ("travel", "preferences", [TENANT, ref("user_id")]),
    ("travel", "history", [TENANT, ref("user_id")]),
    ("payments", "payment", [TENANT, ref("payment_id")]),
    ("payments", "payments_for_trip", [TENANT, ref("trip_id")]),
    ("billing", "invoice", [TENANT, ref("invoice_id")]),
    ("billing", "payout", [TENANT, ref("payout_id")]),
    ("notifications", "preferences", [TENANT, ref("user_id")]),
    ("notifications", "inbox", [TENANT, ref("user_id")]),
    ("notifications", "unread_count", [TENANT, ref("user_id")]),
    ("notifications", "history", [TENANT, ref("user_id")]),
]


@pytest.mark.parametrize(
    ("service", "method", "args"), QUERIES, ids=[f"{q[0]}.{q[1]}" for q in QUERIES]
)
def test_queries_with_arbitrary_values(
    service: str,
    method: str,
    args: list[st.SearchStrategy[Any]],
    backends: tuple[Backend, Backend],
) -> None:
    memory, postgres = backends
    name = f"{service}.{method}"

    @settings(max_examples=EXAMPLES, deadline=None)
    @given(values=st.tuples(*(field(arg) for arg in args)))
    def check(values: tuple[Any, ...]) -> None:
        outcomes = (memory.ask(service, method, values), postgres.ask(service, method, values))
        OUTCOMES[name][outcomes[0]] += 1
        assert not any(o.startswith("CRASH") for o in outcomes), (values, outcomes)
        assert outcomes[0] == outcomes[1], (values, outcomes)

    check()
    print(name, sum(OUTCOMES[name].values()), dict(OUTCOMES[name]))


# -- use cases called with arguments ---------------------------------------------------------

ACTORLESS = {"apikeys.authenticate", "settings.policy_for"}
"""Calls that establish who acts, or that every service makes on anyone's behalf."""
BOX = AesGcmSecretBox({"k1": AesGcmSecretBox.generate_key()}, current="k1")
TEXT = st.sampled_from(["Lovely", "too loud", ""])
CALLS: list[tuple[str, str, list[st.SearchStrategy[Any]], dict[str, st.SearchStrategy[Any]]]] = [
    (
        "feedback",
        "review",
        [TENANT, ref("user_id"), ref("booking_id")],
        {
            "rating": st.integers(0, 6),
            "would_book_again": st.none() | st.booleans(),
            "would_recommend_venue": st.none() | st.booleans(),
            "text": st.none() | TEXT,
        },
    ),
    (
        "feedback",
        "quick_feedback",
        [TENANT, ref("user_id"), ref("booking_id")],
        {
            "positive": st.booleans(),
            "tags": st.lists(st.sampled_from(["fun", "social", "facility"]), max_size=2),
            "comment": st.none() | TEXT,
        },
    ),
    ("feedback", "hide", [TENANT, ref("review_id")], {"admin_id": ref("user_id"), "reason": TEXT}),
    ("feedback", "process_feedback", [TENANT], {"limit": st.integers(0, 5)}),
    (
        "apikeys",
        "create",
        [
            st.builds(
                CreateApiKey,
                tenant_id=TENANT,
                user_id=ref("user_id"),
                role=st.sampled_from(["parent", "platform_admin"]),
                name=st.just("ci"),
                scopes=st.just(frozenset({"read:bookings"})),
            )
        ],
        {},
    ),
    (
        "apikeys",
        "authenticate",
        [TENANT, st.sampled_from(["tc_live_abc", "", "tc_live_" + "a" * 40])],
        {"scope": st.none() | st.just("read:bookings")},
    ),
    ("apikeys", "revoke", [TENANT, ref("key_id")], {"reason": TEXT}),
    (
        "settings",
        "update",
        [
            TENANT,
            st.dictionaries(
                st.sampled_from(["cancellation_window_hours", "max_suggestions", "nope"]),
                st.none() | st.integers(-1, 100),
                max_size=2,
            ),
        ],
        {"updated_by": st.none() | ref("user_id")},
    ),
    ("settings", "policy_for", [TENANT], {}),
    ("favourites", "add", [TENANT, ref("child_id"), ref("activity_id")], {}),
    ("favourites", "of", [TENANT, ref("child_id")], {}),
    (
        "places",
        "set_location",
        [TENANT, ref("user_id"), st.sampled_from(["home", "work", "moon"])],
        {
            "address_line1": st.just("1 Main St"),
            "city": st.just("Springfield"),
            "postal_code": st.just("12345"),
            "primary": st.booleans(),
            "radius_minutes": st.integers(0, 70),
        },
    ),
    ("places", "locations", [TENANT, ref("user_id")], {}),
]


@pytest.mark.parametrize(
    ("service", "method", "args", "kwargs"), CALLS, ids=[f"{c[0]}.{c[1]}" for c in CALLS]
)
def test_calls_with_arbitrary_values(
    service: str,
    method: str,
    args: list[st.SearchStrategy[Any]],
    kwargs: dict[str, st.SearchStrategy[Any]],
    backends: tuple[Backend, Backend],
) -> None:
    memory, postgres = backends
    name = f"{service}.{method}"

    @settings(max_examples=EXAMPLES, deadline=None)
    @given(
        values=st.tuples(*(field(arg) for arg in args)),
        keywords=st.fixed_dictionaries({k: field(v) for k, v in kwargs.items()}),
    )
    def check(values: tuple[Any, ...], keywords: dict[str, Any]) -> None:
        outcomes = (
            memory.call(service, method, values, keywords),
            postgres.call(service, method, values, keywords),
        )
        OUTCOMES[name][outcomes[0]] += 1
        assert not any(o.startswith("CRASH") for o in outcomes), (values, keywords, outcomes)
        assert outcomes[0] == outcomes[1], (values, keywords, outcomes)

    check()
    print(name, sum(OUTCOMES[name].values()), dict(OUTCOMES[name]))
