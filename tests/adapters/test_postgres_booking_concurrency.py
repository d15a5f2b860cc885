"""Bookings under real concurrency on PostgreSQL: threads, each with its own unit of work
from a pool of 20 connections.

Seats are taken under a row lock on the session (``sessions.get`` is ``SELECT ... FOR NO
KEY UPDATE``) and saved by a version-checked conditional UPDATE; the negative control
swaps in a session repository with neither and shows that the same test then overbooks.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar

import pytest
from sqlalchemy import func, select, update

from travelcore.booking import (
    BookingStatus,
    BookSession,
    CancelBooking,
    CancellationReason,
    ConfirmBooking,
    JoinWaitlist,
)
from travelcore.catalog import Session, SessionId
from travelcore.kernel import (
    CapacityExceeded,
    InsufficientCredits,
    ManualClock,
    TenantId,
    TravelcoreError,
    UserId,
)
from travelcore.ledger import BillingPeriod, CreditBalance, EntryType
from travelcore.people import ChildId
from travelcore.testing.actors import admin
from travelcore.testing.builders import a_child, a_corporate, a_parent
from travelcore.testing.world import World
from travelcore_adapters.postgres import PostgresDatabase, PostgresUnitOfWork, StatementPath
from travelcore_adapters.postgres.provision import ProvisionedDatabase
from travelcore_adapters.postgres.repositories.catalog import PostgresSessionRepository
from travelcore_adapters.postgres.tables.ledger import credit_balances as b
from travelcore_adapters.postgres.tables.ledger import credit_holds as h
from travelcore_adapters.postgres.tables.ledger import credit_ledger as e

ATTEMPTS, THREADS, CAPACITY, CREDITS, ROUNDS = 200, 20, 10, 5, 20
T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
PERIOD = BillingPeriod(date(2026, 3, 1), date(2026, 4, 1))
BIRTHS = [date(2015 + n, 1, 1) for n in range(4)]


@pytest.fixture(scope="module")
def pooled(
    postgres_test_database: ProvisionedDatabase, statement_path: StatementPath
) -> Iterator[PostgresDatabase]:
    with PostgresDatabase(
        postgres_test_database.app_url,
        pool_size=THREADS,
        pool_timeout=60,
        retry_attempts=8,
        statement_path=statement_path,
    ) as database:
        yield database


class UnsafeSessionRepository(PostgresSessionRepository):
    """The protection switched off: a plain read, and a blind write of the counts."""

    lock_on_get: ClassVar[bool] = False

    def save(self, entity: Session) -> None:
        values = self.to_row(entity)
        for key in ("tenant_id", "id", "version"):
            values.pop(key)
        t = self.table
        self._scope.execute(
            update(t).where(t.c.tenant_id == self._tid, t.c.id == entity.id).values(values)
        )
        entity.version += 1


class UnsafeUnitOfWork(PostgresUnitOfWork):
    """Sessions read without their row lock, and no read-ahead (which locks the session)."""

    def __init__(self, database: PostgresDatabase, tenant: TenantId) -> None:
        super().__init__(database.engine, tenant, database.bus)
        self.sessions = UnsafeSessionRepository(self.scope)

    def prefetch_booking(self, *args: Any) -> None:
        pass


def unsafe(database: PostgresDatabase) -> Callable[[TenantId], PostgresUnitOfWork]:
    def make(tenant: TenantId) -> PostgresUnitOfWork:
        return UnsafeUnitOfWork(database, tenant)

    return make


def families(world: World, count: int) -> list[tuple[UserId, list[ChildId]]]:
    """``count`` parents with four children each, in one transaction; every fifth parent
    affords one seat, the others eight."""
    with world.db(world.tenant) as uow:
        corporate = a_corporate(world.tenant)
        uow.corporates.add(corporate)
        made = []
        for n in range(count):
            parent = a_parent(world.tenant, corporate)
            uow.users.add(parent)
            children = [
                a_child(world.tenant, parent, day, f"Kid{k}") for k, day in enumerate(BIRTHS)
            ]
            for child in children:
                uow.children.add(child)
            balance = CreditBalance.open(world.tenant, parent.id, PERIOD, T0)
            balance.allocate(CREDITS if n % 5 == 0 else 8 * CREDITS, T0, actor="hr")
            uow.credits.add(balance)
            made.append((parent.id, [c.id for c in children]))
        uow.commit()
    return made


def crowd(
    database: PostgresDatabase, uow_factory: Callable[[TenantId], Any] | None = None
) -> tuple[World, SessionId, Counter[str], list[Any]]:
    """200 attempts (50 parents with 4 children) on one session of capacity 10 from 20
    threads; a full session sends the child to the waitlist."""
    world = World(uow_factory or database, ManualClock(T0))
    session_id = world.session(capacity=CAPACITY, credits=CREDITS)
    parents = families(world, ATTEMPTS // 4)
    attempts = [(parent, child) for parent, children in parents for child in children]
    first_wave = set(attempts[:THREADS])
    barrier = threading.Barrier(THREADS)

    def attempt(pair: tuple[Any, Any]) -> str:
        parent, child = pair
        if pair in first_wave:
            barrier.wait()
        try:
            try:
                database.retrying(world.bookings.book)(
                    BookSession(
                        tenant_id=world.tenant,
                        session_id=session_id,
                        child_id=child,
                        parent_id=parent,
                        idempotency_key=f"book-{child}",
                    ),
                    actor=admin(world.tenant),
                )
            except CapacityExceeded:
                database.retrying(world.waitlist.join)(
                    JoinWaitlist(
                        tenant_id=world.tenant,
                        session_id=session_id,
                        child_id=child,
                        parent_id=parent,
                        idempotency_key=f"wait-{child}",
                    ),
                    actor=admin(world.tenant),
                )
                return "waitlisted"
        except InsufficientCredits:
            return "refused"
        except TravelcoreError as error:
            return f"error {error.code}"
        return "booked"

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        outcomes = Counter(pool.map(attempt, attempts))
    return world, session_id, outcomes, [parent for parent, _ in parents]


def ledger_conserved(database: PostgresDatabase, tenant: TenantId) -> None:
    """Every balance row equals the sum of its entries, its holds equal its active holds,
    and nothing is negative."""
    with database(tenant) as uow:
        sums = {
            row.balance_id: row.total
            for row in uow.execute(
                select(e.c.balance_id, func.sum(e.c.amount).label("total")).group_by(e.c.balance_id)
            )
        }
        held = {
            row.balance_id: row.total
            for row in uow.execute(
                select(h.c.balance_id, func.sum(h.c.credits).label("total"))
                .where(h.c.status == "active")
                .group_by(h.c.balance_id)
            )
        }
        rows = uow.execute(select(b)).all()
    assert rows
    for row in rows:
        assert row.credits_balance == sums[row.id]
        assert row.credits_held == held.get(row.id, 0)
        assert row.credits_available == row.credits_balance - row.credits_held >= 0


def test_200_attempts_on_10_seats_book_exactly_10_in_every_round(
    pooled: PostgresDatabase,
) -> None:
    for _ in range(ROUNDS):
        world, session_id, outcomes, parents = crowd(pooled)
        assert outcomes["booked"] == CAPACITY, outcomes
        assert set(outcomes) <= {"booked", "waitlisted", "refused"}, outcomes
        assert sum(outcomes.values()) == ATTEMPTS
        session = world.get_session(session_id)
        assert (session.booked_count, session.offered_count) == (CAPACITY, 0)
        bookings = world.bookings_on(session_id)
        assert len(bookings) == CAPACITY
        assert {x.status for x in bookings} == {BookingStatus.PENDING}
        entries = world.entries_on(session_id)
        assert len(entries) == outcomes["waitlisted"]
        assert sorted(x.position for x in entries) == list(range(1, len(entries) + 1))
        views = [world.balance(parent) for parent in parents]
        assert sum(v.held for v in views) == CAPACITY * CREDITS
        assert sum(v.balance for v in views) == sum(v.allocated for v in views)
        ledger_conserved(pooled, world.tenant)


def test_negative_control_without_lock_or_version_check_overbooks(
    pooled: PostgresDatabase,
) -> None:
    """The same crowd with the protection switched off: some round ends with more bookings
    than seats (the test above can fail)."""
    overbooked = []
    for _ in range(ROUNDS):
        world, session_id, _, _ = crowd(pooled, unsafe(pooled))
        overbooked.append(len(world.bookings_on(session_id)) - CAPACITY)
        if overbooked[-1] > 0:
            break
    assert max(overbooked) > 0, overbooked


def test_one_family_booking_four_sessions_at_once_loses_nothing(
    pooled: PostgresDatabase,
) -> None:
    """Four children booked on four sessions by 16 threads at once: bookings of one parent
    race on the parent's balance (not on a seat), so all but one of each round lose with
    ``StaleVersion`` and are rerun; every booking lands and the ledger adds up."""
    world = World(pooled, ManualClock(T0))
    sessions = [world.session(capacity=4, credits=1) for _ in range(4)]
    parent, children = world.family(credits=16, born=BIRTHS)
    barrier = threading.Barrier(16)

    def book(pair: tuple[SessionId, ChildId]) -> None:
        barrier.wait()
        pooled.retrying(world.bookings.book)(
            BookSession(
                tenant_id=world.tenant,
                session_id=pair[0],
                child_id=pair[1],
                parent_id=parent,
                idempotency_key=f"book-{pair[0]}-{pair[1]}",
            ),
            actor=admin(world.tenant),
        )

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(book, [(s, c) for s in sessions for c in children]))
    assert all(len(world.bookings_on(s)) == 4 for s in sessions)
    assert world.balance(parent).held == 16
    ledger_conserved(pooled, world.tenant)


def _confirmed_booking(world: World) -> Any:
    session_id = world.session(starts_in=timedelta(days=7), capacity=2, credits=CREDITS)
    parent, [child] = world.family(credits=20)
    receipt = world.bookings.book(
        BookSession(
            tenant_id=world.tenant,
            session_id=session_id,
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
    return receipt.booking_id, parent


def test_two_concurrent_venue_cancellations_refund_once(pooled: PostgresDatabase) -> None:
    for _ in range(10):
        world = World(pooled, ManualClock(T0))
        booking_id, parent = _confirmed_booking(world)
        barrier = threading.Barrier(2)

        def cancel(
            n: int,
            world: World = world,
            booking_id: Any = booking_id,
            barrier: threading.Barrier = barrier,
        ) -> str:
            barrier.wait()
            try:
                pooled.retrying(world.bookings.cancel)(
                    CancelBooking(
                        tenant_id=world.tenant,
                        booking_id=booking_id,
                        reason=CancellationReason.VENUE_CANCELLED,
                        by_venue=True,
                        idempotency_key=f"venue-cancel-{n}",
                    ),
                    actor=admin(world.tenant),
                )
            except TravelcoreError as error:
                return type(error).__name__
            return "cancelled"

        with ThreadPoolExecutor(max_workers=2) as pool:
            outcomes = sorted(pool.map(cancel, range(2)))
        assert outcomes.count("cancelled") == 1, outcomes
        with pooled(world.tenant) as uow:
            refunds = uow.execute(
                select(func.count())
                .select_from(e)
                .where(e.c.booking_id == booking_id, e.c.entry_type == EntryType.REFUND_CREDIT)
            ).scalar_one()
        assert refunds == 1
        assert world.booking(booking_id).status is BookingStatus.CANCELLED_VENUE
        assert world.balance(parent).balance == 20
        ledger_conserved(pooled, world.tenant)


def test_50_concurrent_calls_with_one_idempotency_key_book_once(
    pooled: PostgresDatabase,
) -> None:
    world = World(pooled, ManualClock(T0))
    session_id = world.session(capacity=CAPACITY, credits=CREDITS)
    parent, [child] = world.family(credits=40)
    command = BookSession(
        tenant_id=world.tenant,
        session_id=session_id,
        child_id=child,
        parent_id=parent,
        idempotency_key="one-key",
    )
    barrier = threading.Barrier(THREADS)

    def book(n: int) -> Any:
        if n < THREADS:
            barrier.wait()
        return pooled.retrying(world.bookings.book)(command, actor=admin(command.tenant_id))

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        receipts = list(pool.map(book, range(50)))
    assert len(set(receipts)) == 1
    assert [x.id for x in world.bookings_on(session_id)] == [receipts[0].booking_id]
    assert world.get_session(session_id).booked_count == 1
    assert world.balance(parent).held == CREDITS
    ledger_conserved(pooled, world.tenant)
