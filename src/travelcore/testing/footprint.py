"""A family whose child leaves a trace in every place the platform stores something about
a child (for the erasure and export contracts), and the searches that look for that child
in vector stores and the outbox afterwards."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import attrs

from travelcore.accounts.model import Conversation, ConversationId, Message, MessageId, Modality
from travelcore.accounts.model import Role as ChatRole
from travelcore.booking import (
    BookingSource,
    BookSession,
    CancelBooking,
    CancellationReason,
    ConfirmBooking,
    JoinWaitlist,
    MarkAttendance,
)
from travelcore.discovery.feedback import FeedbackService
from travelcore.discovery.personal import Favourite, UserMemory
from travelcore.discovery.search import SearchLogEntry
from travelcore.discovery.suggestions import SuggestionRecord
from travelcore.export import DataExportService
from travelcore.kernel import Actor, Role, TenantId, UserId, new_uuid
from travelcore.ledger.model import CreditBalance
from travelcore.notifications import Channel, NotificationType
from travelcore.notifications.model import Notification, NotificationId
from travelcore.outbox.ports import OutboxStore
from travelcore.people import ChildId
from travelcore.testing.actors import admin, job
from travelcore.testing.world import World
from travelcore.vectors import HashingEmbedder, VectorRecord, namespace_for
from travelcore.vectors.ports import VectorStore

NAME = "Zephyrine"
BORN = date(2017, 2, 13)
DIMENSION = 16


@attrs.frozen
class Family:
    """``memories``: the parent's memory entries that mention the child; ``kept_memory``:
    the one that does not."""

    parent: Actor
    child: ChildId
    sibling: ChildId
    memories: tuple[UUID, ...]
    kept_memory: UUID

    @property
    def terms(self) -> tuple[str, ...]:
        return (str(self.child), NAME, BORN.isoformat())


def parent_actor(world: World, parent: UserId) -> Actor:
    return Actor(tenant_id=world.tenant, role=Role.PARENT, user_id=parent)


def leave_footprint(
    world: World, database: Callable[[TenantId], Any], store: VectorStore, outbox: OutboxStore
) -> Family:
    """Bookings (completed, cancelled with a refund), a waitlist entry, feedback and a
    review, a sibling's feedback naming the child, a preference vector, a favourite, a
    sibling suggestion, a search log, a notification, a chat, long-term memory entries
    (with their vectors), consent records, an export and outbox events (half of them
    delivered), all naming the child. ``database`` is ``world``'s, with every repository."""
    tenant, key = world.tenant, world.key
    staff = admin(tenant)
    parent, (child, sibling) = world.family(credits=100, born=[BORN, date(2019, 6, 1)])
    with database(tenant) as uow:
        profile = uow.children.get(child)
        profile.first_name = NAME
        uow.children.save(profile)
        uow.commit()

    def book(session: Any, kid: ChildId) -> Any:
        return world.bookings.book(
            BookSession(
                tenant_id=tenant,
                session_id=session,
                child_id=kid,
                parent_id=parent,
                source=BookingSource.BROWSE,
                idempotency_key=key(),
            ),
            actor=staff,
        ).booking_id

    soon = world.session(starts_in=timedelta(days=1))
    full = world.session(starts_in=timedelta(days=10), capacity=1)
    later = world.session(starts_in=timedelta(days=9))
    done = book(soon, child)
    along = book(soon, sibling)
    book(full, sibling)
    world.waitlist.join(
        JoinWaitlist(
            tenant_id=tenant,
            session_id=full,
            child_id=child,
            parent_id=parent,
            idempotency_key=key(),
        ),
        actor=staff,
    )
    refunded = book(later, child)
    world.bookings.cancel(
        CancelBooking(
            tenant_id=tenant,
            booking_id=refunded,
            reason=CancellationReason.SCHEDULE_CONFLICT,
            idempotency_key=key(),
        ),
        actor=staff,
    )
    for attended in (done, along):
        world.bookings.confirm(
            ConfirmBooking(tenant_id=tenant, booking_id=attended, idempotency_key=key()),
            actor=staff,
        )
    world.clock.advance(timedelta(days=1, hours=2))
    for attended in (done, along):
        world.bookings.mark_attendance(
            MarkAttendance(
                tenant_id=tenant, booking_id=attended, attended=True, idempotency_key=key()
            ),
            actor=staff,
        )
    activity = world.get_session(soon).activity_id
    embedder = HashingEmbedder(DIMENSION)
    store.upsert(
        namespace_for(tenant, "activities"),
        [VectorRecord(str(activity), embedder.embed(["arts and crafts"])[0], {})],
    )
    feedback = FeedbackService(database, world.clock, embedder=embedder, store=store)
    feedback.quick_feedback(
        tenant, parent, done, positive=True, tags=["fun"], comment="great", actor=staff
    )
    feedback.quick_feedback(
        tenant, parent, along, positive=True, comment=f"came along with {NAME}", actor=staff
    )
    feedback.review(tenant, parent, done, rating=5, text=f"{NAME} loved it, so did we", actor=staff)
    assert feedback.process_feedback(tenant, actor=job(tenant)) == 2
    memory = UserMemory(database, store, embedder, world.clock)
    memories = [
        memory.remember(tenant, parent, text, source="message", actor=staff).id
        for text in (f"{NAME.lower()} is afraid of dogs", f"born {BORN.isoformat()}", "mornings")
    ]
    now = world.clock.now()
    with database(tenant) as uow:
        uow.favourites.add(
            Favourite(tenant_id=tenant, child_id=child, activity_id=activity, created_at=now)
        )
        uow.suggestions.add_many(
            [
                SuggestionRecord(
                    id=new_uuid(),
                    tenant_id=tenant,
                    user_id=parent,
                    month=now.date().replace(day=1),
                    child_ids=(child, sibling),
                    session_id=later,
                    activity_id=world.get_session(later).activity_id,
                    rank=1,
                    match_score=Decimal("0.700"),
                    fits={child: Decimal("0.800"), sibling: Decimal("0.600")},
                    generated_at=now,
                    expires_at=now + timedelta(days=20),
                )
            ]
        )
        uow.search_logs.add(search_log(tenant, parent, now))
        uow.notifications.add(
            Notification(
                id=NotificationId(new_uuid()),
                tenant_id=tenant,
                user_id=parent,
                key=f"booked:{done}",
                type=NotificationType.BOOKING_CONFIRMED,
                channel=Channel.IN_APP,
                title=f"Booked for {NAME}",
                body=f"{NAME} is booked.",
                data={"child_id": str(child)},
                created_at=now,
                due_at=now,
            )
        )
        chat = Conversation(
            id=ConversationId(new_uuid()), tenant_id=tenant, user_id=parent, started_at=now
        )
        uow.conversations.add(chat)
        uow.conversations.add_message(
            Message(
                id=MessageId(new_uuid()),
                tenant_id=tenant,
                conversation_id=chat.id,
                role=ChatRole.USER,
                modality=Modality.TEXT,
                content=f"Something calm for {NAME} on Saturday?",
                sent_at=now,
            )
        )
        uow.conversations.add_message(
            Message(
                id=MessageId(new_uuid()),
                tenant_id=tenant,
                conversation_id=chat.id,
                role=ChatRole.USER,
                modality=Modality.TEXT,
                content=f"The one born {BORN.isoformat()}, child {child}.",
                sent_at=now + timedelta(seconds=1),
            )
        )
        uow.commit()
    family = Family(parent_actor(world, parent), child, sibling, tuple(memories[:2]), memories[2])
    exports = DataExportService(database, world.clock)
    exports.request(actor=family.parent)
    exports.produce(actor=Actor.system(tenant, "exports"))
    _deliver_half(outbox, tenant, world)
    return family


