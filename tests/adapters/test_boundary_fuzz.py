"""Every public command of the accounts, ledger and vectors contexts, with arbitrary values
in every field (not only right-typed ones), on memory and on PostgreSQL side by side:
nothing but ``TravelcoreError`` comes out, a refused command leaves the observable state as
it was, and both back ends end in the same outcome (the same error code, or success)."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, date, datetime
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from tests.adapters.vector_servers import pgvector_engine  # noqa: F401  (fixture)
from travelcore.accounts import (
    AccountService,
    ConversationService,
    EndConversation,
    Modality,
    PostMessage,
    RegisterAccount,
    Role,
    RotateCredentials,
    Secret,
    StartConversation,
    StoreCredential,
)
from travelcore.kernel import ManualClock, Money, TenantId, TravelcoreError, UserId
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
    SubscriptionTier,
    VoidHold,
)
from travelcore.ledger.subscription import CorporateId
from travelcore.testing.actors import admin
from travelcore.testing.vectors import DIMENSION
from travelcore.vectors import VectorRecord
from travelcore_adapters.memory import MemoryDatabase
from travelcore_adapters.memory.text_search import MemoryTextSearch
from travelcore_adapters.memory.vectors import MemoryVectorStore
from travelcore_adapters.pgvector import (
    PgTextSearch,
    PgVectorStore,
    create_schema,
    create_text_schema,
)
from travelcore_adapters.postgres import PostgresDatabase
from travelcore_adapters.security import AesGcmSecretBox, Argon2PasswordHasher

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
DAY = date(2026, 3, 2)
BOX = AesGcmSecretBox({"k1": AesGcmSecretBox.generate_key()}, current="k1")
HASHER = Argon2PasswordHasher(time_cost=1, memory_cost=512, parallelism=1)
TENANT, USER = TenantId(uuid.uuid4()), UserId(uuid.uuid4())
CORPORATE = CorporateId(uuid.uuid4())
HELD, DEBITED = uuid.uuid4(), uuid.uuid4()
EXAMPLES = 40
OUTCOMES: defaultdict[str, Counter[str]] = defaultdict(Counter)
"""Per command, how often each outcome happened (printed with ``-s``)."""


@attrs.frozen
class Ref:
    """An entity each back end created under its own id (resolved per back end)."""

    name: str


WEIRD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 2**31 - 1, 2**31, -(2**31) - 1, 2**63, 10**6 + 1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.text(st.characters(codec=None, categories=None), max_size=12),
    st.sampled_from(["", "  ", "\x00", "a\x00b", "\ud800", "x" * 2_000, str(uuid.uuid4())]),
    st.binary(max_size=6),
    st.datetimes(),
    st.datetimes(timezones=st.just(UTC)),
    st.dates(),
    st.uuids(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.builds(object),
)


def field(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Four times in five the right kind of value, else anything at all (``one_of`` would
    weigh each of the many weird kinds like the one right kind)."""
    return st.integers(0, 4).flatmap(lambda n: WEIRD if n == 0 else valid)


FRESH = Ref("fresh key")
"""A new idempotency key for each example (the same one on both back ends)."""
KEY = st.just(FRESH)
CREDITS = st.integers(min_value=1, max_value=30)
TEXT = st.sampled_from(["admin", "correction", "Amadeus"])


@attrs.frozen
class Spec:
    """A command: which service method runs it and how its fields are drawn."""

    service: str
    method: str
    command: type
    fields: Mapping[str, st.SearchStrategy[Any]]


