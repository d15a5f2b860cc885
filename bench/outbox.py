"""Events per second through travelcore's outbox and relay on PostgreSQL vs a hand-written
queue (``INSERT``, then ``SELECT ... FOR UPDATE SKIP LOCKED`` + ``DELETE`` in a loop) on the
same server, in one run, and commit-to-delivery latency with ``LISTEN/NOTIFY``.

    python -m bench.outbox                    # 5,000 events per run, 4 producer threads
    python -m bench.outbox --events 20000 --batch 500

Both sides deliver to the same kind of consumer: one with exactly-once effects, which
records each event in an inbox table in the transaction that takes the batch, and then
counts it. travelcore's relay claims a batch, runs the consumer in a unit of work enlisted
in the claim's transaction (a savepoint; its inbox admits the events) and deletes the
delivered messages in the same commit (``PostgresOutbox(engine, keep_delivered=False)``;
``--keep-delivered`` measures the default store, which marks them delivered for the
retention purge instead); the baseline selects a batch ``FOR UPDATE SKIP LOCKED``, inserts
its ids into its inbox (``ON CONFLICT DO NOTHING RETURNING``), hands the new ones to the
consumer and deletes the batch, in one transaction.

- **drain**: a backlog of ``--events`` events per side (committed 100 per transaction) is
  delivered by one relay per side, the two taking turns batch by batch, each side's
  batches timed on their own.
- **end to end**: ``--producers`` threads commit one event per transaction (travelcore: a
  unit of work's commit, which writes the outbox row, then wakes the relays with
  ``pg_notify`` from a connection of its own, commits within 2 ms of a notification
  sharing the next; baseline: one ``INSERT`` in a transaction) while one relay delivers;
  from the first commit to the last delivery.
- **latency**: one producer commits an event every 5 ms while a relay sleeps on ``LISTEN``
  (polling only every 5 s); commit (before the call) to the consumer's call, p50 and p99.

Past its inbox the consumer does nothing but count, so the figures are the delivery
machinery's. Both sides connect as the application role, deliver in batches of
``--batch`` and commit their deliveries with ``synchronous_commit = off`` (a lost commit
means a repeated delivery, which travelcore's inbox absorbs). Each phase runs ``--rounds``
rounds (each on fresh rows; end to end, one run per side, the order alternating) and
reports the median rates and the median (and range) of the per-round ratios: on a shared
machine single runs swing widely.

PostgreSQL: ``TRAVELCORE_BENCH_DATABASE_URL`` (a superuser ``postgresql://`` URL) or an
embedded server.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from bench.bookings import superuser_url
from travelcore.kernel import OutboxMessage, SystemClock, TenantId, new_uuid, to_data
from travelcore.outbox import Relay
from travelcore.testing.outbox import counted
from travelcore_adapters.postgres import PostgresDatabase
from travelcore_adapters.postgres.outbox import PostgresOutbox
from travelcore_adapters.postgres.provision import admin_connection, provision_database

QUEUE = """
CREATE TABLE bench_queue (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id uuid NOT NULL,
    event_id uuid NOT NULL,
    payload jsonb NOT NULL
)
"""
INBOX = """
CREATE TABLE bench_inbox (
    consumer text NOT NULL,
    event_id uuid NOT NULL,
    PRIMARY KEY (consumer, event_id)
)
"""


class Counter:
    name = "counter"

    def __init__(self) -> None:
        self.count = 0
        self.seen_at: dict[int, float] = {}
        self.lock = threading.Lock()

    def handle(self, uow: Any, message: OutboxMessage) -> None:
        self.apply(int(message.payload["n"]))

    def apply(self, n: int) -> None:
        with self.lock:
            self.count += 1
            self.seen_at[n] = time.perf_counter()


class Travelcore:
    def __init__(self, database: PostgresDatabase, batch: int, keep_delivered: bool) -> None:
        self.database = database
        self.tenant = TenantId(new_uuid())
        self.counter = Counter()
        self.store = PostgresOutbox(database.engine, keep_delivered=keep_delivered)
        self.relay = Relay(
            database, SystemClock(), outbox=self.store, consumers=[self.counter], batch_size=batch
        )
        self.things = [new_uuid() for _ in range(64)]

    def produce(self, numbers: range, per_transaction: int = 1) -> None:
        for start in range(0, len(numbers), per_transaction):
            with self.database(self.tenant) as uow:
                for n in numbers[start : start + per_transaction]:
                    uow.emit(counted(self.tenant, self.things[n % 64], n))
                uow.commit()

    def deliver_once(self) -> int:
        return self.relay.run_once().delivered

    def close(self) -> None:
        self.store.close()


class Baseline:
    def __init__(self, conninfo: str, batch: int) -> None:
        self.conninfo = conninfo
        self.batch = batch
        self.tenant = TenantId(new_uuid())
        self.counter = Counter()
        self.consumer = psycopg.connect(conninfo)
        self.local = threading.local()

    def _producer(self) -> psycopg.Connection[Any]:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = psycopg.connect(self.conninfo, autocommit=True)
        return conn

    def produce(self, numbers: range, per_transaction: int = 1) -> None:
        conn = self._producer()
        thing = new_uuid()
        for start in range(0, len(numbers), per_transaction):
            rows = [
                (self.tenant, new_uuid(), Jsonb(to_data(counted(self.tenant, thing, n))))
                for n in numbers[start : start + per_transaction]
            ]
            with conn.transaction(), conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO bench_queue (tenant_id, event_id, payload) VALUES (%s, %s, %s)",
                    rows,
                )

    def deliver_once(self) -> int:
        conn = self.consumer
        with conn.transaction():
            conn.execute("SET LOCAL synchronous_commit = off")  # as travelcore's relay
            rows = conn.execute(
                "SELECT id, event_id, payload FROM bench_queue ORDER BY id LIMIT %s"
                " FOR UPDATE SKIP LOCKED",
                (self.batch,),
            ).fetchall()
            if rows:
                fresh = {
                    event_id
                    for (event_id,) in conn.execute(
                        "INSERT INTO bench_inbox (consumer, event_id)"
                        " SELECT 'counter', unnest(%s::uuid[]) ON CONFLICT DO NOTHING"
                        " RETURNING event_id",
                        ([r[1] for r in rows],),
                    )
                }
                for _, event_id, payload in rows:
                    if event_id in fresh:
                        self.counter.apply(int(payload["n"]))
                conn.execute("DELETE FROM bench_queue WHERE id = ANY(%s)", ([r[0] for r in rows],))
        return len(rows)

    def close(self) -> None:
        self.consumer.close()


Impl = Travelcore | Baseline


def run_drain(impls: dict[str, Impl], events: int) -> dict[str, float]:
    """Both backlogs drained batch by batch in turn (each batch timed on its own), so the
    two sides meet the same load."""
    for impl in impls.values():
        impl.produce(range(events), per_transaction=100)
    elapsed = dict.fromkeys(impls, 0.0)
    busy = set(impls)
    while busy:
        for name in sorted(busy):
            start = time.perf_counter()
            delivered = impls[name].deliver_once()
            elapsed[name] += time.perf_counter() - start
            if not delivered:
                busy.discard(name)
    for impl in impls.values():
        assert impl.counter.count == events
    return {name: events / seconds for name, seconds in elapsed.items()}


def run_end_to_end(impl: Impl, events: int, producers: int) -> float:
    share = events // producers
    threads = [
        threading.Thread(target=impl.produce, args=(range(i * share, (i + 1) * share),))
        for i in range(producers)
    ]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    while impl.counter.count < share * producers:
        if not impl.deliver_once():
            time.sleep(0.001)
    elapsed = time.perf_counter() - start
    for thread in threads:
        thread.join()
    return share * producers / elapsed


def run_latency(impl: Travelcore, events: int) -> tuple[float, float]:
    stop = threading.Event()
    relay = threading.Thread(target=impl.relay.run_forever, args=(stop, timedelta(seconds=5)))
    relay.start()
    committed: dict[int, float] = {}
    try:
        time.sleep(0.2)
        for n in range(events):
            committed[n] = time.perf_counter()
            impl.produce(range(n, n + 1))
            time.sleep(0.005)
        deadline = time.monotonic() + 30
        while impl.counter.count < events and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        stop.set()
        relay.join()
    waits = sorted((impl.counter.seen_at[n] - committed[n]) * 1000 for n in committed)
    return statistics.median(waits), waits[int(len(waits) * 0.99) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--producers", type=int, default=4)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--latency-events", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--keep-delivered",
        action="store_true",
        help="travelcore keeps delivered messages for the retention purge (the default store)",
    )
    args = parser.parse_args()
    with superuser_url() as url:
        db = provision_database(url)
        app_url = db.app_url.render_as_string(hide_password=False)
        conninfo = app_url.replace("postgresql+psycopg", "postgresql")
        with admin_connection(url, db.name) as admin:
            admin.execute(QUEUE)
            admin.execute(INBOX)
            for table in ("bench_queue", "bench_inbox"):
                admin.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO "{db.app_role}"')
        database = PostgresDatabase(app_url, pool_size=args.producers + 2)
        makers: dict[str, Callable[[], Impl]] = {
            "travelcore": lambda: Travelcore(database, args.batch, args.keep_delivered),
            "baseline": lambda: Baseline(conninfo, args.batch),
        }
        results: dict[str, dict[str, list[float]]] = {"drain": {}, "end to end": {}}
        try:
            for _ in range(args.rounds):
                with closing(makers["travelcore"]()) as tc, closing(makers["baseline"]()) as base:
                    rates = run_drain({"travelcore": tc, "baseline": base}, args.events)
                for name, rate in rates.items():
                    results["drain"].setdefault(name, []).append(rate)
            for round in range(args.rounds):
                order = ("baseline", "travelcore")[:: 1 if round % 2 else -1]
                for name in order:
                    with closing(makers[name]()) as impl:
                        rate = run_end_to_end(impl, args.events, args.producers)
                        results["end to end"].setdefault(name, []).append(rate)
            listener = Travelcore(database, args.batch, args.keep_delivered)
            with closing(listener):
                p50, p99 = run_latency(listener, args.latency_events)
        finally:
            database.dispose()
    print(f"{'phase':<11} {'travelcore ev/s':>15} {'baseline ev/s':>14} {'ratio':>6} {'range':>10}")
    for phase, measured in results.items():
        ours, theirs = measured["travelcore"], measured["baseline"]
        ratios = sorted(t / b for t, b in zip(ours, theirs, strict=True))
        spread = f"{ratios[0]:.2f}-{ratios[-1]:.2f}"
        ratio = statistics.median(ratios)
        ours_median, theirs_median = statistics.median(ours), statistics.median(theirs)
        print(f"{phase:<11} {ours_median:>15.0f} {theirs_median:>14.0f} {ratio:>6.2f} {spread:>10}")
    print(
        f"commit-to-delivery latency with LISTEN/NOTIFY: p50 {p50:.1f} ms, p99 {p99:.1f} ms"
        f" ({args.latency_events} events)"
    )
    print(
        f"({args.events} events per run, {args.rounds} rounds, batches of {args.batch},"
        f" {args.producers} producers, delivered messages"
        f" {'kept' if args.keep_delivered else 'deleted'},"
        f" PostgreSQL {psycopg.pq.version()} client)"
    )


@contextlib.contextmanager
def closing(impl: Impl) -> Iterator[Impl]:
    try:
        yield impl
    finally:
        impl.close()


if __name__ == "__main__":
    main()
