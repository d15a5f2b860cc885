"""Natural-language search on PostgreSQL + pgvector: latency per stage through travelcore's
``ActivitySearch``, and the whole search against the bare vector query and enrichment SQL
written by hand, on the same server and data, in one run.

    python -m bench.search                         # 10,000 activities, hashing embedder
    python -m bench.search --activities 2000 --rounds 1 --embedder minilm

Data: the relevance set's 67 activities (``bench/data``), copied until ``--activities``
(each copy on its own venue, 13 venues per copy round), each with its sessions over the next
week, written through the catalog repositories; their vectors bulk-loaded into a pgvector
table with ``min_age``, ``max_age`` and ``credits`` declared, then the HNSW index built.
Queries: the relevance set's 123 parent queries, ``--rounds`` times.

Stages of travelcore, timed around each port call: parse (``IntentParser.parse``), embed
(``Embedder.embed``), vector query (``VectorStore.query``), enrich (``ActivityReader.views``
of ``PostgresActivityReader``: one statement for all candidates) and log (the unit of work
that writes the search log row); "other" is the rest of the search
(the parent's location, the filter, ranking).

The baseline gets the parsed intent for free (parsed before timing) and then does the least
a search can do: embed with the same embedder, one vector query with the intent's hard
constraints written by hand as SQL (same HNSW settings, no exact re-run when the index comes
back short), and one enrichment statement (activities joined to their venue and their next
three open sessions). No log. travelcore and the baseline take turns query by query.

PostgreSQL: ``TRAVELCORE_BENCH_DATABASE_URL`` (a superuser ``postgresql://`` URL) or an
embedded server.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from decimal import Decimal
from typing import Any

import numpy as np
import psycopg
from pgvector.psycopg import register_vector
from sqlalchemy import create_engine

from bench.relevance import document, load
from travelcore.catalog import Activity, ActivityCategory, Session, Venue, VenueStatus
from travelcore.discovery import RuleBasedIntentParser, StraightLineTravelTime, activity_metadata
from travelcore.discovery.intent import SearchIntent
from travelcore.discovery.places import Places
from travelcore.discovery.search import ActivitySearch
from travelcore.kernel import ManualClock, TenantId, UserId, new_uuid
from travelcore.testing.actors import admin
from travelcore.vectors import HashingEmbedder, namespace_for
from travelcore.vectors.ports import Embedder
from travelcore_adapters.memory.text_search import MemoryTextSearch
from travelcore_adapters.pgvector import PgVectorStore, create_schema, create_vector_index
from travelcore_adapters.postgres import PostgresDatabase
from travelcore_adapters.postgres.activity_reader import PostgresActivityReader
from travelcore_adapters.postgres.provision import embedded_server, provision_database

T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)
TIMES = {"morning": clock_time(10), "afternoon": clock_time(15, 30), "evening": clock_time(18)}
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TABLE = "bench_search"
FIELDS: dict[str, Any] = {"min_age": "number", "max_age": "number", "credits": "number"}
STAGES = ("parse", "embed", "vector query", "enrich", "log", "other")


@contextlib.contextmanager
def superuser_url() -> Iterator[str]:
    url = os.environ.get("TRAVELCORE_BENCH_DATABASE_URL")
    if url:
        yield url
        return
    with embedded_server() as url:
        yield url


def make_embedder(name: str) -> Embedder:
    if name == "minilm":
        from travelcore_adapters.onnx import all_minilm_l6_v2

        return all_minilm_l6_v2()
    return HashingEmbedder(384)


def seed(
    database: PostgresDatabase, tenant: TenantId, n: int
) -> list[tuple[str, str, dict[str, Any]]]:
    """``n`` activities with their venues and sessions; ``(id, text, metadata)`` of each."""
    world, _ = load()
    base = world["activities"]
    docs: list[tuple[str, str, dict[str, Any]]] = []
    with database(tenant) as uow:
        for start in range(0, n, len(base)):
            venues = {}
            for v in world["venues"]:
                venue = Venue.apply(
                    tenant,
                    name=f"{v['name']} {start}",
                    slug=f"{v['id']}-{start}",
                    insurance_coverage=Decimal(2_000_000),
                    insurance_expiry_date=date(2030, 12, 31),
                )
                venue.status = VenueStatus.ACTIVE
                uow.venues.add(venue)
                venues[v["id"]] = venue
            for a in base[: n - start]:
                activity = Activity.create(
                    tenant,
                    venue_id=venues[a["venue"]].id,
                    name=a["name"],
                    category=ActivityCategory(a["category"]),
                    min_age=a["min_age"],
                    max_age=a["max_age"],
                    duration_minutes=60,
                    credits_required=a["credits"],
                    capacity_per_session=8,
                    tags=tuple(a["tags"]),
                    is_published=True,
                )
                uow.activities.add(activity)
                for offset in range(1, 8):
                    day = T0.date() + timedelta(days=offset)
                    if DAYS[day.weekday()] not in a["days"]:
                        continue
                    for slot in a["times"]:
                        begin = TIMES[slot]
                        uow.sessions.add(
                            Session.create(
                                tenant,
                                activity=activity,
                                session_date=day,
                                start_time=begin,
                                end_time=clock_time(begin.hour + 1, begin.minute),
                                timezone="UTC",
                                total_capacity=8,
                            )
                        )
                metadata = activity_metadata(
                    category=a["category"],
                    min_age=a["min_age"],
                    max_age=a["max_age"],
                    credits=a["credits"],
                    venue_id=str(venues[a["venue"]].id),
                    tags=tuple(a["tags"]),
                    days=tuple(a["days"]),
                    times=tuple(a["times"]),
                )
                docs.append((str(activity.id), document(a), metadata))
        uow.commit()
    return docs


class Stopwatch:
    """Seconds spent per stage in the current search."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = defaultdict(float)

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.spent[name] += time.perf_counter() - started

    def wrap(self, name: str, call: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            with self.stage(name):
                return call(*args, **kwargs)

        return timed


class Timed:
    """A port whose one method runs under a stage of the stopwatch."""

    def __init__(self, port: Any, method: str, watch: Stopwatch, stage: str) -> None:
        self._port = port
        setattr(self, method, watch.wrap(stage, getattr(port, method)))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._port, name)