BALANCE = {"tenant_id": st.just(TENANT), "balance_id": st.just(Ref("balance"))}
SPECS = [
    Spec(
        "ledger",
        "create_subscription",
        CreateSubscription,
        {
            "tenant_id": st.just(TENANT),
            "corporate_id": st.just(CORPORATE),
            "tier": st.sampled_from(SubscriptionTier),
            "covered_employees": st.integers(1, 5),
            "credits_per_employee": CREDITS,
            "monthly_cost": st.just(Money.of("99.00", "EUR")),
            "start_date": st.just(date(2026, 3, 1)),
            "billing_cycle_day": st.integers(1, 28),
            "end_date": st.none(),
        },
    ),
    Spec(
        "ledger",
        "allocate_period_credits",
        AllocatePeriodCredits,
        {
            "tenant_id": st.just(TENANT),
            "subscription_id": st.just(Ref("subscription")),
            "user_id": st.uuids().map(UserId),
            "day": st.just(DAY),
        },
    ),
    Spec(
        "ledger",
        "allocate_credits",
        AllocateCredits,
        {
            "tenant_id": st.just(TENANT),
            "user_id": st.just(USER),
            "day": st.just(DAY),
            "credits": CREDITS,
            "billing_cycle_day": st.just(1),
            "reason": st.none() | TEXT,
        },
    ),
    Spec(
        "ledger", "place_hold", PlaceHold, {**BALANCE, "booking_id": st.uuids(), "credits": CREDITS}
    ),
    Spec("ledger", "capture_hold", CaptureHold, {**BALANCE, "hold_id": st.just(Ref("hold"))}),
    Spec("ledger", "void_hold", VoidHold, {**BALANCE, "hold_id": st.just(Ref("hold"))}),
    Spec("ledger", "debit", Debit, {**BALANCE, "booking_id": st.uuids(), "credits": CREDITS}),
    Spec(
        "ledger",
        "refund",
        Refund,
        {**BALANCE, "booking_id": st.just(DEBITED), "credits": st.none() | st.integers(1, 3)},
    ),
    Spec("ledger", "forfeit", Forfeit, {**BALANCE, "booking_id": st.just(DEBITED)}),
    Spec(
        "ledger",
        "adjust",
        Adjust,
        {**BALANCE, "credits": st.integers(-5, 5), "reason": TEXT},
    ),
    Spec(
        "ledger",
        "reverse",
        Reverse,
        {**BALANCE, "entry_id": st.just(Ref("entry")), "reason": TEXT},
    ),
    Spec(
        "accounts",
        "register",
        RegisterAccount,
        {
            "tenant_id": st.just(TENANT),
            "user_id": st.uuids().map(UserId),
            "email": st.uuids().map(lambda u: f"{u.hex[:8]}@example.com"),
            "name": st.sampled_from(["Ada", "Grace"]),
            "password": st.sampled_from([Secret("correct horse"), Secret("short")]),
        },
    ),
    Spec(
        "accounts",
        "store_credential",
        StoreCredential,
        {
            "tenant_id": st.just(TENANT),
            "user_id": st.just(USER),
            "provider": TEXT,
            "fields": st.dictionaries(
                st.sampled_from(["api_key", "secret"]),
                st.sampled_from([Secret("k-1"), Secret("s\x00")]),
                max_size=2,
            ),
        },
    ),
    Spec("accounts", "rotate_credentials", RotateCredentials, {"tenant_id": st.just(TENANT)}),
    Spec(
        "chats",
        "start",
        StartConversation,
        {"tenant_id": st.just(TENANT), "user_id": st.just(USER)},
    ),
    Spec(
        "chats",
        "post",
        PostMessage,
        {
            "tenant_id": st.just(TENANT),
            "conversation_id": st.just(Ref("conversation")),
            "role": st.sampled_from(Role),
            "content": st.sampled_from(["Book me to Oslo", "  "]),
            "modality": st.sampled_from(Modality),
        },
    ),
    Spec(
        "chats",
        "end",
        EndConversation,
        {"tenant_id": st.just(TENANT), "conversation_id": st.just(Ref("conversation"))},
    ),
]


