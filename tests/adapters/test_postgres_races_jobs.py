"""Races of the jobs and of the answers that a job or a second caller may meet, on memory
and on both PostgreSQL statement paths (the helpers and fixtures of
``test_postgres_races``): the feedback job folding quick feedback into child preferences
(run by 7 job runners while the parent records a new feedback), the retention job (run by
5 runners while the parent asks again for the child's erasure, for a second child's and
for an export), 8 accepts or 8 rejects of one suggestion, the vector sync job run by 8
runners, and a trip cancelled by 4 callers while 4 job runners send its due reminders.
Every caller gets the outcome memory gives and the state after the race is what one run
after another leaves: each feedback moves a preference once, each record is purged once,
one answer per suggestion (and one booking for an accept), one sync state per document,
each reminder sent once and kept once sent (a cancel withdraws only unsent ones).

Each case runs ``ROUNDS`` (5) rounds; a negative control, which swaps in a repository that
reads without its lock (or writes without its guard), stops at the first round that
diverges (at most ``ROUNDS``). The module takes 10 to 30 s on 2 cores (``-n 2``).
"""

from __future__ import annotations

import functools
import time as clock_time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar
from uuid import UUID

import pytest
from sqlalchemy import update

from tests.adapters import test_postgres_races as races
from travelcore.catalog import Session
from travelcore.discovery.feedback import FeedbackService, QuickFeedback
from travelcore.discovery.scoring import RepositoryMetricsReader, VenueScoring
from travelcore.discovery.suggestions import Curation, SuggestionRecord
from travelcore.export import DataExportService
from travelcore.kernel import Actor, ManualClock, TenantId, UserId, new_uuid
from travelcore.people import ChildId
from travelcore.retention import ERASED_NAME, ChildDeletion, RetentionJob
from travelcore.testing.actors import admin, job
from travelcore.testing.feedback import completed_bookings
from travelcore.testing.world import World
from travelcore.travel import ChangeTrip, SendDueReminders, TravelService
from travelcore.vectors import HashingEmbedder, VectorRecord, namespace_for
from travelcore.vectors.sync import SourceDocument, VectorSync
from travelcore.vectors.sync_model import VectorSyncState
from travelcore_adapters.memory.vectors import MemoryVectorStore
from travelcore_adapters.postgres import PostgresDatabase
from travelcore_adapters.postgres.repositories.discovery import (
    PostgresFeedback,
    PostgresSuggestions,
)
from travelcore_adapters.postgres.repositories.privacy import PostgresDataExports
from travelcore_adapters.postgres.repositories.travel import PostgresReminders
from travelcore_adapters.postgres.repositories.vectors import PostgresVectorSyncRepository

pools, racing, unlocked_pool = races.pools, races.racing, races.unlocked_pool
race, lost_races, without_locks = races.race, races.lost_races, races.without_locks
THREADS, T0 = races.THREADS, races.T0
ROUNDS, DIMENSION = 5, 16


def parent_actor(database: Any, tenant: TenantId, parent: UserId) -> Actor:
    with database(tenant) as uow:
        corporate = uow.users.get(parent).corporate_id
    return Actor.parent(tenant, parent, corporate)


# -- the feedback job -------------------------------------------------------------------------


class UnguardedFeedback(PostgresFeedback):
    """``mark_processed`` checks the row it read without a lock, then updates it by key."""

    def mark_processed(self, feedback_id: UUID, at: datetime) -> bool:
        if self.get(feedback_id).vector_processed:
            return False
        c = self.table.c
        self._scope.execute(
            update(self.table)
            .where(c.tenant_id == self._tid, c.id == feedback_id)
            .values(vector_processed=True, vector_processed_at=at)
        )
        return True


