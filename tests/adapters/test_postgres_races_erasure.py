"""Commands writing a row about a child against that child's erasure, on memory and on both
PostgreSQL statement paths (the helpers and fixtures of ``test_postgres_races``).

Quick feedback names the child of the booking it is given on. It reads the booking with the
locking read, and the erasure locks the child's bookings as it claims the child, so the
feedback either commits first (and the erasure deletes it) or waits for the erasure (and
names the placeholder): after both, no feedback names the erased child, as on memory. Two
staged interleavings (the feedback pauses after its read while the erasure starts; the
erasure pauses after deleting the feedback while the feedback is given) check it.

A parent adding a favourite of the child checks the child and adds the favourite in one
unit of work holding the child: an erasure past its favourites step makes it wait and then
refuse (``AccessDenied``: the child is unknown), as on memory.

Negative controls: feedback reading the booking without the lock, and an erasure that
claims the child without locking its bookings (both leave feedback naming the erased child),
and a favourite reading the child without the lock (the favourite is left).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from tests.adapters import test_postgres_races as races
from tests.adapters.test_postgres_races_feedback import one_child_booked
from travelcore.booking import BookingId
from travelcore.discovery.feedback import FeedbackService
from travelcore.discovery.personal import Favourites
from travelcore.kernel import Actor, ManualClock, UserId
from travelcore.people import Child, ChildId
from travelcore.retention import ERASURE_STEPS, ChildDeletion, RetentionJob
from travelcore.retention.erasure import ErasureStep, Subject
from travelcore.retention.ports import RetentionUnitOfWork
from travelcore.testing.actors import admin, job
from travelcore.testing.world import World
from travelcore.vectors import HashingEmbedder
from travelcore_adapters.memory.vectors import MemoryVectorStore
from travelcore_adapters.postgres import PostgresDatabase
from travelcore_adapters.postgres.repositories.people import PostgresChildRepository
from travelcore_adapters.postgres.repositories.privacy import PostgresErasure
from travelcore_adapters.postgres.tables import people

race, without_locks, T0 = races.race, races.without_locks, races.T0
unlocked_pool, racing, pools = races.unlocked_pool, races.racing, races.pools
PAUSE = 1.0
"""How long a staged side waits for the other, which a lock keeps from going on."""
WAIT = 30.0


class FeedbackDuringErasure:
    """A child's completed booking whose erasure is due: its parent's feedback and the
    erasure (``steps``), and the feedback naming the child left after both."""

    def __init__(
        self,
        database: Any,
        *,
        kind: type[FeedbackService] = FeedbackService,
        steps: tuple[tuple[str, ErasureStep], ...] = ERASURE_STEPS,
        **options: Any,
    ) -> None:
        self.database = database
        world = World(database, ManualClock(T0))
        self.parent, self.child, [self.booking] = one_child_booked(world, 1)
        self.tenant = world.tenant
        store = MemoryVectorStore(16)
        self.service = kind(
            database, world.clock, embedder=HashingEmbedder(16), store=store, **options
        )
        with database(world.tenant) as uow:
            corporate = uow.users.get(self.parent).corporate_id
        as_parent = Actor.parent(world.tenant, self.parent, corporate)
        ChildDeletion(database, world.clock).request(self.child, actor=as_parent)
        world.clock.advance(timedelta(days=31))
        self.retention = RetentionJob(database, world.clock, stores=[store], erasure_steps=steps)
        self.as_parent = as_parent
        self.activity = world.get_session(world.booking(self.booking).session_id).activity_id
        self.favourites = Favourites(database, world.clock)

    def give(self) -> None:
        self.service.quick_feedback(
            self.tenant, self.parent, self.booking, positive=True, actor=admin(self.tenant)
        )

    def erase(self) -> None:
        assert self.retention.run(actor=job(self.tenant, "retention"))["child_erasure"] == 1

    def favour(self) -> None:
        self.favourites.add(self.tenant, self.child, self.activity, actor=self.as_parent)

    def favourites_left(self) -> int:
        with self.database(self.tenant) as uow:
            return len(uow.favourites.for_child(self.child))

    def naming_the_child(self) -> int:
        with self.database(self.tenant) as uow:
            pending = uow.feedback.unprocessed(100)
            assert uow.bookings.get(self.booking).child_id != self.child
        return sum(f.child_id == self.child for f in pending)


class PausingFeedback(FeedbackService):
    """Sets ``read`` once it has the booking, then waits for ``erased`` (``PAUSE`` at most)."""

    def __init__(
        self, *args: Any, read: threading.Event, erased: threading.Event, **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        self._read, self._erased = read, erased

    def _reviewable(self, uow: Any, booking_id: BookingId, user_id: UserId) -> Any:
        booking = super()._reviewable(uow, booking_id, user_id)
        self._read.set()
        self._erased.wait(PAUSE)
        return booking


class UnlockedBookingFeedback(PausingFeedback):
    """Reads the booking without the lock (given bookings whose ``get`` does not lock)."""

    def _reviewable(self, uow: Any, booking_id: BookingId, user_id: UserId) -> Any:
        booking = uow.bookings.get(booking_id)
        self._read.set()
        self._erased.wait(PAUSE)
        return booking


def read_first_round(database: Any, kind: type[PausingFeedback]) -> tuple[Counter[str], int]:
    """The feedback has read the booking when the erasure starts: the outcomes and how many
    feedbacks name the erased child after both."""
    read, erased = threading.Event(), threading.Event()
    case = FeedbackDuringErasure(database, kind=kind, read=read, erased=erased)

    def erase() -> None:
        assert read.wait(WAIT)
        try:
            case.erase()
        finally:
            erased.set()

    return race([case.give, erase]), case.naming_the_child()


def test_feedback_read_before_the_erasure_starts_is_erased_as_on_memory(
    racing: tuple[Any, Callable[..., Any]],
) -> None:
    """The erasure waits for the feedback's hold on the booking, then deletes it."""
    database, _ = racing
    assert read_first_round(database, PausingFeedback) == (Counter({"ok": 2}), 0)


