"""Monthly curation (``Curation.generate``) for many children at once, on PostgreSQL (or the
memory adapters): time per child at two sizes, and the ratio of the totals.

    python -m bench.curation                        # 5,000 and 10,000 children, PostgreSQL
    python -m bench.curation --children 200 --activities 40 --backend memory

Data, per size in a tenant of its own (so the two runs see the same catalog): ``--activities``
activities at their own venues, each with four sessions in April 2026 (ages 4-12 in four
bands), their vectors in the memory vector store, and ``--children`` children in families
of two siblings (born 2015-2021), written in one unit of work. Generation covers every
parent in one call, as the monthly job does. The sizes take turns ``--rounds`` times (fresh
tenants each round) and each figure is the median over the rounds; twice the children should
cost at most 2.2x the time (near-linear: batched reads, no round trip per child).

On PostgreSQL the catalog, families and suggestions live in the database (application role,
row-level security on) and the vectors in pgvector; ``TRAVELCORE_BENCH_DATABASE_URL`` (a
superuser ``postgresql://`` URL) or an embedded server. ``--backend memory`` uses the memory
adapters and the memory vector store.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from decimal import Decimal
from typing import Any

from sqlalchemy import create_engine

from travelcore.catalog import Activity, ActivityCategory, Session, Venue, VenueStatus
from travelcore.discovery.places import Places
from travelcore.discovery.scoring import RepositoryMetricsReader, VenueScoring
from travelcore.discovery.suggestions import Curation
from travelcore.kernel import ManualClock, UserId
from travelcore.testing.actors import job
from travelcore.testing.builders import a_child, a_corporate, a_parent
from travelcore.testing.world import World
from travelcore.vectors import HashingEmbedder, VectorRecord, namespace_for
from travelcore.vectors.ports import VectorStore
from travelcore_adapters.memory import MemoryDatabase
from travelcore_adapters.memory.vectors import MemoryVectorStore
from travelcore_adapters.pgvector import PgVectorStore, create_schema
from travelcore_adapters.postgres import PostgresDatabase
from travelcore_adapters.postgres.provision import embedded_server, provision_database

T0 = datetime(2026, 3, 10, 9, tzinfo=UTC)
APRIL = date(2026, 4, 1)
DIMENSION = 64
CATEGORIES = list(ActivityCategory)
AGES = ((4, 6), (6, 9), (8, 12), (4, 12))


Backend = Callable[[], tuple[Any, VectorStore]]


@contextlib.contextmanager
def superuser_url() -> Iterator[str]:
    url = os.environ.get("TRAVELCORE_BENCH_DATABASE_URL")
    if url:
        yield url
        return
    with embedded_server() as url:
        yield url


@contextlib.contextmanager
def postgres() -> Iterator[Backend]:
    """A provisioned database; each call gives its pooled database and a pgvector store."""
    with superuser_url() as url:
        db = provision_database(url)
        database = PostgresDatabase(db.app_url.render_as_string(hide_password=False))
        owner = create_engine(db.owner_url.render_as_string(hide_password=False))
        create_schema(owner, DIMENSION, "bench_curation", app_role=db.app_role)
        try:
            yield lambda: (database, PgVectorStore(owner, DIMENSION, table="bench_curation"))
        finally:
            database.dispose()
            owner.dispose()


@contextlib.contextmanager
def memory() -> Iterator[Backend]:
    yield lambda: (MemoryDatabase(), MemoryVectorStore(DIMENSION))


def seed(
    database: Any, store: VectorStore, world: World, activities: int, kids: int
) -> list[UserId]:
    """The catalog, its vectors and the families of one tenant; the parents' ids."""
    tenant = world.tenant
    embedder = HashingEmbedder(DIMENSION)
    names: list[tuple[str, str]] = []
    parents: list[UserId] = []
    with database(tenant) as uow:
        for n in range(activities):
            venue = Venue.apply(
                tenant,
                name=f"Venue {n}",
                slug=f"venue-{n}",
                insurance_coverage=Decimal(2_000_000),
                insurance_expiry_date=date(2030, 12, 31),
            )
            venue.status = VenueStatus.ACTIVE
            uow.venues.add(venue)
            ages = AGES[n % len(AGES)]
            activity = Activity.create(
                tenant,
                venue_id=venue.id,
                name=f"{CATEGORIES[n % len(CATEGORIES)]} club {n}",
                category=CATEGORIES[n % len(CATEGORIES)],
                min_age=ages[0],
                max_age=ages[1],
                duration_minutes=60,
                credits_required=2,
                capacity_per_session=kids,
                tags=("indoor",),
                is_published=True,
            )
            uow.activities.add(activity)
            for week in range(4):
                day = APRIL + timedelta(days=7 * week + n % 7)
                uow.sessions.add(
                    Session.create(
                        tenant,
                        activity=activity,
                        session_date=day,
                        start_time=clock_time(10 + n % 6),
                        end_time=clock_time(11 + n % 6),
                        timezone="UTC",
                        total_capacity=kids,
                    )
                )
            names.append((str(activity.id), activity.name))
        corporate = a_corporate(tenant)
        uow.corporates.add(corporate)
        for n in range(0, kids, 2):
            parent = a_parent(tenant, corporate)
            uow.users.add(parent)
            for k in range(min(2, kids - n)):
                uow.children.add(a_child(tenant, parent, date(2015 + (n + 3 * k) % 7, 5, 1)))
            parents.append(parent.id)
        uow.commit()
    vectors = embedder.embed([name for _, name in names])
    store.upsert(
        namespace_for(tenant, "activities"),
        [VectorRecord(i, v, {}) for (i, _), v in zip(names, vectors, strict=True)],
    )
    return parents


def run_once(backend: Backend, activities: int, kids: int) -> float:
    """Seconds that one ``generate`` over ``kids`` children takes."""
    (database, store), clock = backend(), ManualClock(T0)
    world = World(database, clock)
    parents = seed(database, store, world, activities, kids)
    curation = Curation(
        database,
        store=store,
        embedder=HashingEmbedder(DIMENSION),
        bookings=world.bookings,
        scoring=VenueScoring(database, RepositoryMetricsReader(database), clock),
        clock=clock,
        places=Places(database),
    )
    started = time.perf_counter()
    report = curation.generate(world.tenant, APRIL, parents, actor=job(world.tenant))
    elapsed = time.perf_counter() - started
    suggested = sum(len(s) for s in report.generated.values())
    print(f"  {kids:>6,} children: {elapsed:7.2f} s, {suggested:,} suggestions", flush=True)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--children", type=int, default=5_000, help="the smaller size")
    parser.add_argument("--activities", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--backend", choices=("postgres", "memory"), default="postgres")
    args = parser.parse_args()
    sizes = (args.children, 2 * args.children)
    runs: dict[int, list[float]] = {size: [] for size in sizes}
    with (postgres if args.backend == "postgres" else memory)() as backend:
        for n in range(args.rounds):
            for size in sizes if n % 2 == 0 else sizes[::-1]:
                runs[size].append(run_once(backend, args.activities, size))
    small, large = (statistics.median(runs[size]) for size in sizes)
    print(f"{args.backend}, {args.activities} activities, {args.rounds} round(s)")
    for size, total in zip(sizes, (small, large), strict=True):
        print(f"  {size:>6,} children: {total / size * 1000:.3f} ms per child")
    print(f"  {sizes[1]:,} / {sizes[0]:,} children: {large / small:.2f}x (goal <= 2.2x)")


if __name__ == "__main__":
    main()
