"""Bookings per second through travelcore's ``BookingService`` on PostgreSQL vs
hand-written psycopg transactions, on the same server, in one run.

    python -m bench.bookings                 # 1,000 bookings per implementation and run
    python -m bench.bookings --bookings 3000 --threads 8 --slice 100 --paths fast

Two hand-written baselines, both straightforward psycopg (one statement after another):

- **same work** books with travelcore's rules and writes: lock and look up the idempotency
  key; read the session locked, joined to its activity and venue and its waitlist; read
  the child with its bookings and waitlist entries on the session; check all of it; hold
  the credits with a conditional UPDATE of the balance; take the seat; insert the hold
  and the booking; store the result under the key; append the audit entries of the three
  rows changed (balance, session, booking: who, what, the changed fields before and after)
  in one INSERT; append the two events the booking publishes (the hold placed, the
  booking created) to the outbox in one INSERT. Fourteen statements.
- **bare** is the least a booking can do: take a seat and hold the credits with conditional
  UPDATEs, insert the hold and the booking (no idempotency, no eligibility reads). Five
  statements.

travelcore runs on each statement path named by ``--paths`` (default: both, ``fast`` and
``portable``), each its own implementation with its own pool. Its engine's pool hands out
the connection returned last; so does the baselines' (:class:`LifoPool`, ``--threads``
psycopg connections), so with one thread every implementation reuses one connection.

Every implementation runs as the application role (row-level security on), on its own
tenant with 4 sessions and enough families, with 8 threads (several sessions and parents
at once, in a fixed shuffled order) and with 1. The implementations take turns in slices
of ``--slice`` bookings, so each sees the same machine load; the figures are bookings per
second over all slices and the ratios of travelcore to each baseline.

PostgreSQL: ``TRAVELCORE_BENCH_DATABASE_URL`` (a superuser ``postgresql://`` URL) or an
embedded server.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import json
import os
import queue
import random
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

import psycopg
from psycopg.types.json import Jsonb

from travelcore.booking import BookSession
from travelcore.kernel import ManualClock, TenantId, UserId
from travelcore.ledger import BillingPeriod, CreditBalance
from travelcore.people import ChildId
from travelcore.testing.actors import admin
from travelcore.testing.builders import a_child, a_corporate, a_parent
from travelcore.testing.world import World
from travelcore_adapters.postgres import PostgresDatabase, StatementPath
from travelcore_adapters.postgres.provision import embedded_server, provision_database

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
PERIOD = BillingPeriod(date(2026, 3, 1), date(2026, 4, 1))
SESSIONS, CHILDREN_PER_PARENT, CREDITS = 4, 4, 1
Item = tuple[Any, UserId, ChildId, Any]  # session, parent, child, balance


@contextlib.contextmanager
def superuser_url() -> Iterator[str]:
    url = os.environ.get("TRAVELCORE_BENCH_DATABASE_URL")
    if url:
        yield url
        return
    with embedded_server() as url:
        yield url


def setup(database: PostgresDatabase, bookings: int) -> tuple[World, list[Item]]:
    """A tenant with 4 sessions and enough families for ``bookings`` (one per child and
    session), in a fixed shuffled order."""
    world = World(database, ManualClock(T0))
    sessions = [
        world.session(capacity=bookings, credits=CREDITS, starts_in=timedelta(days=5))
        for _ in range(SESSIONS)
    ]
    parents = -(-bookings // (SESSIONS * CHILDREN_PER_PARENT))
    families = []
    with database(world.tenant) as uow:
        corporate = a_corporate(world.tenant)
        uow.corporates.add(corporate)
        for _ in range(parents):
            parent = a_parent(world.tenant, corporate)
            uow.users.add(parent)
            kids = [a_child(world.tenant, parent) for _ in range(CHILDREN_PER_PARENT)]
            for kid in kids:
                uow.children.add(kid)
            balance = CreditBalance.open(world.tenant, parent.id, PERIOD, T0)
            balance.allocate(10 * bookings, T0, actor="bench")
            uow.credits.add(balance)
            families.append((parent.id, [k.id for k in kids], balance.id))
        uow.commit()
    items = [
        (session, parent, kids[k], balance)
        for k in range(CHILDREN_PER_PARENT)
        for session in sessions
        for parent, kids, balance in families
    ][:bookings]
    random.Random(bookings).shuffle(items)
    return world, items


def travelcore_booker(database: PostgresDatabase, world: World) -> Callable[[Item], None]:
    book = database.retrying(world.bookings.book)

    def run(item: Item) -> None:
        session, parent, child, _ = item
        book(
            BookSession(
                tenant_id=world.tenant,
                session_id=session,
                child_id=child,
                parent_id=parent,
                idempotency_key=f"bench-{session}-{child}",
            ),
            actor=admin(world.tenant),
        )

    return run


BARE = [
    "SELECT set_config('app.tenant_id', %(tid)s, true)",
    "UPDATE activity_sessions SET booked_count = booked_count + 1, version = version + 1"
    " WHERE tenant_id = %(tid)s AND id = %(session)s AND NOT is_cancelled"
    " AND booked_count + offered_count < total_capacity RETURNING id",
    "UPDATE credit_balances SET credits_held = credits_held + %(credits)s,"
    " credits_available = credits_available - %(credits)s, version = version + 1"
    " WHERE tenant_id = %(tid)s AND id = %(balance)s AND credits_available >= %(credits)s"
    " RETURNING version",
    "INSERT INTO credit_holds (tenant_id, id, balance_id, position, booking_id, credits,"
    " created_at, expires_at, status) VALUES (%(tid)s, gen_random_uuid(), %(balance)s,"
    " %(position)s, %(booking)s, %(credits)s, %(now)s, %(expires)s, 'active')",
    "INSERT INTO bookings (tenant_id, id, session_id, child_id, booked_by, status,"
    " credits_charged, balance_id, confirmation_code, booking_source, created_at,"
    " credits_refunded, attendance_marked, version) VALUES (%(tid)s, %(booking)s,"
    " %(session)s, %(child)s, %(parent)s, 'pending', %(credits)s, %(balance)s, %(code)s,"
    " 'browse', %(now)s, 0, false, 0)",
]

SAME_WORK = {
    "lock": "SELECT pg_advisory_xact_lock(hashtextextended(%(lock)s, 0))",
    "replay": "SELECT fingerprint, result FROM idempotency_keys"
    " WHERE tenant_id = %(tid)s AND key = %(key)s",
    "session": "SELECT s.is_cancelled, s.is_completed, s.starts_at, s.ends_at, s.session_date,"
    " s.total_capacity - s.booked_count - s.offered_count AS free, a.is_active,"
    " a.is_published, a.min_age, a.max_age, a.credits_required, v.status,"
    " v.insurance_coverage_amount, v.insurance_expiry_date,"
    " EXISTS (SELECT 1 FROM waitlist w WHERE w.tenant_id = s.tenant_id"
    " AND w.session_id = s.id AND w.is_active) AS queued"
    " FROM activity_sessions s"
    " JOIN activities a ON a.tenant_id = s.tenant_id AND a.id = s.activity_id"
    " JOIN venues v ON v.tenant_id = s.tenant_id AND v.id = s.venue_id"
    " WHERE s.tenant_id = %(tid)s AND s.id = %(session)s FOR NO KEY UPDATE OF s",
    "child": "SELECT c.parent_id, c.is_active, c.date_of_birth,"
    " EXISTS (SELECT 1 FROM bookings b WHERE b.tenant_id = c.tenant_id"
    " AND b.session_id = %(session)s AND b.child_id = c.id"
    " AND b.status IN ('pending', 'confirmed')) AS booked,"
    " EXISTS (SELECT 1 FROM waitlist w WHERE w.tenant_id = c.tenant_id"
    " AND w.session_id = %(session)s AND w.child_id = c.id AND w.is_active) AS waiting"
    " FROM children c WHERE c.tenant_id = %(tid)s AND c.id = %(child)s",
    "hold": "UPDATE credit_balances SET credits_held = credits_held + %(credits)s,"
    " credits_available = credits_available - %(credits)s, version = version + 1"
    " WHERE tenant_id = %(tid)s AND user_id = %(parent)s"
    " AND billing_period_start <= %(today)s AND billing_period_end > %(today)s"
    " AND credits_available >= %(credits)s RETURNING id, version",
    "seat": "UPDATE activity_sessions SET booked_count = booked_count + 1,"
    " version = version + 1 WHERE tenant_id = %(tid)s AND id = %(session)s"
    " RETURNING booked_count, version",
    "insert_hold": BARE[3]
    .replace("%(balance)s", "%(balance_id)s")
    .replace("gen_random_uuid()", "%(hold)s"),
    "insert_booking": BARE[4].replace("%(balance)s", "%(balance_id)s"),
    "record": "INSERT INTO idempotency_keys (tenant_id, key, fingerprint, result, created_at)"
    " VALUES (%(tid)s, %(key)s, %(fingerprint)s, %(result)s, %(now)s)",
    "audit": "INSERT INTO audit_logs (tenant_id, id, action_type, entity_type, entity_id,"
    " old_values, new_values, created_at) VALUES"
    " (%(tid)s, gen_random_uuid(), 'update', 'credit_balance', %(balance_id)s,"
    " %(balance_old)s, %(balance_new)s, %(now)s),"
    " (%(tid)s, gen_random_uuid(), 'update', 'session', %(session)s,"
    " %(session_old)s, %(session_new)s, %(now)s),"
    " (%(tid)s, gen_random_uuid(), 'create', 'booking', %(booking)s,"
    " NULL, %(booking_new)s, %(now)s)",
    "outbox": "INSERT INTO outbox (tenant_id, event_id, aggregate, event_type, payload,"
    " occurred_at, status, attempts, available_at) VALUES"
    " (%(tid)s, gen_random_uuid(), %(balance_id)s, 'HoldChanged', %(hold_event)s, %(now)s,"
    " 'pending', 0, %(now)s),"
    " (%(tid)s, gen_random_uuid(), %(booking)s, 'BookingStatusChanged', %(booking_event)s,"
    " %(now)s, 'pending', 0, %(now)s)",
}


class LifoPool:
    """``size`` psycopg connections, the one returned last handed out first (as
    travelcore's engine does, so both sides reuse the connection a thread just used)."""

    def __init__(self, conninfo: str, size: int) -> None:
        self._idle: queue.LifoQueue[psycopg.Connection[Any]] = queue.LifoQueue()
        for _ in range(size):
            self._idle.put(psycopg.connect(conninfo, options="-c timezone=UTC"))

    @contextlib.contextmanager
    def connection(self) -> Iterator[psycopg.Connection[Any]]:
        conn = self._idle.get()
        try:
            yield conn
        finally:
            self._idle.put(conn)

    def close(self) -> None:
        while not self._idle.empty():
            self._idle.get().close()


def audit_values(params: dict[str, Any], seat: tuple[int, int]) -> dict[str, Jsonb]:
    """The audit entries' before and after of the balance (the hold placed), the session
    (the seat taken) and the booking (all its fields)."""
    tid, booking, balance, version = (
        params["tid"],
        str(params["booking"]),
        str(params["balance_id"]),
        params["position"],
    )
    now = T0.isoformat()
    hold = {
        "id": str(params["hold"]),
        "balance_id": balance,
        "booking_id": booking,
        "credits": params["credits"],
        "created_at": now,
        "expires_at": params["expires"].isoformat(),
        "status": "active",
        "resolved_at": None,
    }
    empty = dict.fromkeys(
        (
            "group_booking_id",
            "original_booking_id",
            "waitlist_entry_id",
            "confirmed_at",
            "cancelled_at",
            "cancellation_reason",
            "cancellation_notes",
            "refund_eligible",
            "attendance_marked_at",
            "attendance_marked_by",
            "completed_at",
        )
    )
    return {
        "balance_old": Jsonb({"holds": [], "version": version - 1}),
        "balance_new": Jsonb({"holds": [hold], "version": version}),
        "session_old": Jsonb({"booked_count": seat[0] - 1, "version": seat[1] - 1}),
        "session_new": Jsonb({"booked_count": seat[0], "version": seat[1]}),
        "booking_new": Jsonb(
            {
                "id": booking,
                "tenant_id": tid,
                "session_id": str(params["session"]),
                "child_id": str(params["child"]),
                "parent_id": str(params["parent"]),
                "credits_charged": params["credits"],
                "confirmation_code": params["code"],
                "balance_id": balance,
                "hold_id": hold["id"],
                "created_at": now,
                "status": "pending",
                "source": "browse",
                **empty,
                "credits_refunded": 0,
                "attendance_marked": False,
                "version": 1,
            }
        ),
    }


def events(params: dict[str, Any], actor: str) -> dict[str, Jsonb]:
    """The payloads of the two events a booking publishes through the outbox: the hold
    placed on the balance and the booking created."""
    common = {"tenant_id": params["tid"], "occurred_at": T0.isoformat(), "actor": actor}
    return {
        "hold_event": Jsonb(
            {
                **common,
                "reason": None,
                "balance_id": str(params["balance_id"]),
                "user_id": str(params["parent"]),
                "hold_id": str(params["hold"]),
                "booking_id": str(params["booking"]),
                "credits": params["credits"],
                "status": "active",
            }
        ),
        "booking_event": Jsonb(
            {
                **common,
                "reason": None,
                "booking_id": str(params["booking"]),
                "session_id": str(params["session"]),
                "child_id": str(params["child"]),
                "parent_id": str(params["parent"]),
                "from_status": None,
                "to_status": "pending",
                "credits": params["credits"],
            }
        ),
    }


def age(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def same_work_booker(pool: LifoPool, tenant: TenantId) -> Callable[[Item], None]:
    """By hand, with the rules travelcore applies: the idempotency key is locked, looked
    up and recorded; the session (locked, with its activity, venue and waitlist) and the
    child (with its bookings and waitlist entries) are read in one joined query each and
    checked; the balance holds the credits with a conditional UPDATE; the seat, the hold,
    the booking, the stored result, the audit entries and the two events (outbox) are
    written. Fourteen statements, one by one."""
    q = SAME_WORK

    def run(item: Item) -> None:
        session, parent, child, _ = item
        key = f"bench-{session}-{child}"
        request = json.dumps({"session": str(session), "child": str(child), "parent": str(parent)})
        params: dict[str, Any] = {
            "tid": str(tenant),
            "lock": f"idempotency:{tenant}:{key}",
            "key": key,
            "session": session,
            "child": child,
            "parent": parent,
            "today": T0.date(),
            "booking": uuid.uuid4(),
            "code": secrets.token_hex(5).upper(),
            "now": T0,
            "fingerprint": hashlib.sha256(request.encode()).hexdigest(),
        }
        with pool.connection() as conn, conn.transaction():
            conn.execute(BARE[0], params)
            conn.execute(q["lock"], params)
            if conn.execute(q["replay"], params).fetchone() is not None:
                return
            s = conn.execute(q["session"], params).fetchone()
            if s is None or s[0] or s[1] or s[2] <= T0 or s[5] < 1 or s[14]:
                raise RuntimeError("session not bookable")
            if not (s[6] and s[7]) or s[11] != "active":
                raise RuntimeError("activity or venue not bookable")
            if s[12] is None or s[12] < 1_000_000 or s[13] is None or s[13] < s[4]:
                raise RuntimeError("venue not insured")
            c = conn.execute(q["child"], params).fetchone()
            if c is None or c[0] != parent or not c[1] or c[3] or c[4]:
                raise RuntimeError("child not eligible")
            if not s[8] <= age(c[2], s[4]) <= s[9]:
                raise RuntimeError("age not eligible")
            params["credits"] = s[10]
            held = conn.execute(q["hold"], params).fetchone()
            if held is None:
                raise RuntimeError("insufficient credits")
            params["balance_id"], params["position"] = held
            params["expires"] = s[3] + timedelta(days=7)
            seat = conn.execute(q["seat"], params).fetchone()
            params["hold"] = uuid.uuid4()
            conn.execute(q["insert_hold"], params)
            conn.execute(q["insert_booking"], params)
            params["result"] = Jsonb({"booking_id": str(params["booking"]), "code": params["code"]})
            conn.execute(q["record"], params)
            conn.execute(q["audit"], params | audit_values(params, cast(tuple[int, int], seat)))
            conn.execute(q["outbox"], params | events(params, f"user:{parent}"))

    return run


def bare_booker(pool: LifoPool, tenant: TenantId) -> Callable[[Item], None]:
    """The least a booking can do: set the tenant, take a seat and hold the credits with
    conditional UPDATEs, insert the hold and the booking (no idempotency, no eligibility
    reads). Five statements."""
    set_tenant, take_seat, hold, insert_hold, insert_booking = BARE

    def run(item: Item) -> None:
        session, parent, child, balance = item
        params = {
            "tid": str(tenant),
            "session": session,
            "balance": balance,
            "child": child,
            "parent": parent,
            "credits": CREDITS,
            "booking": uuid.uuid4(),
            "code": secrets.token_hex(5).upper(),
            "now": T0,
            "expires": T0 + timedelta(days=7),
        }
        with pool.connection() as conn, conn.transaction():
            conn.execute(set_tenant, params)
            if conn.execute(take_seat, params).fetchone() is None:
                raise RuntimeError("session full")
            row = conn.execute(hold, params).fetchone()
            if row is None:
                raise RuntimeError("insufficient credits")
            conn.execute(insert_hold, {**params, "position": row[0]})
            conn.execute(insert_booking, params)

    return run


def drain(book: Callable[[Item], None], items: list[Item], threads: int) -> float:
    """Seconds for ``threads`` workers to book ``items``."""
    work: queue.SimpleQueue[Item] = queue.SimpleQueue()
    for item in items:
        work.put(item)
    errors: list[BaseException] = []

    def worker() -> None:
        while True:
            try:
                item = work.get_nowait()
            except queue.Empty:
                return
            try:
                book(item)
            except Exception as error:
                errors.append(error)
                return

    started = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return elapsed


def measure(
    runs: dict[str, tuple[Callable[[Item], None], list[Item]]], threads: int, size: int
) -> dict[str, float]:
    """Bookings per second of each implementation, taking turns in slices of ``size``
    (the order of turns rotates from slice to slice)."""
    names = list(runs)
    elapsed = dict.fromkeys(names, 0.0)
    count = len(next(iter(runs.values()))[1])
    for n, start in enumerate(range(0, count, size)):
        for name in names[n % len(names) :] + names[: n % len(names)]:
            book, items = runs[name]
            elapsed[name] += drain(book, items[start : start + size], threads)
    return {name: count / elapsed[name] for name in names}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bookings", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--slice", type=int, default=100)
    parser.add_argument(
        "--paths", default="fast,portable", help="statement paths of travelcore, comma-separated"
    )
    args = parser.parse_args()
    paths = [cast(StatementPath, path) for path in args.paths.split(",")]
    with superuser_url() as url:
        db = provision_database(url)
        app_url = db.app_url.render_as_string(hide_password=False)
        conninfo = app_url.replace("postgresql+psycopg", "postgresql")
        databases = {
            path: PostgresDatabase(
                app_url, pool_size=args.threads, retry_attempts=20, statement_path=path
            )
            for path in paths
        }
        database = databases[paths[0]]  # sets the tenants up
        pool = LifoPool(conninfo, args.threads)
        bookers: dict[str, Callable[[World], Callable[[Item], None]]] = {
            **{path: functools.partial(travelcore_booker, pg) for path, pg in databases.items()},
            "same work": lambda world: same_work_booker(pool, world.tenant),
            "bare": lambda world: bare_booker(pool, world.tenant),
        }
        try:
            rows = []
            for label, threads in (("contended", args.threads), ("single", 1)):
                runs = {}
                for name, booker in bookers.items():
                    world, items = setup(database, args.bookings)
                    runs[name] = (booker(world), items)
                rows.append((label, threads, measure(runs, threads, args.slice)))
        finally:
            pool.close()
            for pg in databases.values():
                pg.dispose()
    print(
        f"{'run':<10} {'threads':>7} {'path':>9} {'travelcore/s':>13} {'same work/s':>12}"
        f" {'ratio':>6} {'bare/s':>7} {'ratio':>6}"
    )
    for label, threads, rate in rows:
        same, bare = rate["same work"], rate["bare"]
        for path in paths:
            tc = rate[path]
            print(
                f"{label:<10} {threads:>7} {path:>9} {tc:>13.0f} {same:>12.0f}"
                f" {tc / same:>6.2f} {bare:>7.0f} {tc / bare:>6.2f}"
            )
    print(
        f"({args.bookings} bookings per implementation and run, turns of {args.slice},"
        f" {SESSIONS} sessions, PostgreSQL {psycopg.pq.version()} client)"
    )


if __name__ == "__main__":
    main()
