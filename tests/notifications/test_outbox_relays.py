"""The outbox under fire on PostgreSQL: a relay process SIGKILLed 20 times while eight
threads commit and roll back events, three relays at once, and the wake-ups commits send."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest
from sqlalchemy import text

from travelcore.kernel import (
    DomainEvent,
    OutboxMessage,
    RetryPolicy,
    SystemClock,
    TenantId,
    new_uuid,
)
from travelcore.outbox import OutboxStatus, Relay, RelayReport
from travelcore.testing.outbox import ThingCounted, counted
from travelcore_adapters.postgres import PostgresDatabase
from travelcore_adapters.postgres.outbox import PostgresOutbox, waker
from travelcore_adapters.postgres.provision import ProvisionedDatabase, admin_connection

from .effects import INSERT, EffectWriter, create_effects, disorder

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def admin(outbox_database: ProvisionedDatabase) -> Iterator[psycopg.Connection[Any]]:
    with admin_connection(outbox_database.superuser_url, outbox_database.name) as conn:
        create_effects(conn, outbox_database.app_role)
        conn.execute("TRUNCATE effects")
        yield conn


class Producers:
    """``threads`` threads each committing ``commits`` events and rolling back ``rollbacks``
    more, on aggregates of their own (so each aggregate's events count up in commit order);
    rolled-back events carry ``n = -1``."""

    def __init__(self, db: PostgresDatabase, threads: int, commits: int, rollbacks: int) -> None:
        self.db = db
        self.tenants = [TenantId(new_uuid()) for _ in range(2)]
        self.committed: set[tuple[str, int]] = set()
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._run, args=(i, commits, rollbacks)) for i in range(threads)
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def join(self) -> None:
        for thread in self._threads:
            thread.join()

    def _run(self, seed: int, commits: int, rollbacks: int) -> None:
        rng = random.Random(seed)
        tenant = self.tenants[seed % len(self.tenants)]
        things: dict[UUID, int] = {new_uuid(): 0 for _ in range(8)}
        plan = [True] * commits + [False] * rollbacks
        rng.shuffle(plan)
        for commit in plan:
            thing = rng.choice(list(things))
            n = things[thing] + 1
            with self.db(tenant) as uow:
                uow.emit(counted(tenant, thing, n if commit else -1))
                if commit:
                    uow.commit()
            if commit:
                things[thing] = n
                with self._lock:
                    self.committed.add((str(thing), n))


def pending(admin: psycopg.Connection[Any]) -> int:
    row = admin.execute("SELECT count(*) FROM outbox WHERE status <> 'delivered'").fetchone()
    assert row is not None
    return int(row[0])


def effects(admin: psycopg.Connection[Any]) -> list[tuple[str, int, str]]:
    return [
        (str(a), int(n), str(r))
        for a, n, r in admin.execute("SELECT aggregate, n, relay FROM effects ORDER BY applied")
    ]


def wait_until_delivered(admin: psycopg.Connection[Any], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while pending(admin) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert pending(admin) == 0


def check_exactly_once(
    admin: psycopg.Connection[Any], committed: set[tuple[str, int]]
) -> list[tuple[str, int, str]]:
    rows = effects(admin)
    applied = [(a, n) for a, n, _ in rows]
    assert not [n for _, n in applied if n < 0], "a rolled-back event was delivered"
    assert len(applied) == len(set(applied)), "an event was applied twice"
    assert set(applied) == committed, "a committed event was not applied"
    assert disorder(applied) == []
    return rows


def test_a_relay_killed_20_times_delivers_every_committed_event_once_and_no_rolled_back_one(
    outbox_database: ProvisionedDatabase,
    outbox_postgres: PostgresDatabase,
    admin: psycopg.Connection[Any],
    tmp_path: Path,
) -> None:
    log = tmp_path / "handled.log"
    url = outbox_database.app_url.render_as_string(hide_password=False)
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}

    forker = subprocess.Popen(
        [sys.executable, "-m", "tests.notifications.relay_worker", url, str(log)],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    stdin, stdout = forker.stdin, forker.stdout
    assert stdin is not None
    assert stdout is not None

    def start() -> int:
        stdin.write("spawn\n")
        stdin.flush()
        return int(stdout.readline())

    def alive(pid: int) -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True

    producers = Producers(outbox_postgres, threads=8, commits=625, rollbacks=125)
    producers.start()
    rng = random.Random(7)
    kills = 0
    relay = start()
    try:
        while kills < 20:
            time.sleep(rng.uniform(0.05, 0.3))
            assert alive(relay)
            os.kill(relay, signal.SIGKILL)
            kills += 1
            relay = start()
        producers.join()
        wait_until_delivered(admin)
    finally:
        os.kill(relay, signal.SIGKILL)
        stdin.close()
        forker.wait()
        stdout.close()
    assert len(producers.committed) == 5000
    check_exactly_once(admin, producers.committed)
    handled = log.read_text().split()
    print(f"{len(handled) - len(set(handled))} deliveries were repeated after a kill")


def test_three_relays_at_once_apply_each_event_once_in_order_per_aggregate(
    outbox_postgres: PostgresDatabase, admin: psycopg.Connection[Any]
) -> None:
    stop = threading.Event()
    stores = [PostgresOutbox(outbox_postgres.engine) for _ in range(3)]
    relays = [
        Relay(
            outbox_postgres,
            SystemClock(),
            outbox=store,
            consumers=[EffectWriter(f"relay-{i}")],
            batch_size=20,
        )
        for i, store in enumerate(stores)
    ]
    threads = [
        threading.Thread(target=r.run_forever, args=(stop, timedelta(seconds=0.2))) for r in relays
    ]
    producers = Producers(outbox_postgres, threads=4, commits=400, rollbacks=50)
    for thread in threads:
        thread.start()
    try:
        producers.start()
        producers.join()
        wait_until_delivered(admin)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        for store in stores:
            store.close()
    rows = check_exactly_once(admin, producers.committed)
    assert {relay for _, _, relay in rows} == {"relay-0", "relay-1", "relay-2"}  # all worked


def test_the_order_check_catches_a_swap() -> None:
    assert disorder([("a", 1), ("b", 1), ("a", 3), ("a", 2)]) == ["a"]


def commit(db: PostgresDatabase, tenant: TenantId, *events: DomainEvent) -> None:
    with db(tenant) as uow:
        uow.emit(*events)
        uow.commit()


class Transactions:
    """Records, per event, the transaction and the tenant the consumer ran in, and fails
    with a database error (a division by zero) on the things it is told to."""

    name = "transactions"

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str]] = []
        self.failing: set[UUID] = set()

    def handle(self, uow: Any, message: OutboxMessage) -> None:
        event = message.event()
        assert isinstance(event, ThingCounted)
        divisor = 0 if event.thing_id in self.failing else 1
        xact, tenant = uow.execute(
            text("SELECT pg_current_xact_id()::text, current_setting('app.tenant_id'), 1 / :d"),
            {"d": divisor},
        ).one()[:2]
        uow.execute(
            INSERT,
            {
                "event_id": message.event_id,
                "aggregate": message.aggregate,
                "n": event.n,
                "relay": "t",
            },
        )
        self.seen.append((xact, tenant, str(message.tenant_id)))


def test_a_batch_runs_its_consumers_in_the_claims_transaction_as_each_tenant(
    outbox_postgres: PostgresDatabase, admin: psycopg.Connection[Any]
) -> None:
    consumer, store = Transactions(), PostgresOutbox(outbox_postgres.engine)
    tenants = [TenantId(new_uuid()) for _ in range(3)]
    for tenant in tenants:
        commit(outbox_postgres, tenant, counted(tenant, new_uuid(), 1))
    try:
        relay = Relay(outbox_postgres, SystemClock(), outbox=store, consumers=[consumer])
        assert relay.run_once().delivered == 3
    finally:
        store.close()
    assert len({xact for xact, _, _ in consumer.seen}) == 1  # one transaction per batch
    assert [(tenant, expected) for _, tenant, expected in consumer.seen] == [
        (str(t), str(t)) for t in tenants
    ]
    assert len(effects(admin)) == 3
    assert pending(admin) == 0


def test_a_database_error_in_a_consumer_undoes_only_its_aggregate_in_the_batch(
    outbox_postgres: PostgresDatabase, admin: psycopg.Connection[Any]
) -> None:
    consumer, store = Transactions(), PostgresOutbox(outbox_postgres.engine)
    tenant, good, bad = TenantId(new_uuid()), new_uuid(), new_uuid()
    commit(
        outbox_postgres,
        tenant,
        counted(tenant, good, 1),
        counted(tenant, bad, 1),
        counted(tenant, good, 2),
        counted(tenant, bad, 2),
    )
    consumer.failing.add(bad)
    relay = Relay(
        outbox_postgres,
        SystemClock(),
        outbox=store,
        consumers=[consumer],
        retry=RetryPolicy(base=timedelta(milliseconds=1)),
    )
    try:
        assert relay.run_once() == RelayReport(delivered=2, retried=1)
        assert [(a, n) for a, n, _ in effects(admin)] == [(str(good), 1), (str(good), 2)]
        [failed, waiting] = store.entries(tenant, OutboxStatus.PENDING)
        assert (failed.attempts, waiting.attempts) == (1, 0)
        assert failed.last_error is not None
        assert "division by zero" in failed.last_error
        consumer.failing.clear()
        time.sleep(0.01)  # the retry falls due
        assert relay.drain() == RelayReport(delivered=2)
    finally:
        store.close()
    assert [(a, n) for a, n, _ in effects(admin)] == [
        (str(good), 1),
        (str(good), 2),
        (str(bad), 1),
        (str(bad), 2),
    ]


def test_a_commit_while_the_waker_rests_after_a_notification_still_wakes_the_relays(
    outbox_postgres: PostgresDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(waker(outbox_postgres.engine), "GAP", 1.0)
    store, tenant = PostgresOutbox(outbox_postgres.engine), TenantId(new_uuid())
    try:
        while store.wait(0.1):  # listening from now on; earlier wake-ups are drained
            pass
        commit(outbox_postgres, tenant, counted(tenant, new_uuid(), 1))
        assert store.wait(30)
        commit(outbox_postgres, tenant, counted(tenant, new_uuid(), 2))  # within the rest
        assert store.wait(30)
    finally:
        store.close()
