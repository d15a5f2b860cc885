"""Every read-ahead answers every read its use case makes before the first write, and
nothing it remembers goes unasked, so a booking needs no round trip for those reads.

The read-ahead (``prefetch_booking``, used by ``book`` and ``book_group``) remembers rows
under the queries the repositories' finders send, asked of the repositories themselves, so
changing a finder cannot silently stop it from matching: these tests fail then (the
negative control shows it with a finder that sends another statement). The recording
wraps the unit of work's :class:`~travelcore_adapters.postgres.transaction.Transaction`,
the one object through which every repository's statements go."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

import attrs
import pytest
from sqlalchemy import bindparam, or_, select

from travelcore.booking import BookGroup, BookSession
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
from travelcore_adapters.postgres.transaction import Transaction

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def _key(statement: Statement, params: Mapping[str, Any]) -> Hashable:
    return statement, statement.args(params)


@attrs.define
class Reads:
    """What one transaction's read-ahead remembered, and the reads before its first write."""

    remembered: set[Hashable] = attrs.Factory(set)
    read_ahead: set[Hashable] = attrs.Factory(set)
    asked: set[Hashable] = attrs.Factory(set)
    misses: list[Statement] = attrs.Factory(list)
    written: bool = False

    @property
    def unasked(self) -> set[Hashable]:
        """Answers to finders that no finder asked for (the read-ahead's own queries,
        remembered under themselves too, aside)."""
        return self.remembered - self.read_ahead - self.asked


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> dict[int, Reads]:
    """The reads of every transaction while the test runs, by transaction."""
    by_transaction: dict[int, Reads] = {}
    prefetch, remember = Transaction.prefetch, Transaction.remember
    rows_of_all, write = Transaction.rows_of_all, Transaction.write

    def of(tx: Transaction) -> Reads:
        return by_transaction.setdefault(id(tx), Reads())

    def prefetching(tx: Transaction, queries: Sequence[Query], then: Any = None) -> None:
        of(tx).read_ahead.update(_key(statement, params) for statement, params in queries)
        prefetch(tx, queries, then)

    def remembering(tx: Transaction, statement: Statement, params: Any, rows: Any) -> None:
        of(tx).remembered.add(_key(statement, params))
        remember(tx, statement, params, rows)

    def reading(tx: Transaction, queries: Sequence[Query]) -> list[list[Any]]:
        seen = of(tx)
        if seen.remembered and not seen.written:
            for statement, params in queries:
                key = _key(statement, params)
                seen.asked.add(key)
                if key not in seen.remembered:
                    seen.misses.append(statement)
        return rows_of_all(tx, queries)

    def writing(
        tx: Transaction, statement: Statement, params: Any, expect: Expect | None = None
    ) -> None:
        of(tx).written = True
        write(tx, statement, params, expect)

    monkeypatch.setattr(Transaction, "prefetch", prefetching)
    monkeypatch.setattr(Transaction, "remember", remembering)
    monkeypatch.setattr(Transaction, "rows_of_all", reading)
    monkeypatch.setattr(Transaction, "write", writing)
    return by_transaction


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


Booker = Callable[[World, SessionId, Any, list[ChildId]], object]


def _book(world: World, session_id: SessionId, parent: Any, children: list[ChildId]) -> object:
    return world.bookings.book(
        BookSession(
            tenant_id=world.tenant,
            session_id=session_id,
            child_id=children[0],
            parent_id=parent,
            idempotency_key="book",
        ),
        actor=admin(world.tenant),
    )


def _book_group(
    world: World, session_id: SessionId, parent: Any, children: list[ChildId]
) -> object:
    return world.bookings.book_group(
        BookGroup(
            tenant_id=world.tenant,
            session_id=session_id,
            child_ids=tuple(children),
            parent_id=parent,
            idempotency_key="group",
        ),
        actor=admin(world.tenant),
    )


USES = {  # every use case that reads ahead, with how many children it books
    "book": (_book, 1),
    "book_group of two": (_book_group, 2),
    "book_group of three": (_book_group, 3),
}


def run_use_case(
    database: PostgresDatabase,
    reads: dict[int, Reads],
    use: str,
    change: Callable[[PostgresUnitOfWork], None] = lambda uow: None,
) -> Reads:
    """The reads of the use case's one transaction (that reads ahead)."""
    book, children = USES[use]

    def factory(tenant: TenantId) -> PostgresUnitOfWork:
        uow = database(tenant)
        change(uow)
        return uow

    world = World(factory, ManualClock(T0))  # type: ignore[arg-type]
    session_id = world.session()
    parent, kids = world.family(born=[date(2018, 5, n) for n in range(1, children + 1)])
    reads.clear()
    book(world, session_id, parent, kids)
    [read_ahead] = [r for r in reads.values() if r.remembered]
    return read_ahead


@pytest.mark.parametrize("use", list(USES))
def test_the_read_ahead_answers_every_read_before_the_first_write_and_nothing_more(
    postgres_database: PostgresDatabase, reads: dict[int, Reads], use: str
) -> None:
    seen = run_use_case(postgres_database, reads, use)
    assert seen.misses == []  # every read was answered without a round trip
    assert seen.unasked == set()  # and every answer was asked for


@pytest.mark.parametrize("use", list(USES))
def test_negative_control_a_finder_that_drifted_from_the_read_ahead_is_caught(
    postgres_database: PostgresDatabase, reads: dict[int, Reads], use: str
) -> None:
    def drift(uow: PostgresUnitOfWork) -> None:
        uow.bookings = ChangedFinder(uow.scope)

    seen = run_use_case(postgres_database, reads, use, drift)
    assert set(seen.misses) == {OTHER_ACTIVE}
    assert seen.unasked  # the read-ahead's answer to the old finder went unused