def feedback_round(
    database: Any, retrying: Callable[..., Any]
) -> tuple[Counter[str], int, list[int], list[QuickFeedback]]:
    """Three children's quick feedback folded in by 7 job runners at once while the parent
    records a fourth child's: the outcomes, how many feedbacks the runners applied, each
    child's count of feedbacks incorporated and the feedback left unprocessed."""
    world = World(database, ManualClock(T0))
    parent, kids, bookings, session = completed_bookings(world, children=4)
    embedder, store = HashingEmbedder(DIMENSION), MemoryVectorStore(DIMENSION)
    store.upsert(
        namespace_for(world.tenant, "activities"),
        [VectorRecord(str(session.activity_id), embedder.embed(["painting"])[0], {})],
    )
    feedback = FeedbackService(database, world.clock, embedder=embedder, store=store)
    for booking in bookings[:3]:
        feedback.quick_feedback(
            world.tenant, parent, booking, positive=True, actor=admin(world.tenant)
        )
    applied: list[int] = []

    def process() -> None:
        applied.append(retrying(feedback.process_feedback)(world.tenant, actor=job(world.tenant)))

    record = functools.partial(
        retrying(feedback.quick_feedback),
        world.tenant,
        parent,
        bookings[3],
        positive=False,
        tags=("content",),
        actor=admin(world.tenant),
    )
    outcomes = race([*[process] * (THREADS - 1), record])
    with database(world.tenant) as uow:
        preferences = [uow.child_preferences.get(kid) for kid in kids]
        pending = uow.feedback.unprocessed(10)
    counts = [p.feedback_incorporated_count if p else 0 for p in preferences]
    return outcomes, sum(applied), counts, pending


def test_feedback_folded_in_by_several_job_runners_moves_each_preference_once_as_on_memory(
    racing: tuple[Any, Callable[..., Any]],
) -> None:
    """``mark_processed`` is one conditional ``UPDATE``: a runner that waited for another's
    row finds it processed and skips it. The fourth feedback, recorded during the race,
    is applied once or left for the next run."""
    database, retrying = racing
    for _ in range(ROUNDS):
        outcomes, applied, counts, pending = feedback_round(database, retrying)
        assert outcomes == Counter({"ok": THREADS}), outcomes
        assert counts[:3] == [1, 1, 1], counts
        assert counts[3] == 1 - len(pending), (counts, pending)
        assert applied == sum(counts), (counts, applied)


def test_negative_control_feedback_checked_before_the_update_moves_a_preference_twice(
    unlocked_pool: PostgresDatabase,
) -> None:
    database = without_locks(unlocked_pool, feedback=UnguardedFeedback)
    for _ in range(ROUNDS):
        outcomes, applied, counts, _ = feedback_round(database, unlocked_pool.retrying)
        if set(outcomes) != {"ok"} or max(counts) > 1 or applied != sum(counts):
            return
    pytest.fail("no round applied a feedback twice")


# -- the retention job ------------------------------------------------------------------------


class UnlockedDataExports(PostgresDataExports):
    due_lock: ClassVar[bool] = False


def retention_round(
    database: Any, retrying: Callable[..., Any]
) -> tuple[Counter[str], Counter[str], int, dict[str, int]]:
    """A child due for erasure and two exports due to expire (its parent's, which the
    erasure expires too, and another parent's), swept by 5 retention runners at once while
    the parent asks again for that child's erasure, for the second child's and for a new
    export: the outcomes, what the runners purged (all together), how many placeholders
    the family has and what one more run purges."""
    world = World(database, ManualClock(T0))
    parent, [erased, kept] = world.family(born=[date(2017, 2, 13), date(2019, 6, 1)])
    as_parent = parent_actor(database, world.tenant, parent)
    deletion = ChildDeletion(database, world.clock)
    deletion.request(erased, actor=as_parent)
    neighbour, _ = world.family()
    exports = DataExportService(database, world.clock)
    exports.request(actor=as_parent)
    exports.request(actor=parent_actor(database, world.tenant, neighbour))
    exports.produce(actor=job(world.tenant))
    world.clock.advance(timedelta(days=31))
    retention = RetentionJob(database, world.clock, stores=[MemoryVectorStore(DIMENSION)])
    purged: Counter[str] = Counter()

    def sweep() -> None:
        purged.update(retrying(retention.run)(actor=job(world.tenant, "retention")))

    outcomes = race(
        [
            *[sweep] * (THREADS - 3),
            functools.partial(retrying(deletion.request), erased, actor=as_parent),
            functools.partial(retrying(deletion.request), kept, actor=as_parent),
            functools.partial(retrying(exports.request), actor=as_parent),
        ]
    )
    with database(world.tenant) as uow:
        family = uow.children.for_parent(parent)
        assert uow.children.get(kept).deletion_scheduled_for is not None
        statuses = [e.status.value for e in uow.data_exports.for_user(parent)]
        assert statuses == ["requested", "expired"], statuses
        assert [e.status.value for e in uow.data_exports.for_user(neighbour)] == ["expired"]
    placeholders = sum(c.first_name == ERASED_NAME for c in family)
    again = retention.run(actor=job(world.tenant, "retention"))
    return outcomes, purged, placeholders, again


