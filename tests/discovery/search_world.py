"""The relevance set's activities as a real catalog (venues, activities, sessions over the
next two weeks), their vectors synced, the family's locations and the venues' coordinates:
a search world over any database."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

from bench.relevance import document, load

from travelcore.catalog import Activity, ActivityCategory, Session, Venue, VenueStatus
from travelcore.discovery import (
    GeoPoint,
    IntentParser,
    RuleBasedIntentParser,
    StraightLineTravelTime,
    activity_metadata,
)
from travelcore.discovery.places import Places
from travelcore.discovery.search import ActivitySearch, CatalogActivityReader
from travelcore.kernel import ManualClock, TenantId, UserId, VectorStoreUnavailable, new_uuid, zone
from travelcore.testing.actors import admin, job
from travelcore.vectors import HashingEmbedder, QueryMatch, SourceDocument, VectorSync
from travelcore_adapters.memory.text_search import MemoryTextSearch
from travelcore_adapters.memory.vectors import MemoryVectorStore

TIMES = {"morning": time(10), "afternoon": time(15, 30), "evening": time(18)}
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ZONE = "America/New_York"


class SwitchableStore(MemoryVectorStore):
    """The memory vector store, with a switch that makes queries fail as a dead store would."""

    down = False

    def query(self, namespace: str, **kwargs: Any) -> list[QueryMatch]:
        if self.down:
            raise VectorStoreUnavailable("down")
        return super().query(namespace, **kwargs)


class SearchWorld:
    def __init__(self, database: Callable[[TenantId], Any], clock: ManualClock) -> None:
        self.db = database
        self.clock = clock
        self.tenant = TenantId(new_uuid())
        self.parent = UserId(new_uuid())
        self.store = SwitchableStore(384)
        self.text = MemoryTextSearch()
        self.places = Places(database)
        world, self.queries = load()
        self.data = world
        self.activity_ids: dict[str, str] = {}
        self.labels: dict[str, str] = {}
        self._build(world)
        self.search = self.searcher(RuleBasedIntentParser())

    def searcher(self, parser: IntentParser) -> ActivitySearch:
        return ActivitySearch(
            parser=parser,
            embedder=HashingEmbedder(384),
            store=self.store,
            text_search=self.text,
            reader=CatalogActivityReader(self.db),
            places=self.places,
            travel=StraightLineTravelTime(),
            log_uow=self.db,
            clock=self.clock,
        )

    def _build(self, world: dict[str, Any]) -> None:
        today = self.clock.now().astimezone(zone(ZONE)).date()
        venues: dict[str, Venue] = {}
        docs: list[SourceDocument] = []
        with self.db(self.tenant) as uow:
            for v in world["venues"]:
                venue = Venue.apply(
                    self.tenant,
                    name=v["name"],
                    slug=v["id"],
                    insurance_coverage=Decimal(2_000_000),
                    insurance_expiry_date=date(2030, 12, 31),
                )
                venue.status = VenueStatus.ACTIVE
                uow.venues.add(venue)
                uow.venue_locations.set(venue.id, GeoPoint(v["latitude"], v["longitude"]))
                venues[v["id"]] = venue
            for a in world["activities"]:
                activity = Activity.create(
                    self.tenant,
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
                self.activity_ids[a["id"]] = str(activity.id)
                self.labels[str(activity.id)] = a["id"]
                for offset in range(1, 15):
                    day = today + timedelta(days=offset)
                    if DAYS[day.weekday()] not in a["days"]:
                        continue
                    for slot in a["times"]:
                        start = TIMES[slot]
                        uow.sessions.add(
                            Session.create(
                                self.tenant,
                                activity=activity,
                                session_date=day,
                                start_time=start,
                                end_time=time(start.hour + 1, start.minute),
                                timezone=ZONE,
                                total_capacity=8,
                            )
                        )
                docs.append(
                    SourceDocument(
                        id=str(activity.id),
                        text=document(a),
                        metadata=activity_metadata(
                            category=a["category"],
                            min_age=a["min_age"],
                            max_age=a["max_age"],
                            credits=a["credits"],
                            venue_id=str(venues[a["venue"]].id),
                            tags=tuple(a["tags"]),
                            days=tuple(a["days"]),
                            times=tuple(a["times"]),
                        ),
                    )
                )
            uow.commit()
        VectorSync(
            self.db,
            self.clock,
            store=self.store,
            embedder=HashingEmbedder(384),
            text_search=self.text,
        ).sync(self.tenant, "activities", docs, actor=job(self.tenant))
        self.venue_ids = {k: str(v.id) for k, v in venues.items()}
        for place, (lat, lon) in world["family"].items():
            self.places.set_location(
                self.tenant,
                self.parent,
                place,
                address_line1=f"1 {place.title()} Street",
                city="New York",
                postal_code="10001",
                point=GeoPoint(lat, lon),
                primary=place == "home",
                actor=admin(self.tenant),
            )

    def label(self, ids: Sequence[str]) -> list[str]:
        return [self.labels[i] for i in ids]
