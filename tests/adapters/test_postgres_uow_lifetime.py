"""A finished PostgreSQL unit of work is freed as soon as its caller lets go of it.

Nothing it makes (its transaction, its repositories, the entities they load) refers back
to it, so reference counting frees the whole graph at once. A cycle would leave every
unit of work, with all it loaded, to the garbage collector, whose collections stop every
thread of the process, including those holding row locks. The tests run with the
collector off, so a cycle keeps the unit of work alive and they fail (the negative control
shows it).
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from travelcore.booking import BookSession, CancelBooking, CancellationReason
from travelcore.kernel import ManualClock, TenantId, new_uuid
from travelcore.testing.actors import admin
from travelcore.testing.world import World
from travelcore_adapters.postgres import PostgresDatabase, PostgresUnitOfWork
from travelcore_adapters.postgres.uow import _REPOSITORIES

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


@pytest.fixture
def no_collector() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class Recorded:
    """A unit-of-work factory that keeps only weak references to what it made."""

    def __init__(self, make: Callable[[TenantId], PostgresUnitOfWork]) -> None:
        self._make = make
        self.made: list[weakref.ref[PostgresUnitOfWork]] = []

    def __call__(self, tenant_id: TenantId) -> PostgresUnitOfWork:
        uow = self._make(tenant_id)
        self.made.append(weakref.ref(uow))
        return uow

    def alive(self) -> int:
        return sum(ref() is not None for ref in self.made)


def _book_and_cancel(database: Callable[[TenantId], PostgresUnitOfWork]) -> Recorded:
    recorded = Recorded(database)
    world = World(recorded, ManualClock(T0))  # type: ignore[arg-type]
    session_id = world.session()
    parent, kids = world.family()
    booking = world.bookings.book(
        BookSession(
            tenant_id=world.tenant,
            session_id=session_id,
            child_id=kids[0],
            parent_id=parent,
            idempotency_key="book",
        ),
        actor=admin(world.tenant),
    )
    world.bookings.cancel(
        CancelBooking(
            tenant_id=world.tenant,
            booking_id=booking.booking_id,
            reason=CancellationReason.CHILD_SICK,
            idempotency_key="cancel",
        ),
        actor=admin(world.tenant),
    )
    return recorded


def test_the_units_of_work_of_a_booking_and_its_cancellation_are_freed_at_once(
    postgres_database: PostgresDatabase, no_collector: None
) -> None:
    recorded = _book_and_cancel(postgres_database)
    assert len(recorded.made) >= 3
    assert recorded.alive() == 0


def test_a_unit_of_work_that_used_every_repository_is_freed_at_once(
    postgres_database: PostgresDatabase, no_collector: None
) -> None:
    uow = postgres_database(TenantId(new_uuid()))
    with uow:
        for name in _REPOSITORIES:
            getattr(uow, name)
        assert uow.personal_data is not None
        uow.commit()
    ref = weakref.ref(uow)
    del uow
    assert ref() is None


class Cyclic(PostgresUnitOfWork):
    """A unit of work that refers to itself."""

    def _begin(self) -> None:
        super()._begin()
        self.itself = self


def test_negative_control_a_unit_of_work_in_a_cycle_stays_alive(
    postgres_database: PostgresDatabase, no_collector: None
) -> None:
    recorded = _book_and_cancel(
        lambda tenant: Cyclic(postgres_database.engine, tenant, clock=ManualClock(T0))
    )
    assert recorded.alive() == len(recorded.made)