def test_retention_runs_at_once_purge_each_record_once_as_on_memory(
    racing: tuple[Any, Callable[..., Any]],
) -> None:
    """The erasure ``claim`` locks the child and the exports due to expire are read under
    lock: the runners share out the work, each record counted by the one that purged it
    (the erased child's parent's export by the erasure, or first by another runner's
    sweep of exports). A repeated request for the child's erasure keeps its day, or finds
    the child gone (``NotFound``), as on memory."""
    database, retrying = racing
    for _ in range(ROUNDS):
        outcomes, purged, placeholders, again = retention_round(database, retrying)
        assert outcomes["ok"] >= THREADS - 1, outcomes
        assert set(outcomes) <= {"ok", "NotFound"}, outcomes
        assert purged["child_erasure"] == 1, purged
        assert purged["data_exports"] in (1, 2), purged
        assert placeholders == 1
        assert set(again.values()) == {0}, again


def test_negative_control_exports_expired_without_the_lock_lose_races(
    unlocked_pool: PostgresDatabase,
) -> None:
    """Without the lock a runner loses the race for an export (``StaleVersion``). A
    repeated erasure request that finds the child gone (``NotFound``) also happens with the
    lock, so rounds go on past it, up to four times as many as the test above runs."""
    database = without_locks(unlocked_pool, data_exports=UnlockedDataExports)
    seen = lost_races(
        lambda: retention_round(database, unlocked_pool.retrying)[0],
        {"ok", "NotFound"},
        rounds=4 * ROUNDS,
    )
    assert set(seen) & {"StaleVersion"}, seen


# -- answers to one suggestion ----------------------------------------------------------------


class UnlockedSuggestions(PostgresSuggestions):
    lock_on_get: ClassVar[bool] = False

    def get_for_update(self, key: Any) -> SuggestionRecord:
        return self.get(key)


def stored_suggestion(
    database: Any, world: World, parent: UserId, children: tuple[ChildId, ...], session: Session
) -> SuggestionRecord:
    """An open suggestion of ``session`` for ``children`` of ``parent``, stored."""
    record = SuggestionRecord(
        id=new_uuid(),
        tenant_id=world.tenant,
        user_id=parent,
        month=date(2026, 3, 1),
        child_ids=children,
        session_id=session.id,
        activity_id=session.activity_id,
        rank=1,
        match_score=Decimal("0.9"),
        fits=dict.fromkeys(children, Decimal("0.9")),
        generated_at=T0,
        expires_at=T0 + timedelta(days=30),
    )
    with database(world.tenant) as uow:
        uow.suggestions.add_many([record])
        uow.commit()
    return record


def curation_of(database: Any, world: World, curation_type: type[Curation] = Curation) -> Curation:
    """``curation_type`` over ``database``, booking through ``world``'s booking service."""
    return curation_type(
        database,
        store=MemoryVectorStore(DIMENSION),
        embedder=HashingEmbedder(DIMENSION),
        bookings=world.bookings,
        scoring=VenueScoring(database, RepositoryMetricsReader(database), world.clock),
        clock=world.clock,
    )


