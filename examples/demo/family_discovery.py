"""Two siblings get their monthly suggestions, then a parent searches in her own words:
``python -m examples.demo.family_discovery``."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal

from examples.demo.backends import OpenApp
from travelcore.catalog import (
    ActivityCategory,
    ApplyVenue,
    ChangeVenueStatus,
    CreateActivity,
    ScheduleSession,
    VenueAction,
)
from travelcore.consent import ConsentKind, ConsentService, GrantConsent
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
from travelcore.kernel import Actor, EventBus, ManualClock, TenantId, UserId, new_uuid
from travelcore.ledger import AllocateCredits
from travelcore.people import AddChild, RegisterCorporate, RegisterUser, UserRole
from travelcore_adapters import bootstrap

ACTIVITIES = [
    ("Forest Explorers", ActivityCategory.NATURE, (5, 9), ("outdoor", "active", "animals")),
    ("Junior Robotics Lab", ActivityCategory.STEM, (8, 12), ("indoor", "screens", "creative")),
    ("Messy Paint Party", ActivityCategory.ARTS_CRAFTS, (3, 7), ("indoor", "messy", "creative")),
    ("Soccer Skills", ActivityCategory.SPORTS, (6, 10), ("outdoor", "active", "competitive")),
    ("Bird Watching Walk", ActivityCategory.NATURE, (7, 14), ("outdoor", "quiet", "calm")),
]


def run(open_app: OpenApp = bootstrap.memory) -> None:
    print("== Monthly suggestions for two siblings, and a search in a parent's words ==")
    clock = ManualClock(datetime(2026, 3, 25, 9, tzinfo=UTC))
    app = open_app(clock=clock, events=EventBus())
    tenant, catalog, people, db = TenantId(new_uuid()), app.catalog, app.people, app.database
    # the platform's operator, allowed everything in the tenant
    staff = Actor.platform_admin(tenant, UserId(new_uuid()))

    venue = catalog.apply_venue(
        ApplyVenue(
            tenant_id=tenant,
            name="Greenway Park",
            slug="greenway",
            insurance_coverage=Decimal(2_000_000),
            insurance_expiry_date=date(2030, 1, 1),
        ),
        actor=staff,
    )
    catalog.change_venue_status(
        ChangeVenueStatus(tenant_id=tenant, venue_id=venue, action=VenueAction.APPROVE),
        actor=staff,
    )
    places = Places(db)
    places.place_venue(tenant, venue, GeoPoint(40.72, -74.02), actor=staff)
    documents = []
    for day, (name, category, age_range, tags) in enumerate(ACTIVITIES, start=4):
        activity = catalog.create_activity(
            CreateActivity(
                tenant_id=tenant,
                venue_id=venue,
                name=name,
                category=category,
                min_age=age_range[0],
                max_age=age_range[1],
                duration_minutes=60,
                credits_required=2,
                capacity_per_session=8,
                tags=tags,
            ),
            actor=staff,
        )
        session = catalog.schedule_session(
            ScheduleSession(
                tenant_id=tenant,
                activity_id=activity,
                session_date=date(2026, 4, day),
                start_time=time(10),
            ),
            actor=staff,
        )
        documents.append(
            activity_document(
                catalog.activity(tenant, activity, actor=staff),
                [catalog.session(tenant, session, actor=staff)],
            )
        )
    app.vectors.sync(tenant, "activities", documents, actor=Actor.system(tenant, "vector-sync"))
    names = {d.id: d.text.split(".")[0] for d in documents}

    corporate = people.register_corporate(
        RegisterCorporate(
            tenant_id=tenant,
            company_name="Acme",
            primary_contact_name="Ada Hale",
            primary_contact_email="hr@acme.test",
            contract_start_date=date(2026, 1, 1),
        ),
        actor=staff,
    )
    parent = people.register_user(
        RegisterUser(
            tenant_id=tenant,
            email="nora@acme.test",
            role=UserRole.PARENT,
            first_name="Nora",
            last_name="Reyes",
            corporate_id=corporate,
        ),
        actor=staff,
    )
    mia, leo = (
        people.add_child(
            AddChild(tenant_id=tenant, parent_id=parent, first_name=first, date_of_birth=born),
            actor=staff,
        )
        for first, born in (("Mia", date(2018, 6, 1)), ("Leo", date(2016, 2, 1)))
    )
    app.ledger.allocate_credits(
        AllocateCredits(tenant_id=tenant, user_id=parent, credits=100, idempotency_key="march"),
        actor=staff,
    )
    ages = {mia: "Mia (7)", leo: "Leo (10)"}
    consents = ConsentService(db, clock)  # suggestions need the parent's consent
    consents.publish_text(
        ConsentKind.AI_PERSONALISATION,
        "Activity suggestions for your children.",
        actor=staff,
    )
    for child in (mia, leo):
        consents.grant(
            GrantConsent(child_id=child, kind=ConsentKind.AI_PERSONALISATION),
            actor=Actor.parent(tenant, parent, corporate),
        )

    curation = Curation(
        db,
        store=app.vector_store,
        embedder=app.embedder,
        bookings=app.booking,
        scoring=VenueScoring(db, RepositoryMetricsReader(db), clock),
        clock=clock,
        timezone="America/New_York",
    )
    report = curation.generate(
        tenant, date(2026, 4, 1), [parent], actor=Actor.system(tenant, "curation")
    )
    print("April suggestions:")
    for s in report.generated[parent]:
        who = " + ".join(ages[c] for c in s.child_ids)
        fits = ", ".join(f"{ages[c].split()[0]} {f}" for c, f in s.fits.items())
        print(f"  {who}: #{s.rank} {names[str(s.activity_id)]} (match {s.match_score}; {fits})")

    places.set_location(
        tenant,
        parent,
        "home",
        address_line1="1 Main St",
        city="New York",
        postal_code="10001",
        point=GeoPoint(40.70, -74.00),
        actor=staff,
    )
    search = ActivitySearch(
        parser=RuleBasedIntentParser(),
        embedder=app.embedder,
        store=app.vector_store,
        text_search=app.text_search,
        reader=CatalogActivityReader(db),
        places=places,
        travel=StraightLineTravelTime(),
        log_uow=db,
        clock=clock,
    )
    query = "something outdoors, nothing competitive, she's seven and never stops moving"
    found = search.search(tenant, parent, query, actor=staff)
    intent = {k: v for k, v in found.intent.to_data().items() if v not in (None, [], "", False)}
    print(f"Search: {query!r}")
    print(f"  parsed intent: {intent}")
    for hit in found.hits:
        print(f"  -> {hit.activity.name} at {hit.activity.venue_name}")


if __name__ == "__main__":
    run()