def timed_log(database: PostgresDatabase, watch: Stopwatch) -> Callable[[TenantId], Any]:
    @contextlib.contextmanager
    def open_log(tenant_id: TenantId) -> Iterator[Any]:
        with watch.stage("log"), database(tenant_id) as uow:
            yield uow

    return open_log


def where_sql(intent: SearchIntent) -> tuple[str, dict[str, int | str | list[str]]]:
    """The intent's hard constraints as SQL over the vector table, by hand."""
    sql = ""
    params: dict[str, int | str | list[str]] = {}
    if intent.age is not None:
        sql += ' AND "f_min_age" <= %(age)s AND "f_max_age" >= %(age)s'
        params["age"] = intent.age
    if intent.max_credits is not None:
        sql += ' AND "f_credits" <= %(credits)s'
        params["credits"] = intent.max_credits
    if intent.categories:
        sql += " AND metadata->>'category' = ANY(%(cats)s)"
        params["cats"] = sorted(str(c) for c in intent.categories)
    if intent.excluded_categories:
        sql += " AND NOT metadata->>'category' = ANY(%(xcats)s)"
        params["xcats"] = sorted(str(c) for c in intent.excluded_categories)
    for n, tag in enumerate(sorted(intent.required_tags)):
        sql += f" AND metadata->'tags' ? %(tag{n})s"
        params[f"tag{n}"] = tag
    if intent.excluded_tags:
        sql += " AND NOT metadata->'tags' ?| %(xtags)s"
        params["xtags"] = sorted(intent.excluded_tags)
    if intent.times_of_day:
        sql += " AND metadata->'times' ?| %(times)s"
        params["times"] = sorted(str(t) for t in intent.times_of_day)
    if intent.days:
        sql += " AND metadata->'days' ?| %(days)s"
        params["days"] = sorted(intent.days)
    return sql, params