def suggestion_round(
    database: Any, retrying: Callable[..., Any], answer: str
) -> tuple[Counter[str], SuggestionRecord, int]:
    """One suggestion accepted (or rejected, ``answer``) by its parent from 8 threads at
    once: the outcomes, the stored suggestion and how many bookings its session has."""
    world = World(database, ManualClock(T0))
    parent, [kid] = world.family(credits=50)
    session = world.get_session(world.session(starts_in=timedelta(days=10)))
    record = stored_suggestion(database, world, parent, (ChildId(kid),), session)
    curation = curation_of(database, world)
    as_parent = parent_actor(database, world.tenant, parent)
    if answer == "accept":
        calls = [
            functools.partial(
                retrying(curation.accept),
                world.tenant,
                parent,
                record.id,
                idempotency_key=f"accept-{n}",
                actor=as_parent,
            )
            for n in range(THREADS)
        ]
    else:
        calls = [
            functools.partial(
                retrying(curation.reject),
                world.tenant,
                parent,
                record.id,
                reason=f"busy {n}",
                actor=as_parent,
            )
            for n in range(THREADS)
        ]
    outcomes = race(calls)
    with database(world.tenant) as uow:
        stored = uow.suggestions.get(record.id)
    return outcomes, stored, len(world.bookings_on(session.id))


@pytest.mark.parametrize("answer", ["accept", "reject"])
def test_eight_answers_to_one_suggestion_land_once_and_book_once_as_on_memory(
    racing: tuple[Any, Callable[..., Any]], answer: str
) -> None:
    """An answer is checked once the suggestion is locked (an accept books after that, in
    the same unit of work): one caller answers, the others get ``SuggestionClosed``; the
    session has one booking for an accept."""
    database, retrying = racing
    losers = {"SuggestionClosed"}
    for _ in range(ROUNDS):
        outcomes, stored, booked = suggestion_round(database, retrying, answer)
        assert outcomes["ok"] == 1, outcomes
        assert set(outcomes) - {"ok"} <= losers, outcomes
        assert stored.response == f"{answer}ed"
        assert len(stored.converted_booking_ids) == booked == (answer == "accept")


def test_negative_control_answers_checked_before_the_lock_give_other_errors(
    unlocked_pool: PostgresDatabase,
) -> None:
    database = without_locks(unlocked_pool, suggestions=UnlockedSuggestions)
    seen = lost_races(
        lambda: suggestion_round(database, unlocked_pool.retrying, "reject")[0],
        {"ok", "SuggestionClosed"},
        rounds=ROUNDS,
    )
    assert set(seen) & {"StaleVersion"}, seen


# -- the vector sync job ----------------------------------------------------------------------


class InsertingVectorSync(PostgresVectorSyncRepository):
    """``save`` looks for the state first and inserts it when there is none."""

    def save(self, state: VectorSyncState) -> None:
        if self.get(state.namespace, state.source_id) is None:
            self.add(state)
        else:
            self._upsert(state)


DOCUMENTS = [SourceDocument(id=f"a{n}", text=f"activity {n}", metadata={"n": n}) for n in range(3)]


def sync_round(
    database: Any, retrying: Callable[..., Any]
) -> tuple[Counter[str], list[VectorSyncState | None], int, Sequence[str]]:
    """Three new documents synced by 8 job runners at once: the outcomes, their stored
    states, how many vectors the store holds and what one more run embeds."""
    tenant = TenantId(new_uuid())
    store = MemoryVectorStore(DIMENSION)
    sync = VectorSync(database, ManualClock(T0), store=store, embedder=HashingEmbedder(DIMENSION))
    run = functools.partial(retrying(sync.sync), tenant, "activities", DOCUMENTS, actor=job(tenant))
    outcomes = race([run] * THREADS)
    namespace = namespace_for(tenant, "activities")
    with database(tenant) as uow:
        states = [uow.vector_sync.get(namespace, doc.id) for doc in DOCUMENTS]
    held = len(store.fetch(namespace, [doc.id for doc in DOCUMENTS]).records)
    return outcomes, states, held, run().embedded


def test_sync_runs_at_once_leave_one_state_per_document_as_on_memory(
    racing: tuple[Any, Callable[..., Any]],
) -> None:
    """A state has no version (the last writer wins, each writes the outcome of its own
    store call) and ``save`` is one upsert: runners that read before the others wrote
    embed again, as on memory, and all end with the same synced state."""
    database, retrying = racing
    for _ in range(ROUNDS):
        outcomes, states, held, again = sync_round(database, retrying)
        assert outcomes == Counter({"ok": THREADS}), outcomes
        assert [s.status if s else None for s in states] == ["synced"] * 3
        assert (held, again) == (3, ())