def search_log(tenant: TenantId, parent: UserId, now: Any) -> SearchLogEntry:
    """A search the parent made at ``now`` for the child."""
    return SearchLogEntry(
        id=new_uuid(),
        tenant_id=tenant,
        user_id=parent,
        query_text=f"messy art for {NAME}",
        parsed_intent={},
        parse_confidence=Decimal("0.9"),
        clarification_requested=False,
        clarification_question=None,
        filters={},
        top_k=10,
        result_activity_ids=(),
        result_scores=(),
        fallback_to_filters=False,
        had_error=False,
        error_type=None,
        parse_ms=1,
        embed_ms=1,
        vector_query_ms=1,
        enrich_ms=1,
        total_ms=4,
        created_at=now,
    )


def _deliver_half(outbox: OutboxStore, tenant: TenantId, world: World) -> None:
    """The first half of the tenant's messages are delivered; the rest stay pending."""
    mine = outbox.entries(tenant)
    assert mine
    first = {e.message.sequence for e in mine[: len(mine) // 2]}
    now = world.clock.now()
    with outbox.claim(now, 10_000) as claim:
        for entry in claim.entries:
            if entry.message.tenant_id == tenant and entry.message.sequence in first:
                claim.delivered(entry.message.sequence, now)


# -- the searches ---------------------------------------------------------------------------


def _leaves(value: Any) -> Iterator[str]:
    if attrs.has(type(value)):
        value = attrs.asdict(value, recurse=False)
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(k)
            yield from _leaves(v)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _leaves(item)
    else:
        yield str(value)


def vector_hits(store: VectorStore, tenant: TenantId, terms: tuple[str, ...]) -> list[str]:
    """``namespace: term`` for every record of the tenant's namespaces whose id or
    metadata holds one of ``terms``."""
    hits = []
    for namespace in store.stats().namespaces:
        if not namespace.startswith(f"{tenant}:"):
            continue
        ids: list[str] = []
        token = None
        while True:
            page = store.list_ids(namespace, limit=100, page_token=token)
            ids += page.ids
            token = page.next_token
            if token is None:
                break
        for start in range(0, len(ids), 100):
            found = store.fetch(namespace, ids[start : start + 100]).records
            for record_id, record in found.items():
                text = (record_id + json.dumps(dict(record.metadata))).lower()
                hits += [f"{namespace}: {t}" for t in terms if t.lower() in text]
    return hits


def outbox_hits(outbox: OutboxStore, tenant: TenantId, terms: tuple[str, ...]) -> list[str]:
    hits = []
    for entry in outbox.entries(tenant):
        text = json.dumps(entry.message.payload).lower()
        hits += [f"outbox {entry.message.event_type}: {t}" for t in terms if t.lower() in text]
    return hits


def ledger_holds(balances: list[CreditBalance]) -> None:
    """Every balance is the sum of its entries, each ``balance_after`` chains from 0."""
    for balance in balances:
        running = 0
        for n, entry in enumerate(balance.entries, start=1):
            running += entry.amount
            assert (entry.sequence, entry.balance_after) == (n, running)
        assert balance.balance == sum(e.amount for e in balance.entries)
        assert balance.available >= 0
