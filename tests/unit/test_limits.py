"""Every documented limit (docs/limits.md): accepted at the limit, refused one past it with
``ValidationFailed`` naming the field and the rule, before any work."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from travelcore.accounts import (
    AccountService,
    ConversationService,
    PostMessage,
    RegisterAccount,
    Role,
    Secret,
    StartConversation,
)
from travelcore.accounts.model import MAX_MESSAGE_LENGTH
from travelcore.booking import BookGroup
from travelcore.booking.rules import MAX_GROUP_SIZE
from travelcore.kernel import (
    InvalidFilter,
    ManualClock,
    StaticPolicies,
    TenantId,
    UserId,
    ValidationFailed,
    new_uuid,
)
from travelcore.ledger import AllocateCredits, LedgerService
from travelcore.ledger.model import MAX_CREDITS, MAX_REASON_LENGTH
from travelcore.testing.actors import admin
from travelcore.testing.world import World
from travelcore.vectors import SemanticSearch, SourceDocument, VectorRecord, parse_filter
from travelcore.vectors import filters as f
from travelcore.vectors import records as r
from travelcore.vectors.embedder import HashingEmbedder
from travelcore_adapters.memory import MemoryDatabase
from travelcore_adapters.memory.text_search import MemoryTextSearch
from travelcore_adapters.memory.vectors import MemoryVectorStore
from travelcore_adapters.security import AesGcmSecretBox, Argon2PasswordHasher

TENANT = TenantId(new_uuid())


def refused(call: Callable[[], object], field: str, rule: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        call()
    assert (err.value.field, err.value.rule) == (field, rule)


def nested(depth: int) -> dict[str, Any]:
    node: dict[str, Any] = {"a": 1}
    for _ in range(depth):
        node = {"$and": [node]}
    return node


# -- filters -------------------------------------------------------------------------------


def test_in_and_nin_take_at_most_1000_values() -> None:
    for op in ("$in", "$nin"):
        assert parse_filter({"a": {op: list(range(f.MAX_SET_VALUES))}}) is not None
        refused(
            lambda op=op: parse_filter({"a": {op: list(range(f.MAX_SET_VALUES + 1))}}),
            "a",
            "max_values",
        )


def test_and_or_nest_at_most_10_levels_without_recursing_further() -> None:
    assert parse_filter(nested(f.MAX_DEPTH)) is not None
    refused(lambda: parse_filter(nested(f.MAX_DEPTH + 1)), "$and", "max_depth")
    with pytest.raises(InvalidFilter):  # not RecursionError
        parse_filter(nested(5_000))


def test_a_filter_tree_built_by_hand_has_the_same_limits() -> None:
    tree = parse_filter(nested(f.MAX_DEPTH))
    assert parse_filter(tree) is tree
    deep: f.Filter = f.Eq("a", 1)
    for _ in range(5_000):
        deep = f.And((deep,))
    refused(lambda: parse_filter(deep), "$and", "max_depth")
    refused(lambda: parse_filter(f.In("a", tuple(range(1_001)))), "a", "max_values")


def test_a_filter_holds_at_most_10000_conditions_and_values() -> None:
    # 10 fields (one condition each) with 999 values each: 10 + 10 x 999 = 10,000
    fields = {f"f{n}": {"$in": list(range(999))} for n in range(10)}
    assert parse_filter(fields) is not None
    with pytest.raises(InvalidFilter) as err:
        parse_filter({**fields, "g": {"$in": [1]}})
    assert err.value.rule == "max_size"


def test_filter_strings_are_bounded_and_storable() -> None:
    assert parse_filter({"a": "x" * f.MAX_STRING_LENGTH}) is not None
    refused(lambda: parse_filter({"a": "x" * 1_001}), "a", "max_string_length")
    refused(lambda: parse_filter({"a": {"$in": ["ok", "\x00"]}}), "a", "storable_string")
    refused(lambda: parse_filter({"a": "\ud800"}), "a", "storable_string")


# -- vector records, queries and documents --------------------------------------------------


def test_top_k_is_at_most_10000() -> None:
    store = MemoryVectorStore(dimension=2)
    store.upsert("ns", [VectorRecord("a", (1.0, 0.0))])
    assert len(store.query("ns", vector=(1.0, 0.0), top_k=r.MAX_TOP_K)) == 1
    refused(lambda: store.query("ns", vector=(1.0, 0.0), top_k=r.MAX_TOP_K + 1), "top_k", "range")


def test_metadata_is_at_most_40000_bytes() -> None:
    overhead = len('{"m":""}')
    VectorRecord("a", (1.0,), {"m": "x" * (r.MAX_METADATA_BYTES - overhead)})
    refused(
        lambda: VectorRecord("a", (1.0,), {"m": "x" * (r.MAX_METADATA_BYTES - overhead + 1)}),
        "metadata",
        "max_size",
    )
    refused(lambda: VectorRecord("a", (1.0,), {"m": "a\x00"}), "metadata.m", "no_nul")
    refused(lambda: VectorRecord("a", (1.0,), {"m": ["\udfff"]}), "metadata.m", "utf8")
    refused(lambda: VectorRecord("a\x00", (1.0,)), "id", "no_nul")


def test_vectors_have_at_most_20000_dimensions() -> None:
    VectorRecord("a", (1.0,) * r.MAX_DIMENSION)
    refused(lambda: VectorRecord("a", (1.0,) * (r.MAX_DIMENSION + 1)), "values", "max_dimension")


def test_documents_are_at_most_100000_characters() -> None:
    text = MemoryTextSearch()
    SourceDocument(id="d", text="x" * r.MAX_DOCUMENT_LENGTH)
    text.put("ns", "d", "x" * r.MAX_DOCUMENT_LENGTH, {})
    too_long = "x" * (r.MAX_DOCUMENT_LENGTH + 1)
    refused(lambda: SourceDocument(id="d", text=too_long), "text", "max_length")
    refused(lambda: text.put("ns", "d", too_long, {}), "text", "max_length")
    refused(lambda: SourceDocument(id="d", text="\x00"), "text", "no_nul")


def test_search_text_is_at_most_1000_characters_and_64_words() -> None:
    store, text = MemoryVectorStore(dimension=64), MemoryTextSearch()
    search = SemanticSearch(store, HashingEmbedder(dimension=64), text)
    at_words = " ".join(["word"] * r.MAX_QUERY_WORDS)
    at_chars = "x" * r.MAX_QUERY_LENGTH
    for ok in (at_words, at_chars):
        assert search.search("ns", ok).matches == ()
        assert text.search("ns", ok) == []
    for bad, rule in ((at_words + " word", "max_words"), (at_chars + "x", "max_length")):
        refused(lambda bad=bad: search.search("ns", bad), "text", rule)
        refused(lambda bad=bad: text.search("ns", bad), "text", rule)


# -- commands ------------------------------------------------------------------------------


def test_credits_per_command_are_at_most_one_million(clock: ManualClock) -> None:
    ledger = LedgerService(MemoryDatabase(), clock, policies=StaticPolicies())

    def allocate(credits: int, reason: str = "top-up") -> object:
        return ledger.allocate_credits(
            AllocateCredits(
                tenant_id=TENANT,
                user_id=UserId(new_uuid()),
                day=date(2026, 3, 2),
                credits=credits,
                reason=reason,
                idempotency_key=f"k{credits}{len(reason)}",
            ),
            actor=admin(TENANT),
        )

    allocate(MAX_CREDITS)
    refused(lambda: allocate(MAX_CREDITS + 1), "credits", f"max_{MAX_CREDITS}")
    refused(lambda: allocate(2**31), "credits", f"max_{MAX_CREDITS}")
    allocate(1, "r" * MAX_REASON_LENGTH)
    refused(lambda: allocate(1, "r" * (MAX_REASON_LENGTH + 1)), "reason", "max_length_1000")


def test_account_and_message_texts_are_bounded(clock: ManualClock) -> None:
    db = MemoryDatabase()
    box = AesGcmSecretBox({"k": AesGcmSecretBox.generate_key()}, current="k")
    hasher = Argon2PasswordHasher(time_cost=1, memory_cost=512, parallelism=1)
    accounts, chats = (
        AccountService(db, clock, secret_box=box, hasher=hasher),
        ConversationService(db, clock),
    )

    def register(name: str) -> object:
        return accounts.register(
            RegisterAccount(
                tenant_id=TENANT,
                user_id=UserId(new_uuid()),
                email=f"{len(name)}@example.com",
                name=name,
                password=Secret("correct horse"),
                idempotency_key=f"r{len(name)}",
            ),
            actor=admin(TENANT),
        )

    register("n" * 100)
    refused(lambda: register("n" * 101), "name", "max_length_100")
    conversation = chats.start(
        StartConversation(tenant_id=TENANT, user_id=UserId(new_uuid()), idempotency_key="s"),
        actor=admin(TENANT),
    )

    def post(content: str) -> object:
        return chats.post(
            PostMessage(
                tenant_id=TENANT,
                conversation_id=conversation,
                role=Role.USER,
                content=content,
                idempotency_key=f"p{len(content)}",
            ),
            actor=admin(TENANT),
        )

    post("m" * MAX_MESSAGE_LENGTH)
    refused(lambda: post("m" * (MAX_MESSAGE_LENGTH + 1)), "content", "max_length_20000")
    assert len(chats.transcript(TENANT, conversation, actor=admin(TENANT))) == 1


def test_a_group_booking_seats_at_most_10_children(clock: ManualClock) -> None:
    world = World(MemoryDatabase(), clock)
    parent, children = world.family(credits=500, born=[date(2018, 1, 1)] * (MAX_GROUP_SIZE + 1))
    session = world.session(capacity=20, credits=5)

    def book(kids: list[Any], key: str) -> object:
        return world.bookings.book_group(
            BookGroup(
                tenant_id=world.tenant,
                session_id=session,
                child_ids=tuple(kids),
                parent_id=parent,
                idempotency_key=key,
            ),
            actor=admin(world.tenant),
        )

    refused(lambda: book(children, "past"), "child_ids", f"max_{MAX_GROUP_SIZE}_children")
    assert world.bookings_on(session) == []
    assert len(book(children[:MAX_GROUP_SIZE], "at").bookings) == MAX_GROUP_SIZE  # type: ignore[attr-defined]