class Backend:
    """One back end with the services and the entities every command may refer to."""

    def __init__(self, database: Callable[[TenantId], Any]) -> None:
        clock = ManualClock(T0)
        self.services = {
            "ledger": LedgerService(database, clock),
            "accounts": AccountService(database, clock, secret_box=BOX, hasher=HASHER),
            "chats": ConversationService(database, clock),
        }
        ledger = self.services["ledger"]
        subscription = ledger.create_subscription(
            CreateSubscription(
                tenant_id=TENANT,
                corporate_id=CORPORATE,
                tier=SubscriptionTier.BASIC,
                covered_employees=1_000,
                credits_per_employee=10,
                monthly_cost=Money.of("99.00", "EUR"),
                start_date=date(2026, 3, 1),
                idempotency_key="setup-subscription",
            ),
            actor=admin(TENANT),
        )
        entry = ledger.allocate_credits(
            AllocateCredits(
                tenant_id=TENANT, user_id=USER, day=DAY, credits=500, idempotency_key="setup-a"
            ),
            actor=admin(TENANT),
        )
        hold = ledger.place_hold(
            PlaceHold(
                tenant_id=TENANT,
                balance_id=entry.balance_id,
                booking_id=HELD,
                credits=5,
                idempotency_key="setup-h",
            ),
            actor=admin(TENANT),
        )
        ledger.debit(
            Debit(
                tenant_id=TENANT,
                balance_id=entry.balance_id,
                booking_id=DEBITED,
                credits=20,
                idempotency_key="setup-d",
            ),
            actor=admin(TENANT),
        )
        conversation = self.services["chats"].start(
            StartConversation(tenant_id=TENANT, user_id=USER, idempotency_key="setup-c"),
            actor=admin(TENANT),
        )
        self.refs = {
            "subscription": subscription.id,
            "balance": entry.balance_id,
            "entry": entry.id,
            "hold": hold.id,
            "conversation": conversation,
        }

    def observe(self) -> tuple[Any, ...]:
        """What the commands change, as the queries show it."""
        ledger, chats = self.services["ledger"], self.services["chats"]
        view = ledger.balance(TENANT, self.refs["balance"], actor=admin(TENANT))
        return (
            view.version,
            view.available,
            len(view.entries),
            tuple(h.status for h in view.holds),
            ledger.subscription(TENANT, self.refs["subscription"], actor=admin(TENANT)).version,
            len(self.services["accounts"].credentials(TENANT, USER, actor=admin(TENANT))),
            len(chats.conversations(TENANT, USER, actor=admin(TENANT))),
            len(chats.transcript(TENANT, self.refs["conversation"], actor=admin(TENANT))),
        )

    def run(self, spec: Spec, values: Mapping[str, Any], key: str) -> str:
        refs = {**self.refs, FRESH.name: key}
        resolved = {k: refs[v.name] if isinstance(v, Ref) else v for k, v in values.items()}
        before = self.observe()
        try:
            command = spec.command(**resolved)
            result = getattr(self.services[spec.service], spec.method)(command, actor=admin(TENANT))
        except TravelcoreError as error:
            assert self.observe() == before, f"{spec.method} half-wrote"
            return error.code
        except Exception as error:
            return f"CRASH {type(error).__name__}: {error}"
        return f"ok {type(result).__name__}"


@pytest.fixture(scope="module")
def backends(postgres_database: PostgresDatabase) -> tuple[Backend, Backend]:
    return Backend(MemoryDatabase()), Backend(postgres_database)


def command_values(spec: Spec) -> st.SearchStrategy[dict[str, Any]]:
    fields = {name: field(valid) for name, valid in spec.fields.items()}
    return st.fixed_dictionaries({**fields, "idempotency_key": field(KEY)})


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.command.__name__)
def test_commands_with_arbitrary_values(spec: Spec, backends: tuple[Backend, Backend]) -> None:
    memory, postgres = backends

    @settings(max_examples=EXAMPLES, deadline=None)
    @given(values=command_values(spec))
    def check(values: dict[str, Any]) -> None:
        key = str(uuid.uuid4())
        outcomes = (memory.run(spec, values, key), postgres.run(spec, values, key))
        OUTCOMES[spec.command.__name__][outcomes[0]] += 1
        assert not outcomes[0].startswith("CRASH"), (values, outcomes)
        assert not outcomes[1].startswith("CRASH"), (values, outcomes)
        assert outcomes[0] == outcomes[1], (values, outcomes)

    check()
    print(spec.command.__name__, dict(OUTCOMES[spec.command.__name__]))


