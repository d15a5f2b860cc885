"""Every discovery use case leaves exactly one audit entry per change of a review, a
feedback or a suggestion, by the actor who called it, on memory and PostgreSQL; the use
cases that change only unaudited records (locations, favourites, memory, preference vectors,
venue scores) leave none (docs/audit.md says why).

One scripted story runs each discovery command and job once, so that it changes something.
On memory, each step's new entries must name exactly the audited rows the step added,
changed or removed, and carry the step's actor. On PostgreSQL the same story runs alongside
the memory one, and each step must leave entries of the same entities, actions and changed
fields as on memory. A use case added to one of the services without a step here fails
:func:`test_the_story_runs_every_use_case`.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tests.adapters.test_audit_every_change import (
    audited_tables,
    audits_alike,
    entries_of_step,
    memory_entries,
    public_commands,
)
from travelcore.audit import REDACTED
from travelcore.booking import BookSession, ConfirmBooking, MarkAttendance
from travelcore.discovery.feedback import FeedbackService
from travelcore.discovery.geo import GeoPoint
from travelcore.discovery.moderation import ReviewModeration
from travelcore.discovery.personal import Favourites, UserMemory
from travelcore.discovery.places import Places
from travelcore.discovery.scoring import RepositoryMetricsReader, VenueScoring
from travelcore.discovery.suggestions import Curation
from travelcore.kernel import Actor, ManualClock, TenantId
from travelcore.testing.actors import admin, job
from travelcore.testing.world import World
from travelcore.vectors import HashingEmbedder, VectorRecord, namespace_for
from travelcore_adapters.memory import MemoryDatabase
from travelcore_adapters.memory.vectors import MemoryVectorStore
from travelcore_adapters.postgres import PostgresDatabase

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
APRIL = date(2026, 4, 1)
DIMENSION = 16
SERVICES = {
    "feedback": FeedbackService,
    "moderation": ReviewModeration,
    "curation": Curation,
    "favourites": Favourites,
    "memory": UserMemory,
    "places": Places,
    "scoring": VenueScoring,
}
QUERIES = {
    "moderation": {"queue"},
    "curation": {"for_parent"},
    "favourites": {"of"},
    "memory": {"recall"},
    "places": {"locations", "origin", "venue_points"},
    "scoring": {"eligible"},
}
JOBS = {"process_feedback", "run", "generate"}
AUDITED = {"feedback", "moderation", "curation"}


class Acting:
    """A service whose calls run as a platform admin, its jobs as the system."""

    def __init__(self, service: Any, tenant: TenantId) -> None:
        self._service, self._tenant = service, tenant

    def __getattr__(self, name: str) -> Any:
        return functools.partial(getattr(self._service, name), actor=actor_of(name, self._tenant))


def actor_of(method: str, tenant: TenantId) -> Actor:
    return job(tenant) if method in JOBS else admin(tenant)


class Story:
    """The discovery use cases in an order in which each one changes something."""

    def __init__(self, database: Any) -> None:
        self.clock = ManualClock(T0)
        self.world = World(database, self.clock)
        self.t = self.world.tenant
        vectors = MemoryVectorStore(DIMENSION)
        embedder = HashingEmbedder(DIMENSION)
        self.parent, self.kids = self.world.family(
            credits=100, born=(date(2018, 5, 1), date(2016, 1, 10))
        )
        self.visited = self.world.get_session(self.world.session(starts_in=timedelta(days=1)))
        sessions = [self.visited] + [
            self.world.get_session(self.world.session(starts_in=timedelta(days=days)))
            for days in (35, 40, 45)
        ]
        with database(self.t) as uow:
            names = [uow.activities.get(s.activity_id).name for s in sessions]
        vectors.upsert(
            namespace_for(self.t, "activities"),
            [
                VectorRecord(str(s.activity_id), vector, {})
                for s, vector in zip(sessions, embedder.embed(names), strict=True)
            ],
        )
        places = Places(database)
        services = {
            "feedback": FeedbackService(database, self.clock, embedder=embedder, store=vectors),
            "moderation": ReviewModeration(database),
            "curation": Curation(
                database,
                store=vectors,
                embedder=embedder,
                bookings=self.world.bookings,
                scoring=VenueScoring(database, RepositoryMetricsReader(database), self.clock),
                clock=self.clock,
                timezone="America/New_York",
                places=places,
            ),
            "favourites": Favourites(database, self.clock),
            "memory": UserMemory(database, vectors, embedder, self.clock),
            "places": places,
            "scoring": VenueScoring(database, RepositoryMetricsReader(database), self.clock),
        }
        self.s = {name: Acting(service, self.t) for name, service in services.items()}
        self.ids: dict[str, Any] = {}

    def complete_visits(self) -> None:
        """Both children attend the visited session, which is then over."""
        world, actor = self.world, admin(self.t)
        for n, child in enumerate(self.kids):
            receipt = world.bookings.book(
                BookSession(
                    tenant_id=self.t,
                    session_id=self.visited.id,
                    child_id=child,
                    parent_id=self.parent,
                    idempotency_key=world.key(),
                ),
                actor=actor,
            )
            world.bookings.confirm(
                ConfirmBooking(
                    tenant_id=self.t, booking_id=receipt.booking_id, idempotency_key=world.key()
                ),
                actor=actor,
            )
            self.ids[f"booking{n}"] = receipt.booking_id
        self.clock.advance(timedelta(days=1, hours=2))
        for n in range(len(self.kids)):
            world.bookings.mark_attendance(
                MarkAttendance(
                    tenant_id=self.t,
                    booking_id=self.ids[f"booking{n}"],
                    attended=True,
                    idempotency_key=world.key(),
                ),
                actor=actor,
            )

    def steps(self) -> list[tuple[str, Callable[[], Any]]]:
        t, ids, s, parent = self.t, self.ids, self.s, self.parent
        activity, kid = self.visited.activity_id, self.kids[0]

        def keep(name: str, value: Any) -> Any:
            ids[name] = value
            return value

        def suggestion(n: int) -> Any:
            return ids["plan"].generated[parent][n].id

        return [
            (
                "places.set_location",
                lambda: s["places"].set_location(
                    t,
                    parent,
                    "home",
                    address_line1="1 Main St",
                    city="Springfield",
                    postal_code="12345",  # no point: every venue stays in reach
                ),
            ),
            (
                "places.place_venue",
                lambda: s["places"].place_venue(t, self.visited.venue_id, GeoPoint(40.01, -74.0)),
            ),
            ("favourites.add", lambda: s["favourites"].add(t, kid, activity)),
            ("favourites.remove", lambda: s["favourites"].remove(t, kid, activity)),
            (
                "memory.remember",
                lambda: s["memory"].remember(t, parent, "Ada loves chess", source="message"),
            ),
            ("memory.forget_user", lambda: s["memory"].forget_user(t, parent)),
            ("setup: the children attend a session", self.complete_visits),
            (
                "feedback.review",
                lambda: keep(
                    "review",
                    s["feedback"].review(t, parent, ids["booking0"], rating=4, text="Great").id,
                ),
            ),
            (
                "moderation.flag",
                lambda: s["moderation"].flag(t, ids["review"], reason="names a child"),
            ),
            ("moderation.clear_flag", lambda: s["moderation"].clear_flag(t, ids["review"])),
            (
                "feedback.hide",
                lambda: s["feedback"].hide(
                    t, ids["review"], admin_id=admin(t).user_id, reason="off topic"
                ),
            ),
            (
                "feedback.quick_feedback",
                lambda: s["feedback"].quick_feedback(
                    t, parent, ids["booking1"], positive=True, tags=("fun",), comment="More!"
                ),
            ),
            ("feedback.process_feedback", lambda: s["feedback"].process_feedback(t)),
            ("curation.generate", lambda: keep("plan", s["curation"].generate(t, APRIL, [parent]))),
            (
                "curation.accept",
                lambda: s["curation"].accept(
                    t, parent, suggestion(0), idempotency_key=self.world.key()
                ),
            ),
            (
                "curation.reject",
                lambda: s["curation"].reject(t, parent, suggestion(1), reason="too far"),
            ),
            ("scoring.run", lambda: s["scoring"].run(t)),  # last: scores gate curation
        ]


def use_cases() -> set[str]:
    return public_commands(SERVICES, QUERIES)


def test_the_story_runs_every_use_case() -> None:
    story = Story(MemoryDatabase())
    named = {name for name, _ in story.steps() if not name.startswith("setup")}
    assert named == use_cases()


def test_on_memory_each_use_case_audits_exactly_the_rows_it_changed() -> None:
    database = MemoryDatabase()
    story = Story(database)
    tables = audited_tables(database)
    assert {"review", "feedback", "suggestion"} <= set(tables.values())
    audited: Counter[str] = Counter()
    for name, step in story.steps():
        if name.startswith("setup"):  # several use cases at once, audited elsewhere
            step()
            continue
        new = entries_of_step(database, tables, name, step)
        assert {e.actor for e in new} <= {actor_of(name.split(".")[1], story.t).label}, name
        audited[name] += len(new)
    assert {name for name in use_cases() if audited[name]} == {
        name for name in use_cases() if name.split(".")[0] in AUDITED
    }


def test_the_entries_say_what_changed() -> None:
    database = MemoryDatabase()
    story = Story(database)
    for _, step in story.steps():
        step()
    entries = memory_entries(database).values()
    review = [e for e in entries if e.entity_type == "review"]
    assert [e.action.value for e in review] == ["create", "update", "update", "update"]
    assert [sorted(e.after or {}) for e in review[1:]] == [
        ["flagged_reason", "is_flagged"],
        ["flagged_reason", "is_flagged"],
        ["hidden_at", "hidden_by", "hidden_reason", "is_visible"],
    ]
    feedback = [e for e in entries if e.entity_type == "feedback"]
    assert [(e.action.value, e.actor) for e in feedback] == [
        ("create", admin(story.t).label),
        ("update", job(story.t).label),
    ]
    answered = [e for e in entries if e.entity_type == "suggestion" and e.action.value == "update"]
    assert sorted(e.after["response"] for e in answered if e.after) == [
        "accepted",
        "rejected",
    ]
    # parents' free text may name a child: it stays in the record, where erasure reaches it
    assert (review[0].after or {})["text"] == REDACTED
    assert (feedback[0].after or {})["comment"] == REDACTED
    assert {e.after.get("rejection_reason") for e in answered if e.after} == {None, REDACTED}


def test_on_postgres_each_use_case_audits_what_memory_audits(
    postgres_database: PostgresDatabase,
) -> None:
    memory_db = MemoryDatabase()
    memory, pg = Story(memory_db), Story(postgres_database)
    steps = zip(memory.steps(), pg.steps(), strict=True)
    audits_alike(memory_db, postgres_database, pg.t, ((n, m, p) for (n, m), (_, p) in steps))