ENRICH = """
SELECT a.id, a.name, a.category, a.tags, a.credits_required, a.min_age, a.max_age,
       v.id, v.name, s.id, s.session_date, s.starts_at, s.free, s.time_of_day
FROM activities a
JOIN venues v ON v.tenant_id = a.tenant_id AND v.id = a.venue_id
JOIN LATERAL (
  SELECT s.id, s.session_date, s.starts_at, s.time_of_day,
         s.total_capacity - s.booked_count - s.offered_count AS free
  FROM activity_sessions s
  WHERE s.tenant_id = a.tenant_id AND s.activity_id = a.id AND NOT s.is_cancelled
    AND NOT s.is_completed AND s.starts_at > %(now)s AND s.starts_at < %(until)s
    AND s.total_capacity - s.booked_count - s.offered_count > 0
    AND (%(days)s::int[] IS NULL OR extract(isodow FROM s.session_date)::int = ANY(%(days)s))
    AND (%(times)s::text[] IS NULL OR s.time_of_day = ANY(%(times)s))
  ORDER BY s.starts_at LIMIT 3) s ON true
WHERE a.tenant_id = %(tid)s AND a.id = ANY(%(ids)s::uuid[]) AND a.is_published AND a.is_active
  AND v.status = 'active'
"""


def baseline(
    vectors: psycopg.Connection[Any],
    app: psycopg.Connection[Any],
    embedder: Embedder,
    tenant: TenantId,
) -> Callable[[str, SearchIntent], int]:
    namespace = namespace_for(tenant, "activities")

    def run(text: str, intent: SearchIntent) -> int:
        vector = np.asarray(embedder.embed([intent.topic or text])[0], dtype=np.float32)
        where, params = where_sql(intent)
        with vectors.transaction(), vectors.cursor() as cur:
            cur.execute(
                "SELECT set_config('hnsw.iterative_scan', 'strict_order', true),"
                " set_config('hnsw.ef_search', '100', true),"
                " set_config('hnsw.max_scan_tuples', '50000', true)"
            )
            cur.execute(
                f"SELECT id, 1 - (embedding <=> %(q)s) FROM {TABLE}"
                f" WHERE namespace = %(ns)s{where} ORDER BY embedding <=> %(q)s LIMIT 50",
                {"q": vector, "ns": namespace, **params},
            )
            found = cur.fetchall()
        with app.transaction(), app.cursor() as cur:
            cur.execute("SELECT set_config('app.tenant_id', %s, true)", (str(tenant),))
            cur.execute(
                ENRICH,
                {
                    "now": T0,
                    "until": T0 + timedelta(days=30),
                    "tid": tenant,
                    "ids": [row[0] for row in found],
                    "days": [DAYS.index(d) + 1 for d in intent.days] or None,
                    "times": sorted(str(t) for t in intent.times_of_day) or None,
                },
            )
            return len({row[0] for row in cur.fetchall()})

    return run


