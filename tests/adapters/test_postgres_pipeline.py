"""How the PostgreSQL unit of work sends statements: prepared once per connection, read
ahead, batched writes, the order of errors in a batch, and a connection lost under it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import attrs
import psycopg
import pytest
from sqlalchemy import text

from travelcore.audit import AuditQuery
from travelcore.booking import BookingReceipt, BookingService, BookSession
from travelcore.kernel import (
    AlreadyExists,
    ManualClock,
    NotFound,
    StaleVersion,
    StaticPolicies,
    TenantId,
    new_uuid,
)
from travelcore.kernel.errors import TransientConflict, TravelcoreError
from travelcore.ledger import BalanceId
from travelcore.people import Child, ChildId
from travelcore.testing.actors import admin
from travelcore.testing.builders import a_venue
from travelcore.testing.world import World
from travelcore_adapters.postgres import (
    ConnectionLost,
    PostgresDatabase,
    PostgresUnitOfWork,
    StatementPath,
)
from travelcore_adapters.postgres.outbox import CHANNEL
from travelcore_adapters.postgres.provision import ProvisionedDatabase, admin_connection
from travelcore_adapters.postgres.statements import MAX_ROWS_PER_INSERT, get_statement
from travelcore_adapters.postgres.tables.ledger import credit_balances

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


@pytest.fixture
def world(postgres_database: PostgresDatabase) -> World:
    return World(postgres_database, ManualClock(T0))


def _rename_activities(superuser: psycopg.Connection[Any], tenant: TenantId, name: str) -> None:
    superuser.execute("UPDATE activities SET name = %s WHERE tenant_id = %s", (name, tenant))


def _prepared(uow: PostgresUnitOfWork) -> set[str]:
    rows = uow.execute(text("SELECT name FROM pg_prepared_statements")).scalars()
    return set(rows)


@pytest.fixture
def single(
    postgres_test_database: ProvisionedDatabase, statement_path: StatementPath
) -> Iterator[tuple[PostgresDatabase, World]]:
    """A database with one pooled connection on ``statement_path``, and a world on it."""
    url = postgres_test_database.app_url
    with PostgresDatabase(url, pool_size=1, statement_path=statement_path) as database:
        yield database, World(database, ManualClock(T0))


@pytest.fixture
def single_fast(
    postgres_test_database: ProvisionedDatabase,
) -> Iterator[tuple[PostgresDatabase, World]]:
    """A database with one pooled connection on the fast path, and a world on it."""
    with PostgresDatabase(postgres_test_database.app_url, pool_size=1) as database:
        yield database, World(database, ManualClock(T0))


def test_statements_are_prepared_once_per_connection_and_survive_rollbacks(
    single_fast: tuple[PostgresDatabase, World],
) -> None:
    database, world = single_fast
    parent, _ = world.family(credits=10)
    with database(world.tenant) as uow:
        assert uow.credits.find(parent, T0.date()) is not None
        first = _prepared(uow)
    assert first
    assert all(name.startswith("tc_") for name in first)
    with database.engine.connect() as connection:  # rolled back by SQLAlchemy
        for _ in range(6):  # psycopg would prepare it, and deallocate on rollback
            connection.execute(text("SELECT count(*) FROM credit_balances"))
    with pytest.raises(NotFound), database(world.tenant) as uow:
        uow.credits.get(BalanceId(new_uuid()))
    with database(world.tenant) as uow:
        assert uow.credits.find(parent, T0.date()) is not None
        assert _prepared(uow) >= first  # still there, not prepared again


def test_statements_deallocated_behind_its_back_are_prepared_again(
    single_fast: tuple[PostgresDatabase, World],
) -> None:
    database, world = single_fast
    parent, _ = world.family(credits=10)

    def find() -> Any:
        with database(world.tenant) as uow:
            return uow.credits.find(parent, T0.date())

    def deallocate_all() -> None:
        with database.engine.connect() as connection:  # the one pooled connection
            connection.execute(text("DEALLOCATE ALL"))

    assert find() is not None
    deallocate_all()
    with pytest.raises(TransientConflict):
        find()
    assert find() is not None  # prepared again
    deallocate_all()
    assert database.retrying(find)() is not None


def test_a_value_the_driver_cannot_send_leaves_the_transaction_usable(
    postgres_database: PostgresDatabase,
) -> None:
    tenant = TenantId(new_uuid())
    with postgres_database(tenant) as uow:
        with pytest.raises(TravelcoreError):
            uow.scope.rows(get_statement(credit_balances), {"tid": tenant, "id": object()})
        assert (
            uow.scope.rows(get_statement(credit_balances), {"tid": tenant, "id": new_uuid()}) == []
        )
        uow.commit()


def test_a_save_writes_what_changed_since_the_row_it_guards(
    world: World, postgres_database: PostgresDatabase, superuser: psycopg.Connection[Any]
) -> None:
    _, [child_id] = world.family()

    def stored() -> Child:
        with postgres_database(world.tenant) as uow:
            return uow.children.get(child_id)

    def rename_behind_its_back(name: str) -> None:  # no version bump: invisible to saves
        superuser.execute("UPDATE children SET first_name = %s WHERE id = %s", (name, child_id))

    with postgres_database(world.tenant) as uow:
        child = uow.children.get(child_id)
        rename_behind_its_back("Behind")
        uow.children.save(attrs.evolve(child, interests=("chess",)))
        uow.commit()
    assert (stored().first_name, stored().interests) == ("Behind", ("chess",))
    with postgres_database(world.tenant) as uow:  # changed, then changed back: both written
        child = uow.children.get(child_id)
        uow.children.save(changed := attrs.evolve(child, interests=("judo",)))
        uow.children.save(attrs.evolve(changed, interests=("chess",)))
        uow.commit()
    assert stored().interests == ("chess",)
    assert stored().version == child.version + 2
    with postgres_database(world.tenant) as uow:  # the version it guards is not the one read
        read = uow.children.get(child_id)
        with postgres_database(world.tenant) as other:
            other.children.save(attrs.evolve(read, is_active=False))
            other.commit()
        uow.children.save(attrs.evolve(read, version=read.version + 1, first_name="Own"))
        uow.commit()
    assert (stored().first_name, stored().is_active) == ("Own", True)
    new = attrs.evolve(stored(), id=ChildId(new_uuid()), version=0)
    with postgres_database(world.tenant) as uow:  # added, then saved
        uow.children.add(new)
        uow.children.save(attrs.evolve(new, first_name="Renamed"))
        uow.commit()
    with postgres_database(world.tenant) as uow:
        assert uow.children.get(new.id).first_name == "Renamed"


def test_a_prefetch_answers_the_rules_reads_until_the_first_write(
    world: World, postgres_database: PostgresDatabase, superuser: psycopg.Connection[Any]
) -> None:
    session_id = world.session()
    parent, [child] = world.family()
    with postgres_database(world.tenant) as uow:
        session = uow.sessions.get(session_id)
    with postgres_database(world.tenant) as uow:
        uow.prefetch_booking(session_id, [child], parent, T0.date(), ["TC-AAAA-AAAA"])
        assert uow.sessions.get(session_id).booked_count == 0  # the prefetch arrives
        _rename_activities(superuser, world.tenant, "Renamed")
        assert uow.activities.get(session.activity_id).name != "Renamed"  # read ahead
        assert uow.activities.get(session.activity_id).name == "Renamed"  # once only
    with postgres_database(world.tenant) as uow:
        uow.prefetch_booking(session_id, [child], parent, T0.date(), [])
        assert uow.children.get(child).parent_id == parent
        _rename_activities(superuser, world.tenant, "Again")
        uow.sessions.save(uow.sessions.get(session_id))  # a write forgets the prefetch
        assert uow.activities.get(session.activity_id).name == "Again"


def test_a_batched_refusal_raises_when_the_batch_is_sent(
    world: World, postgres_database: PostgresDatabase
) -> None:
    session_id = world.session()
    with postgres_database(world.tenant) as uow:
        session = uow.sessions.get(session_id)
        venue = uow.venues.get(session.venue_id)
    with postgres_database(world.tenant) as uow:
        batch = uow.batched()
        batch.__enter__()
        uow.venues.add(venue)  # queued: no error yet
        with pytest.raises(AlreadyExists):
            batch.__exit__(None, None, None)


def test_a_commit_in_a_batch_with_a_refused_write_commits_nothing(
    world: World, postgres_database: PostgresDatabase
) -> None:
    session_id = world.session()
    with postgres_database(world.tenant) as uow:
        venue = uow.venues.get(uow.sessions.get(session_id).venue_id)
    other = a_venue(world.tenant)
    with postgres_database(world.tenant) as uow:
        batch = uow.batched()
        batch.__enter__()
        uow.venues.add(other)
        uow.venues.add(venue)
        with pytest.raises(AlreadyExists):
            uow.commit()  # the writes and COMMIT go together; the server stops at the refusal
    with postgres_database(world.tenant) as uow, pytest.raises(NotFound):
        uow.venues.get(other.id)


def test_in_a_batch_a_stale_save_stops_the_batch_where_it_happened(
    world: World, postgres_database: PostgresDatabase
) -> None:
    """Two copies of one balance, each read by a unit of work of its own (a read locks
    the balance until its unit of work ends); the first gets a new hold, saved and
    committed. The second's save updates no row, and its hold, at the same position, would
    break a unique key: the server refuses the save first, so the error is
    ``StaleVersion``."""
    parent, _ = world.family(credits=10)
    with postgres_database(world.tenant) as uow:
        found = uow.credits.find(parent, T0.date())
        assert found is not None
        balance_id = BalanceId(found.id)
    with postgres_database(world.tenant) as uow:
        theirs = uow.credits.get(balance_id)
    with postgres_database(world.tenant) as first:
        mine = first.credits.get(balance_id)
        mine.place_hold(new_uuid(), 1, T0, timedelta(days=1))
        first.credits.save(mine)
        first.commit()
    theirs.place_hold(new_uuid(), 1, T0, timedelta(days=1))
    second = postgres_database(world.tenant)
    with second, pytest.raises(StaleVersion), second.batched():
        second.credits.save(theirs)


def test_a_lost_connection_is_discarded_and_the_use_case_retried(
    single: tuple[PostgresDatabase, World], superuser: psycopg.Connection[Any]
) -> None:
    database, world = single
    session_id = world.session()
    parent, [first, second] = world.family(born=(date(2018, 5, 1), date(2019, 5, 1)))
    kills = []

    def killing(tenant: TenantId) -> PostgresUnitOfWork:
        """Units of work whose connection is terminated once they hold it, while
        ``kills`` asks for it (a transaction in flight when the backend goes)."""
        uow = database(tenant)
        begin = uow._begin

        def begin_then_die() -> None:
            begin()
            if kills:
                kills.pop()
                pid = uow.connection.connection.driver_connection.info.backend_pid
                superuser.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))

        uow._begin = begin_then_die  # type: ignore[method-assign]
        return uow

    def book(child: ChildId, key: str) -> BookingReceipt:
        return BookingService(killing, world.clock, policies=StaticPolicies()).book(
            BookSession(
                tenant_id=world.tenant,
                session_id=session_id,
                child_id=child,
                parent_id=parent,
                idempotency_key=key,
            ),
            actor=admin(world.tenant),
        )

    with database(world.tenant) as uow:  # an idle pooled connection terminated:
        pid = uow.connection.connection.driver_connection.info.backend_pid
    superuser.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))
    assert book(first, "first")  # replaced at checkout, unseen by the use case
    kills.append(1)
    with pytest.raises(ConnectionLost):
        book(second, "second")
    kills.append(1)
    receipt = database.retrying(book)(second, "second")
    booked = [b.id for b in world.bookings_on(session_id)]
    assert len(booked) == 2
    assert receipt.booking_id in booked


def _wake_ups(listener: psycopg.Connection[Any]) -> int:
    """The notifications on the relays' channel that reached ``listener`` within 10 s of
    the first (0 if none came within 10 s)."""
    return sum(1 for _ in listener.notifies(timeout=10, stop_after=1))


def test_a_commit_that_wrote_events_wakes_the_relays(
    world: World, postgres_test_database: ProvisionedDatabase
) -> None:
    """On either path, a listening relay hears of a commit that wrote events."""
    db = postgres_test_database
    with admin_connection(db.superuser_url, db.name) as listener:
        listener.execute(f"LISTEN {CHANNEL}")
        world.family()  # commits events
        assert _wake_ups(listener) == 1


def test_audit_entries_beyond_one_insert_all_land(
    world: World, postgres_database: PostgresDatabase
) -> None:
    """Entries go in INSERTs of up to MAX_ROWS_PER_INSERT rows: 2.5 of them, all kept."""
    count = MAX_ROWS_PER_INSERT * 2 + MAX_ROWS_PER_INSERT // 2
    with postgres_database(world.tenant) as uow:
        venues = [a_venue(world.tenant) for _ in range(count)]
        for venue in venues:
            uow.venues.add(venue)
        uow.commit()
    with postgres_database(world.tenant) as uow:
        found = uow.audit_log.find(AuditQuery(entity_type="venue", limit=count + 1)).entries
    assert sorted(entry.entity_id for entry in found) == sorted(str(v.id) for v in venues)


def test_the_pool_hands_out_the_connection_returned_last(
    postgres_test_database: ProvisionedDatabase,
) -> None:
    """Last in, first out: one unit of work after another reuses the warm connection."""
    with PostgresDatabase(postgres_test_database.app_url, pool_size=2) as database:
        tenant = TenantId(new_uuid())
        pid = text("SELECT pg_backend_pid()")
        with database(tenant) as first, database(tenant) as second:
            first_pid = first.execute(pid).scalar()
            second_pid = second.execute(pid).scalar()
        assert first_pid != second_pid
        # ``second`` went back first, ``first`` last: ``first``'s connection comes out next
        for _ in range(3):
            with database(tenant) as uow:
                assert uow.execute(pid).scalar() == first_pid
