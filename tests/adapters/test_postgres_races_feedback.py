"""Races of the feedback job on one child's preference vector, on memory and on both
PostgreSQL statement paths (the helpers and fixtures of ``test_postgres_races``).

- Job runners folding in different feedbacks of one child at once: the preference is read
  with the locking read (a missing one reserves the key), so they queue; every runner
  succeeds, each feedback moves the vector once and the vector store ends with the stored
  preference, as on memory.
- The feedback job against the child's erasure: the job copies a preference to the store
  only while it holds the stored one, and the erasure deletes the copy once more before it
  commits, so after both no vector of the child is left. Two staged interleavings (the job
  stalls between its commit and its copy while the erasure runs; the job copies while the
  erasure waits for it) and free races check it.

Negative controls: a preference read without the lock (the runners clash:
``StaleVersion``), a job that copies what it committed without looking again, and one that
looks again without the lock (both leave the erased child's vector in the store).
"""

from __future__ import annotations

import functools
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import pytest

from tests.adapters import test_postgres_races as races
from travelcore.booking import BookingId, BookSession, ConfirmBooking, MarkAttendance
from travelcore.discovery.feedback import ChildPreference, FeedbackService
from travelcore.kernel import Actor, ManualClock, TenantId, UserId
from travelcore.people import ChildId
from travelcore.retention import ChildDeletion, RetentionJob
from travelcore.testing.actors import admin, job
from travelcore.testing.world import World
from travelcore.vectors import HashingEmbedder, UpsertResult, VectorRecord, namespace_for
from travelcore_adapters.memory.vectors import MemoryVectorStore
from travelcore_adapters.postgres import PostgresDatabase
from travelcore_adapters.postgres.repositories.discovery import PostgresChildPreferences

pools, racing, unlocked_pool = races.pools, races.racing, races.unlocked_pool
race, lost_races, without_locks = races.race, races.lost_races, races.without_locks
THREADS, T0 = races.THREADS, races.T0
ROUNDS, DIMENSION = 5, 16
WAIT = 30.0
"""How long a staged step waits for the other side at most (it never takes that long)."""


class UnlockedChildPreferences(PostgresChildPreferences):
    def get_for_update(self, key: ChildId) -> ChildPreference | None:  # type: ignore[override]
        return self.get(key)