def test_negative_control_sync_states_inserted_after_a_lookup_clash(
    unlocked_pool: PostgresDatabase,
) -> None:
    database = without_locks(unlocked_pool, vector_sync=InsertingVectorSync)
    seen = lost_races(
        lambda: sync_round(database, unlocked_pool.retrying)[0], {"ok"}, rounds=ROUNDS
    )
    assert set(seen) & {"AlreadyExists"}, seen


# -- a trip cancelled while its reminders are sent --------------------------------------------


class UnlockedTripReminders(PostgresReminders):
    """``for_trip`` reads without the lock, then gives a concurrent sender time to commit."""

    trip_lock: ClassVar[bool] = False

    def for_trip(self, trip_id: Any) -> Any:
        found = super().for_trip(trip_id)
        clock_time.sleep(0.05)
        return found


def cancel_round(
    database: Any, retrying: Callable[..., Any]
) -> tuple[Counter[str], list[object], dict[object, bool]]:
    """A confirmed trip, its reminders all due, cancelled by 4 callers while 4 job runners
    send its reminders: the outcomes, the reminders sent and the trip's stored reminders
    (whether each was sent)."""
    tenant, clock = TenantId(new_uuid()), ManualClock(T0)
    travel = TravelService(database, clock)
    trip_id = races.hotel_trip(travel, tenant)
    travel.confirm_trip(
        ChangeTrip(tenant_id=tenant, trip_id=trip_id, idempotency_key="confirm"),
        actor=admin(tenant),
    )
    clock.set(datetime(2026, 5, 1, 12, tzinfo=UTC))
    runner = job(tenant, "reminders")
    sent: list[object] = []
    half = THREADS // 2

    def send(n: int) -> None:
        command = SendDueReminders(tenant_id=tenant, idempotency_key=f"send-{n}")
        sent.extend(retrying(travel.send_due_reminders)(command, actor=runner).reminder_ids)

    cancels = [
        functools.partial(
            retrying(travel.cancel_trip),
            ChangeTrip(tenant_id=tenant, trip_id=trip_id, idempotency_key=f"cancel-{n}"),
            actor=admin(tenant),
        )
        for n in range(half)
    ]
    sends = [functools.partial(send, n) for n in range(half)]
    outcomes = race([*cancels, *sends])
    with database(tenant) as uow:
        stored = {r.id: r.sent_at is not None for r in uow.reminders.for_trip(trip_id)}
    assert travel.trip(tenant, trip_id, actor=admin(tenant)).status.value == "cancelled"
    return outcomes, sent, stored


def test_a_trip_cancelled_while_its_reminders_are_sent_keeps_what_was_sent_as_on_memory(
    racing: tuple[Any, Callable[..., Any]],
) -> None:
    """The cancel reads the trip's reminders under lock: the reminders a sender sent first
    stay (sent), or the cancel withdraws them first and no sender finds them; one cancel
    succeeds, the others get ``InvalidTransition``, every send succeeds."""
    database, retrying = racing
    half = THREADS // 2
    for _ in range(ROUNDS):
        outcomes, sent, stored = cancel_round(database, retrying)
        assert outcomes == Counter({"ok": half + 1, "InvalidTransition": half - 1}), outcomes
        assert len(sent) == len(set(sent)), sent
        assert set(stored) == set(sent), (sent, stored)
        assert all(stored.values()), stored


def test_negative_control_reminders_withdrawn_without_the_lock_lose_sent_ones(
    unlocked_pool: PostgresDatabase,
) -> None:
    database = without_locks(unlocked_pool, reminders=UnlockedTripReminders)
    for _ in range(ROUNDS):
        _, sent, stored = cancel_round(database, unlocked_pool.retrying)
        if set(stored) != set(sent):
            return
    pytest.fail("no round withdrew a reminder that was sent")