# -- queries --------------------------------------------------------------------------------

QUERIES: list[tuple[str, str, list[st.SearchStrategy[Any]]]] = [
    ("ledger", "balance", [st.just(TENANT), st.just(Ref("balance"))]),
    ("ledger", "balance_for", [st.just(TENANT), st.just(USER), st.just(DAY)]),
    ("ledger", "subscription", [st.just(TENANT), st.just(Ref("subscription"))]),
    ("accounts", "credentials", [st.just(TENANT), st.just(USER)]),
    ("accounts", "authenticate", [st.just(TENANT), TEXT, st.just(Secret("correct horse"))]),
    ("chats", "transcript", [st.just(TENANT), st.just(Ref("conversation"))]),
    ("chats", "conversations", [st.just(TENANT), st.just(USER)]),
]


def ask(backend: Backend, service: str, method: str, args: list[Any]) -> str:
    resolved = [backend.refs[a.name] if isinstance(a, Ref) else a for a in args]
    try:
        call = getattr(backend.services[service], method)
        result = (
            call(*resolved) if method == "authenticate" else call(*resolved, actor=admin(TENANT))
        )
    except TravelcoreError as error:
        return error.code
    except Exception as error:
        return f"CRASH {type(error).__name__}: {error}"
    return f"ok {type(result).__name__}"


@pytest.mark.parametrize(("service", "method", "args"), QUERIES, ids=[q[1] for q in QUERIES])
def test_queries_with_arbitrary_values(
    service: str, method: str, args: list[Any], backends: tuple[Backend, Backend]
) -> None:
    memory, postgres = backends

    @settings(max_examples=EXAMPLES, deadline=None)
    @given(values=st.tuples(*(field(arg) for arg in args)))
    def check(values: tuple[Any, ...]) -> None:
        outcomes = (
            ask(memory, service, method, list(values)),
            ask(postgres, service, method, list(values)),
        )
        OUTCOMES[method][outcomes[0]] += 1
        assert not any(o.startswith("CRASH") for o in outcomes), (values, outcomes)
        assert outcomes[0] == outcomes[1], (values, outcomes)

    check()
    print(method, dict(OUTCOMES[method]))


# -- vectors --------------------------------------------------------------------------------

NAMESPACE = f"{TENANT}:activities"
VECTOR = st.lists(st.floats(-1, 1), min_size=DIMENSION, max_size=DIMENSION).map(tuple)
FLAT = st.dictionaries(
    st.sampled_from(["genre", "n", "tags"]),
    st.one_of(st.integers(-5, 5), st.sampled_from(["a", "b"]), st.lists(st.sampled_from(["x"]))),
    max_size=3,
)
FILTER = st.one_of(
    st.none(),
    st.just({"genre": "a"}),
    st.just({"n": {"$gte": 0}}),
    st.just({"$or": [{"genre": {"$in": ["a", "b"]}}, {"n": {"$lt": 0}}]}),
    st.dictionaries(st.sampled_from(["genre", "$and", "$or", "n", "$gt"]), WEIRD, max_size=2),
)


@pytest.fixture(scope="module")
def vector_pairs(pgvector_engine: Engine) -> Iterator[dict[str, tuple[Any, Any]]]:  # noqa: F811
    table = f"fz_{uuid.uuid4().hex[:12]}"
    create_schema(pgvector_engine, DIMENSION, table)
    create_text_schema(pgvector_engine, f"{table}_text")
    yield {
        "store": (
            MemoryVectorStore(DIMENSION),
            PgVectorStore(pgvector_engine, DIMENSION, table=table),
        ),
        "text": (MemoryTextSearch(), PgTextSearch(pgvector_engine, f"{table}_text")),
    }
    with pgvector_engine.begin() as conn:
        conn.execute(text(f"DROP TABLE {table}, {table}_text"))


