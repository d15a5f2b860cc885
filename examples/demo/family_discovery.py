"""Two siblings get their monthly suggestions, then a parent searches in her own words:
``python -m examples.demo.family_discovery``."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal

from travelcore.catalog import Activity, ActivityCategory, Session, Venue, VenueStatus
from travelcore.discovery import (
    ActivitySearch,
    CatalogActivityReader,
    GeoPoint,
    Places,
    RepositoryMetricsReader,
    RuleBasedIntentParser,
    StraightLineTravelTime,
    VenueScoring,
    activity_document,
)
from travelcore.discovery.suggestions import Curation
from travelcore.kernel import EventBus, ManualClock
from travelcore.testing.actors import admin, job
from travelcore.testing.world import World
from travelcore.vectors import HashingEmbedder, VectorSync
from travelcore_adapters.memory import MemoryDatabase
from travelcore_adapters.memory.text_search import MemoryTextSearch
from travelcore_adapters.memory.vectors import MemoryVectorStore

ACTIVITIES = [
    ("Forest Explorers", ActivityCategory.NATURE, (5, 9), ("outdoor", "active", "animals")),
    ("Junior Robotics Lab", ActivityCategory.STEM, (8, 12), ("indoor", "screens", "creative")),
    ("Messy Paint Party", ActivityCategory.ARTS_CRAFTS, (3, 7), ("indoor", "messy", "creative")),
    ("Soccer Skills", ActivityCategory.SPORTS, (6, 10), ("outdoor", "active", "competitive")),
    ("Bird Watching Walk", ActivityCategory.NATURE, (7, 14), ("outdoor", "quiet", "calm")),
]


def run() -> None:
    print("== Monthly suggestions for two siblings, and a search in a parent's words ==")
    clock = ManualClock(datetime(2026, 3, 25, 9, tzinfo=UTC))
    db = MemoryDatabase(EventBus())
    world = World(db, clock)
    tenant = world.tenant
    embedder, store, text = HashingEmbedder(384), MemoryVectorStore(384), MemoryTextSearch()
    documents = []
    with db(tenant) as uow:
        venue = Venue.apply(
            tenant,
            name="Greenway Park",
            slug="greenway",
            insurance_coverage=Decimal(2_000_000),
            insurance_expiry_date=date(2030, 1, 1),
        )
        venue.status = VenueStatus.ACTIVE
        uow.venues.add(venue)
        uow.venue_locations.set(venue.id, GeoPoint(40.72, -74.02))
        for day, (name, category, ages, tags) in enumerate(ACTIVITIES, start=4):
            activity = Activity.create(
                tenant,
                venue_id=venue.id,
                name=name,
                category=category,
                min_age=ages[0],
                max_age=ages[1],
                duration_minutes=60,
                credits_required=2,
                capacity_per_session=8,
                tags=tags,
                is_published=True,
            )
            uow.activities.add(activity)
            session = Session.create(
                tenant,
                activity=activity,
                session_date=date(2026, 4, day),
                start_time=time(10),
                end_time=time(11),
                timezone="America/New_York",
                total_capacity=8,
            )
            uow.sessions.add(session)
            documents.append(activity_document(activity, [session]))
        uow.commit()
    VectorSync(db, clock, store=store, embedder=embedder, text_search=text).sync(
        tenant, "activities", documents, actor=job(tenant)
    )
    names = {d.id: d.text.split(".")[0] for d in documents}
    parent, (mia, leo) = world.family(born=[date(2018, 6, 1), date(2016, 2, 1)])
    ages = {mia: "Mia (7)", leo: "Leo (10)"}

    curation = Curation(
        db,
        store=store,
        embedder=embedder,
        bookings=world.bookings,
        scoring=VenueScoring(db, RepositoryMetricsReader(db), clock),
        clock=clock,
        timezone="America/New_York",
    )
    report = curation.generate(tenant, date(2026, 4, 1), [parent], actor=job(tenant))
    print("April suggestions:")
    for s in report.generated[parent]:
        who = " + ".join(ages[c] for c in s.child_ids)
        fits = ", ".join(f"{ages[c].split()[0]} {f}" for c, f in s.fits.items())
        print(f"  {who}: #{s.rank} {names[str(s.activity_id)]} (match {s.match_score}; {fits})")

    places = Places(db)
    places.set_location(
        tenant,
        parent,
        "home",
        address_line1="1 Main St",
        city="New York",
        postal_code="10001",
        point=GeoPoint(40.70, -74.00),
        actor=admin(tenant),
    )
    search = ActivitySearch(
        parser=RuleBasedIntentParser(),
        embedder=embedder,
        store=store,
        text_search=text,
        reader=CatalogActivityReader(db),
        places=places,
        travel=StraightLineTravelTime(),
        log_uow=db,
        clock=clock,
    )
    query = "something outdoors, nothing competitive, she's seven and never stops moving"
    found = search.search(tenant, parent, query, actor=admin(tenant))
    intent = {k: v for k, v in found.intent.to_data().items() if v not in (None, [], "", False)}
    print(f"Search: {query!r}")
    print(f"  parsed intent: {intent}")
    for hit in found.hits:
        print(f"  -> {hit.activity.name} at {hit.activity.venue_name}")


if __name__ == "__main__":
    run()