def test_negative_control_feedback_read_without_the_lock_names_the_erased_child(
    unlocked_pool: PostgresDatabase,
) -> None:
    database = without_locks(unlocked_pool, bookings=races.UnlockedBookings)
    assert read_first_round(database, UnlockedBookingFeedback) == (Counter({"ok": 2}), 1)


def pausing_steps(
    deleted: threading.Event, given: threading.Event, after: str = "feedback"
) -> tuple[tuple[str, ErasureStep], ...]:
    """The erasure's steps, pausing right after the step ``after``: sets ``deleted``, then
    waits for ``given`` (``PAUSE`` at most)."""

    def pause(uow: RetentionUnitOfWork, subject: Subject) -> int:
        deleted.set()
        given.wait(PAUSE)
        return 0

    names = [name for name, _ in ERASURE_STEPS]
    at = names.index(after) + 1
    return (*ERASURE_STEPS[:at], ("pause", pause), *ERASURE_STEPS[at:])


class UnlockedClaim(PostgresErasure):
    """Claims the child without locking its bookings."""

    def claim(self, child_id: ChildId) -> Child | None:
        c = people.children.c
        return self._children._first(self._children._select(c.id == child_id).with_for_update())


def deleted_first_round(database: Any) -> tuple[Counter[str], int]:
    """The feedback is given once the erasure has deleted the child's feedback: the
    outcomes and how many feedbacks name the erased child after both."""
    deleted, given = threading.Event(), threading.Event()
    case = FeedbackDuringErasure(database, steps=pausing_steps(deleted, given))

    def give() -> None:
        assert deleted.wait(WAIT)
        try:
            case.give()
        finally:
            given.set()

    return race([give, case.erase]), case.naming_the_child()


def test_feedback_given_while_the_erasure_runs_names_the_placeholder_as_on_memory(
    racing: tuple[Any, Callable[..., Any]],
) -> None:
    """The feedback waits for the erasure's hold on the booking, then reads the
    placeholder it points to."""
    database, _ = racing
    assert deleted_first_round(database) == (Counter({"ok": 2}), 0)


def test_negative_control_an_erasure_not_locking_the_bookings_leaves_the_feedback(
    unlocked_pool: PostgresDatabase,
) -> None:
    database = without_locks(unlocked_pool, erasure=UnlockedClaim)
    assert deleted_first_round(database) == (Counter({"ok": 2}), 1)


class UnlockedChildren(PostgresChildRepository):
    def get_for_update(self, key: ChildId) -> Child:  # type: ignore[override]
        return self.get(key)


def favourite_round(database: Any) -> tuple[Counter[str], int]:
    """The parent adds a favourite of the child once the erasure has deleted the child's
    favourites: the outcomes and how many favourites of the erased child are left."""
    deleted, given = threading.Event(), threading.Event()
    case = FeedbackDuringErasure(database, steps=pausing_steps(deleted, given, "favourites"))

    def favour() -> None:
        assert deleted.wait(WAIT)
        try:
            case.favour()
        finally:
            given.set()

    return race([favour, case.erase]), case.favourites_left()


def test_a_favourite_added_while_the_erasure_runs_is_refused_as_on_memory(
    racing: tuple[Any, Callable[..., Any]],
) -> None:
    """The favourite waits for the erasure's hold on the child, then finds it gone."""
    database, _ = racing
    assert favourite_round(database) == (Counter({"ok": 1, "AccessDenied": 1}), 0)


def test_negative_control_a_favourite_reading_the_child_without_the_lock_is_left(
    unlocked_pool: PostgresDatabase,
) -> None:
    database = without_locks(unlocked_pool, children=UnlockedChildren)
    assert favourite_round(database) == (Counter({"ok": 2}), 1)