def records(ids: Any, values: Any, metadata: Any) -> list[VectorRecord]:
    return [VectorRecord(ids, values, metadata)]


VECTOR_CALLS: list[tuple[str, str, Callable[..., Any], dict[str, st.SearchStrategy[Any]]]] = [
    (
        "store",
        "upsert",
        lambda target, ns, rid, values, metadata: target.upsert(ns, records(rid, values, metadata)),
        {
            "ns": st.just(NAMESPACE),
            "rid": st.sampled_from(["v1", "v2", "v3"]),
            "values": VECTOR,
            "metadata": FLAT,
        },
    ),
    (
        "store",
        "query",
        lambda target, ns, vector, top_k, flt: [
            m.id for m in target.query(ns, vector=vector, top_k=top_k, filter=flt)
        ],
        {"ns": st.just(NAMESPACE), "vector": VECTOR, "top_k": st.integers(1, 5), "flt": FILTER},
    ),
    (
        "store",
        "fetch",
        lambda target, ns, ids: sorted(target.fetch(ns, ids).records),
        {"ns": st.just(NAMESPACE), "ids": st.lists(st.sampled_from(["v1", "v2", "zz"]))},
    ),
    (
        "store",
        "delete",
        lambda target, ns, ids, flt: target.delete(ns, ids=ids, filter=flt),
        {"ns": st.just(NAMESPACE), "ids": st.none() | st.just(["v3"]), "flt": FILTER},
    ),
    (
        "store",
        "list_ids",
        lambda target, ns, prefix, limit: target.list_ids(ns, prefix=prefix, limit=limit).ids,
        {"ns": st.just(NAMESPACE), "prefix": st.just("v"), "limit": st.integers(1, 10)},
    ),
    (
        "text",
        "put",
        lambda target, ns, rid, body, metadata: target.put(ns, rid, body, metadata),
        {
            "ns": st.just(NAMESPACE),
            "rid": st.sampled_from(["d1", "d2"]),
            "body": st.sampled_from(["museum tour", "kayak trip"]),
            "metadata": FLAT,
        },
    ),
    (
        "text",
        "search",
        lambda target, ns, body, top_k: [m.id for m in target.search(ns, body, top_k=top_k)],
        {
            "ns": st.just(NAMESPACE),
            "body": st.sampled_from(["museum", "kayak"]),
            "top_k": st.integers(1, 5),
        },
    ),
]


def attempt(call: Callable[..., Any], target: Any, values: Mapping[str, Any]) -> str:
    try:
        result = call(target, **values)
    except TravelcoreError as error:
        return error.code
    except Exception as error:
        return f"CRASH {type(error).__name__}: {error}"
    return f"ok {result!r}" if isinstance(result, list | tuple) else "ok"


@pytest.mark.parametrize(
    ("kind", "name", "call", "fields"), VECTOR_CALLS, ids=[c[1] for c in VECTOR_CALLS]
)
def test_vector_calls_with_arbitrary_values(
    kind: str,
    name: str,
    call: Callable[..., Any],
    fields: dict[str, st.SearchStrategy[Any]],
    vector_pairs: dict[str, tuple[Any, Any]],
) -> None:
    memory, postgres = vector_pairs[kind]

    @settings(max_examples=EXAMPLES, deadline=None)
    @given(values=st.fixed_dictionaries({k: field(v) for k, v in fields.items()}))
    def check(values: dict[str, Any]) -> None:
        outcomes = (attempt(call, memory, values), attempt(call, postgres, values))
        OUTCOMES[name][outcomes[0].split(" ")[0]] += 1
        assert not any(o.startswith("CRASH") for o in outcomes), (values, outcomes)
        if name == "query":  # approximate search (HNSW) may rank near-ties differently
            outcomes = (outcomes[0].split(" ")[0], outcomes[1].split(" ")[0])
        assert outcomes[0] == outcomes[1], (values, outcomes)

    check()
    print(name, dict(OUTCOMES[name]))