def pct(values: Sequence[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--activities", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--embedder", choices=("hashing", "minilm"), default="hashing")
    args = parser.parse_args()
    embedder = make_embedder(args.embedder)
    _, queries = load()
    with superuser_url() as url:
        db = provision_database(url)
        app_url = db.app_url.render_as_string(hide_password=False)
        owner_url = db.owner_url.render_as_string(hide_password=False)
        database = PostgresDatabase(app_url, pool_size=2)
        owner = create_engine(owner_url)
        tenant, user = TenantId(new_uuid()), UserId(new_uuid())
        started = time.perf_counter()
        docs = seed(database, tenant, args.activities)
        create_schema(owner, 384, TABLE, fields=FIELDS, app_role=db.app_role, defer_index=True)
        store = PgVectorStore(owner, 384, table=TABLE, fields=FIELDS)
        namespace = namespace_for(tenant, "activities")
        vectors = np.asarray(embedder.embed([t for _, t, _ in docs]), dtype=np.float32)
        store.bulk_load_arrays(namespace, [i for i, _, _ in docs], vectors, [m for *_, m in docs])
        create_vector_index(owner, TABLE)
        setup = time.perf_counter() - started
        watch = Stopwatch()
        search = ActivitySearch(
            parser=Timed(RuleBasedIntentParser(), "parse", watch, "parse"),
            embedder=Timed(embedder, "embed", watch, "embed"),
            store=Timed(store, "query", watch, "vector query"),
            text_search=MemoryTextSearch(),
            reader=Timed(PostgresActivityReader(database), "views", watch, "enrich"),
            places=Places(database),
            travel=StraightLineTravelTime(),
            log_uow=timed_log(database, watch),
            clock=ManualClock(T0),
        )
        plain = RuleBasedIntentParser()
        libpq = owner_url.replace("postgresql+psycopg", "postgresql")
        with (
            psycopg.connect(libpq) as vconn,
            psycopg.connect(app_url.replace("postgresql+psycopg", "postgresql")) as aconn,
        ):
            register_vector(vconn)
            bare = baseline(vconn, aconn, embedder, tenant)
            stages: dict[str, list[float]] = defaultdict(list)
            totals: dict[str, list[float]] = defaultdict(list)
            hits = enriched = 0
            work = [(q["text"], q.get("child_age")) for q in queries] * args.rounds
            for text, age in work[:20]:  # warm-up: caches, pools, prepared plans
                search.search(tenant, user, text, child_age=age, actor=admin(tenant))
                bare(text, plain.parse(text, child_age=age))
            for n, (text, age) in enumerate(work):
                intent = plain.parse(text, child_age=age)
                for turn in (0, 1) if n % 2 else (1, 0):
                    begin = time.perf_counter()
                    if turn == 0:
                        watch.spent.clear()
                        hits += len(
                            search.search(
                                tenant, user, text, child_age=age, actor=admin(tenant)
                            ).hits
                        )
                        total = time.perf_counter() - begin
                        for stage in STAGES[:-1]:
                            stages[stage].append(watch.spent[stage])
                        stages["other"].append(total - sum(watch.spent.values()))
                        totals["travelcore"].append(total)
                    else:
                        enriched += bare(text, intent)
                        totals["baseline"].append(time.perf_counter() - begin)
        database.dispose()
        owner.dispose()
    print(
        f"{args.activities:,} activities, {len(work)} searches per implementation,"
        f" {args.embedder} embedder, setup {setup:.0f} s, {hits / len(work):.1f} hits"
        f" per search, baseline"
        f" {enriched / len(work):.1f} activities enriched per search"
    )
    print(f"{'stage':<14}{'p50 ms':>9}{'p95 ms':>9}")
    for stage in STAGES:
        print(f"{stage:<14}{pct(stages[stage], 50):>9.2f}{pct(stages[stage], 95):>9.2f}")
    for name in ("travelcore", "baseline"):
        print(f"{name:<14}{pct(totals[name], 50):>9.2f}{pct(totals[name], 95):>9.2f}")
    mean = statistics.fmean
    print(
        f"travelcore / baseline: mean {mean(totals['travelcore']) / mean(totals['baseline']):.2f}x,"
        f" p50 {pct(totals['travelcore'], 50) / pct(totals['baseline'], 50):.2f}x,"
        f" p95 {pct(totals['travelcore'], 95) / pct(totals['baseline'], 95):.2f}x (goal <= 1.5x)"
    )


if __name__ == "__main__":
    main()
