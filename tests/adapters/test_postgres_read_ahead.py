"""The booking read-ahead answers every read the booking rules make before their first
write, so a booking needs no round trip for them. It remembers rows under the queries the
repositories' finders send, asked of the repositories themselves, so changing a finder
cannot silently stop the read-ahead from matching: the test below fails then (the negative
control shows it with a finder that sends another statement)."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, or_, select

from travelcore.booking import BookSession
from travelcore.catalog import SessionId
from travelcore.kernel import ManualClock, TenantId
from travelcore.people import ChildId
from travelcore.testing.actors import admin
from travelcore.testing.world import World
from travelcore_adapters.postgres import PostgresDatabase, PostgresUnitOfWork
from travelcore_adapters.postgres.repositories.booking import PostgresBookingRepository
from travelcore_adapters.postgres.repositories.scope import Query
from travelcore_adapters.postgres.statements import Expect, Statement
from travelcore_adapters.postgres.tables.booking import bookings

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def _key(statement: Statement, params: Mapping[str, Any]) -> Hashable:
    return statement, statement.args(params)


class Recording(PostgresUnitOfWork):
    """Records the reads that reach the server after the read-ahead arrived and before the
    first write (a write makes the unit of work forget what it read ahead)."""

    def __init__(self, database: PostgresDatabase, tenant: TenantId) -> None:
        super().__init__(database.engine, tenant, database.bus)
        self.answerable: set[Hashable] = set()
        self.misses: list[Statement] = []
        self.written = False

    def remember(self, statement: Statement, params: Mapping[str, Any], rows: list[Any]) -> None:
        self.answerable.add(_key(statement, params))
        super().remember(statement, params, rows)

    def rows_of_all(self, queries: Sequence[Query]) -> list[list[Any]]:
        if self.answerable and not self.written:
            self.misses += [s for s, p in queries if _key(s, p) not in self.answerable]
        return super().rows_of_all(queries)

    def write(
        self, statement: Statement, params: Mapping[str, Any], expect: Expect | None = None
    ) -> None:
        self.written = True
        super().write(statement, params, expect)


OTHER_ACTIVE = Statement(
    select(bookings)
    .where(
        bookings.c.tenant_id == bindparam("tid"),
        bookings.c.session_id == bindparam("session_id"),
        bookings.c.child_id == bindparam("child_id"),
        or_(bookings.c.status == "confirmed", bookings.c.status == "pending"),
    )
    .order_by(bookings.c.created_at)
    .limit(1)
)


class ChangedFinder(PostgresBookingRepository):
    """``active_for_child`` rewritten to send another statement, and its query method not."""

    def active_for_child(self, session_id: SessionId, child_id: ChildId) -> Any:
        return self._first_of(self._query(OTHER_ACTIVE, session_id=session_id, child_id=child_id))


def booking_reads(
    database: PostgresDatabase, change: Callable[[Recording], None] = lambda uow: None
) -> list[Statement]:
    """The reads of a one-child booking that reached the server after the read-ahead and
    before the first write."""
    made: list[Recording] = []

    def factory(tenant: TenantId) -> Recording:
        uow = Recording(database, tenant)
        change(uow)
        made.append(uow)
        return uow

    world = World(factory, ManualClock(T0))  # type: ignore[arg-type]
    session_id = world.session()
    parent, [child] = world.family()
    made.clear()
    world.bookings.book(
        BookSession(
            tenant_id=world.tenant,
            session_id=session_id,
            child_id=child,
            parent_id=parent,
            idempotency_key="book",
        ),
        actor=admin(world.tenant),
    )
    [uow] = made
    assert uow.answerable  # the read-ahead arrived
    return uow.misses


def test_the_read_ahead_answers_every_read_of_a_booking_before_its_first_write(
    postgres_database: PostgresDatabase,
) -> None:
    assert booking_reads(postgres_database) == []


def test_negative_control_a_finder_that_drifted_from_the_read_ahead_is_caught(
    postgres_database: PostgresDatabase,
) -> None:
    def drift(uow: Recording) -> None:
        uow.bookings = ChangedFinder(uow)

    assert booking_reads(postgres_database, drift) == [OTHER_ACTIVE]