def one_child_booked(world: World, sessions: int) -> tuple[UserId, ChildId, list[BookingId]]:
    """A parent's child booked on ``sessions`` sessions (two hours apart, each at its own
    activity), confirmed and attended: the parent, the child and the bookings."""
    parent, [child] = world.family(credits=10 * sessions)
    booked = []
    for n in range(sessions):
        session = world.session(starts_in=timedelta(days=1, hours=2 * n))
        receipt = world.bookings.book(
            BookSession(
                tenant_id=world.tenant,
                session_id=session,
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
        booked.append(receipt.booking_id)
    world.clock.advance(timedelta(days=2, hours=2 * sessions))
    for booking_id in booked:
        world.bookings.mark_attendance(
            MarkAttendance(
                tenant_id=world.tenant,
                booking_id=booking_id,
                attended=True,
                idempotency_key=world.key(),
            ),
            actor=admin(world.tenant),
        )
    return parent, child, booked


def feedback_service(
    world: World, bookings: Sequence[BookingId], store: MemoryVectorStore, **options: Any
) -> FeedbackService:
    """The feedback service of ``world`` (``options`` choose a subclass), with a vector of
    each booked activity in ``store``."""
    embedder = HashingEmbedder(DIMENSION)
    activities = [world.get_session(world.booking(b).session_id).activity_id for b in bookings]
    store.upsert(
        namespace_for(world.tenant, "activities"),
        [
            VectorRecord(str(a), embedder.embed([f"activity {n}"])[0], {})
            for n, a in enumerate(activities)
        ],
    )
    kind = options.pop("kind", FeedbackService)
    service: FeedbackService = kind(
        world.db, world.clock, embedder=embedder, store=store, **options
    )
    return service


# -- runners folding in feedbacks of one child -----------------------------------------------


def preference_round(
    database: Any, retrying: Callable[..., Any]
) -> tuple[Counter[str], int, ChildPreference | None, int, VectorRecord | None]:
    """A parent gives quick feedback on each of a child's 8 bookings from 8 threads, each
    thread then running the feedback job: the outcomes, how many feedbacks the runners
    applied, the child's stored preference, the feedback left unprocessed and the store's
    copy of the preference."""
    world = World(database, ManualClock(T0))
    parent, child, bookings = one_child_booked(world, THREADS)
    store = MemoryVectorStore(DIMENSION)
    service = feedback_service(world, bookings, store)
    applied: list[int] = []

    def give_and_fold(booking: BookingId) -> None:
        retrying(service.quick_feedback)(
            world.tenant, parent, booking, positive=True, actor=admin(world.tenant)
        )
        applied.append(retrying(service.process_feedback)(world.tenant, actor=job(world.tenant)))

    outcomes = race([functools.partial(give_and_fold, b) for b in bookings])
    with database(world.tenant) as uow:
        preference = uow.child_preferences.get(child)
        pending = len(uow.feedback.unprocessed(THREADS))
    copied = store.fetch(namespace_for(world.tenant, "child_preferences"), [str(child)])
    return outcomes, sum(applied), preference, pending, copied.records.get(str(child))


def test_runners_folding_in_one_childs_feedbacks_move_its_preference_once_each_as_on_memory(
    racing: tuple[Any, Callable[..., Any]],
) -> None:
    """Runners that read the pending feedback at different moments work on different
    feedbacks of the child at once; the first ones also create its preference."""
    database, retrying = racing
    for _ in range(ROUNDS):
        outcomes, applied, preference, pending, copied = preference_round(database, retrying)
        assert outcomes == Counter({"ok": THREADS}), outcomes
        assert preference is not None
        assert applied == preference.feedback_incorporated_count == THREADS
        assert pending == 0
        assert copied is not None
        assert copied.metadata == {"feedback_count": THREADS}
        assert copied.values == pytest.approx(preference.vector)


def test_negative_control_runners_reading_the_preference_without_the_lock_clash(
    unlocked_pool: PostgresDatabase,
) -> None:
    database = without_locks(unlocked_pool, child_preferences=UnlockedChildPreferences)
    seen = lost_races(
        lambda: preference_round(database, unlocked_pool.retrying)[0], {"ok"}, rounds=ROUNDS
    )
    assert "StaleVersion" in seen, seen


# -- the feedback job against the child's erasure --------------------------------------------


class Erasure:
    """A child with one quick feedback to fold in, whose erasure is due: the feedback
    service on a store (``kind`` chooses a subclass, given ``options``) and the erasure."""

    def __init__(self, database: Any, store: MemoryVectorStore, **options: Any) -> None:
        world = World(database, ManualClock(T0))
        parent, self.child, [booking] = one_child_booked(world, 1)
        self.tenant = world.tenant
        self.store = store
        self.service = feedback_service(world, [booking], store, **options)
        self.service.quick_feedback(
            world.tenant, parent, booking, positive=True, actor=admin(world.tenant)
        )
        with database(world.tenant) as uow:
            corporate = uow.users.get(parent).corporate_id
        as_parent = Actor.parent(world.tenant, parent, corporate)
        ChildDeletion(database, world.clock).request(self.child, actor=as_parent)
        world.clock.advance(timedelta(days=31))
        self.retention = RetentionJob(database, world.clock, stores=[store])

    def fold(self) -> int:
        return self.service.process_feedback(self.tenant, actor=job(self.tenant))

    def erase(self) -> dict[str, int]:
        return self.retention.run(actor=job(self.tenant, "retention"))

    def vector_left(self) -> bool:
        namespace = namespace_for(self.tenant, "child_preferences")
        return str(self.child) in self.store.fetch(namespace, [str(self.child)]).records


class StallingFeedback(FeedbackService):
    """Stalls between committing a move and copying it, until ``resume`` is set."""

    def __init__(
        self, *args: Any, stalled: threading.Event, resume: threading.Event, **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        self._stalled, self._resume = stalled, resume

    def _apply(self, *args: Any) -> ChildPreference | None:
        moved = super()._apply(*args)
        self._stalled.set()
        self._resume.wait(WAIT)
        return moved


class BlindFeedback(StallingFeedback):
    """Copies the preference it committed without looking at the stored one again."""

    def _publish(self, tenant_id: TenantId, moved: ChildPreference, actor: Actor) -> None:
        self._copy(tenant_id, moved)


def stalled_round(database: Any, kind: type[StallingFeedback]) -> tuple[Counter[str], bool]:
    """The job commits its move, then stalls while the whole erasure runs: the outcomes
    and whether the erased child's vector is left in the store."""
    stalled, erased = threading.Event(), threading.Event()
    case = Erasure(
        database, MemoryVectorStore(DIMENSION), kind=kind, stalled=stalled, resume=erased
    )
    return staged_race(case, stalled, erased)


def staged_race(
    case: Erasure, started: threading.Event, erased: threading.Event
) -> tuple[Counter[str], bool]:
    """The job folds while the erasure waits for ``started``, then erases the child and
    sets ``erased``: the outcomes and whether the erased child's vector is left."""

    def erase() -> None:
        assert started.wait(WAIT)
        try:
            assert case.erase()["child_erasure"] == 1
        finally:
            erased.set()

    outcomes = race([case.fold, erase])
    return outcomes, case.vector_left()


def test_an_erasure_while_the_job_stalls_before_its_copy_leaves_no_vector(
    racing: tuple[Any, Callable[..., Any]],
) -> None:
    """The job looks at the stored preference again, under lock, and finds it erased."""
    database, _ = racing
    assert stalled_round(database, StallingFeedback) == (Counter({"ok": 2}), False)


def test_negative_control_a_job_copying_what_it_committed_leaves_the_vector(
    unlocked_pool: PostgresDatabase,
) -> None:
    assert stalled_round(unlocked_pool, BlindFeedback) == (Counter({"ok": 2}), True)


class HeldStore(MemoryVectorStore):
    """A store whose first copy of a preference sets ``copying`` and then waits until
    ``erased`` is set, a second at most: a job holding the preference makes the erasure
    wait, so the copy is written first and the wait runs out."""

    def __init__(self, copying: threading.Event, erased: threading.Event) -> None:
        super().__init__(DIMENSION)
        self._copying, self._erased = copying, erased

    def upsert(self, namespace: str, records: Sequence[VectorRecord]) -> UpsertResult:
        if namespace.endswith("child_preferences") and not self._copying.is_set():
            self._copying.set()
            self._erased.wait(1.0)
        return super().upsert(namespace, records)


class UnlockedCopyFeedback(FeedbackService):
    """Looks at the stored preference again before copying it, without the lock."""

    def _publish(self, tenant_id: TenantId, moved: ChildPreference, actor: Actor) -> None:
        with self._uow_factory(tenant_id) as uow:
            stored = uow.child_preferences.get(moved.child_id)
        if stored is not None:
            self._copy(tenant_id, stored)


def copying_round(database: Any, kind: type[FeedbackService]) -> tuple[Counter[str], bool]:
    """The erasure starts while the job copies the preference: the outcomes and whether
    the erased child's vector is left in the store."""
    copying, erased = threading.Event(), threading.Event()
    case = Erasure(database, HeldStore(copying, erased), kind=kind)
    return staged_race(case, copying, erased)


def test_an_erasure_while_the_job_copies_deletes_the_copy(
    racing: tuple[Any, Callable[..., Any]],
) -> None:
    """The erasure waits for the job's hold on the preference, then deletes it and the
    copy before it commits."""
    database, _ = racing
    assert copying_round(database, FeedbackService) == (Counter({"ok": 2}), False)


def test_negative_control_a_copy_checked_without_the_lock_outlives_the_erasure(
    unlocked_pool: PostgresDatabase,
) -> None:
    assert copying_round(unlocked_pool, UnlockedCopyFeedback) == (Counter({"ok": 2}), True)


def test_the_job_and_the_erasure_racing_freely_leave_no_vector_as_on_memory(
    racing: tuple[Any, Callable[..., Any]],
) -> None:
    """Whichever comes first, the job succeeds (it finds the feedback erased, or moves
    the preference before the erasure deletes it) and no vector is left."""
    database, retrying = racing
    for _ in range(ROUNDS):
        case = Erasure(database, MemoryVectorStore(DIMENSION))
        outcomes = race([retrying(case.fold), retrying(case.erase)])
        assert outcomes == Counter({"ok": 2}), outcomes
        assert not case.vector_left()
